/**
 * A wasmcurves plugin (with ./batch-affine-wasm.ts, through ffjavascript's `buildBn128` hook):
 * `frm_oddCosetFft(px, bits, pW, pFirst, pInc, pScratch)` takes the evaluations of a polynomial on
 * the domain of n = 2^bits points (Fr, LE Montgomery, in place at px) to its evaluations on a coset,
 * in one pass: the inverse FFT, coefficient i times first·incⁱ, the FFT. With first = 1/n, pW = ω_n
 * (wasmcurves's root of the domain) and inc the coset's shift, it gives exactly what wasmcurves's
 * `frm_ifft`, `frm_batchApplyKey` and `frm_fft` give, for less:
 * - twiddles from a table of ωʲ built once per call (n multiplications, n·32 bytes of scratch:
 *   cosetFftScratchBytes), where wasmcurves's FFT updates the twiddle by a multiplication in every
 *   butterfly (two multiplications per butterfly, now one);
 * - the inverse FFT by decimation in frequency (natural order in, bit-reversed out) and the FFT by
 *   decimation in time (bit-reversed in, natural out), so neither permutes its input; the coset
 *   factors, with 1/n in them, are applied in the bit-reversed order between the two.
 */
import type { WasmModule } from './batch-affine-wasm';

/** wasmbuilder's code fragments (it has no types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Code = any[];

export const ODD_COSET_FFT = 'frm_oddCosetFft';

const N8 = 32;

/** Bytes of scratch for a domain of n points: the table of ωʲ, j < n. */
export const cosetFftScratchBytes = (n: number): number => n * N8;

export function addCosetFftPlugin(module: WasmModule): void {
  const f = module.addFunction(ODD_COSET_FFT);
  for (const p of ['px', 'bits', 'pW', 'pFirst', 'pInc', 'pScratch']) f.addParam(p, 'i32');
  for (const l of ['n', 'mask', 'len', 'half', 'stride', 's', 'j', 'i', 'p1', 'p2']) f.addLocal(l, 'i32');
  const c = f.getCodeBuilder();
  const L = (name: string): Code => c.getLocal(name);
  const set = (name: string, v: Code): Code => c.setLocal(name, v);
  const k = (v: number): Code => c.i32_const(v);
  const add = (a: Code, b: Code): Code => c.i32_add(a, b);
  const inc = (name: string, by: Code = k(1)): Code => set(name, add(L(name), by));
  const whileLoop = (cond: Code, ...body: Code[]): Code => c.block(c.loop(c.br_if(1, c.i32_eqz(cond)), ...body, c.br(0)));
  const el = (i: Code): Code => add(L('px'), c.i32_shl(i, k(5)));
  const tw = (j: Code): Code => add(L('pScratch'), c.i32_shl(j, k(5)));
  const T = k(module.alloc(N8));
  const P = k(module.alloc(N8));

  /** for s in [0, n) step len, j in [0, half): p1 = x[s + j], p2 = x[s + j + half]; body */
  const butterflies = (...body: Code[]): Code => [
    ...set('s', k(0)),
    ...whileLoop(
      c.i32_lt_u(L('s'), L('n')),
      set('j', k(0)),
      whileLoop(c.i32_lt_u(L('j'), L('half')), set('p1', el(add(L('s'), L('j')))), set('p2', el(add(add(L('s'), L('j')), L('half')))), ...body, inc('j')),
      inc('s', L('len')),
    ),
  ];

  f.addCode(
    set('n', c.i32_shl(k(1), L('bits'))),
    set('mask', c.i32_sub(L('n'), k(1))),
    // tw[j] = ωʲ
    c.call('frm_one', tw(k(0))),
    set('j', k(1)),
    whileLoop(c.i32_lt_u(L('j'), L('n')), c.call('frm_mul', tw(c.i32_sub(L('j'), k(1))), L('pW'), tw(L('j'))), inc('j')),

    // Inverse FFT without the 1/n, decimation in frequency: (u, v) → (u + v, (u − v)·ω^(−j·stride)).
    set('len', L('n')),
    set('stride', k(1)),
    whileLoop(
      c.i32_ge_u(L('len'), k(2)),
      set('half', c.i32_shr_u(L('len'), k(1))),
      ...butterflies(
        c.call('frm_sub', L('p1'), L('p2'), T),
        c.call('frm_add', L('p1'), L('p2'), L('p1')),
        c.call('frm_mul', T, tw(c.i32_and(c.i32_sub(L('n'), c.i32_mul(L('j'), L('stride'))), L('mask'))), L('p2')),
      ),
      set('len', c.i32_shr_u(L('len'), k(1))),
      set('stride', c.i32_shl(L('stride'), k(1))),
    ),

    // Coefficient i, at bit-reversed position rev(i), times first·incⁱ.
    c.call('frm_copy', L('pFirst'), P),
    set('i', k(0)),
    whileLoop(c.i32_lt_u(L('i'), L('n')), set('p1', el(c.call('frm__rev', L('i'), L('bits')))), c.call('frm_mul', L('p1'), P, L('p1')), c.call('frm_mul', P, L('pInc'), P), inc('i')),

    // FFT, decimation in time: (u, v) → (u + v·ω^(j·stride), u − v·ω^(j·stride)).
    set('len', k(2)),
    set('stride', c.i32_shr_u(L('n'), k(1))),
    whileLoop(
      c.i32_le_u(L('len'), L('n')),
      set('half', c.i32_shr_u(L('len'), k(1))),
      ...butterflies(c.call('frm_mul', L('p2'), tw(c.i32_mul(L('j'), L('stride'))), T), c.call('frm_sub', L('p1'), T, L('p2')), c.call('frm_add', L('p1'), T, L('p1'))),
      set('len', c.i32_shl(L('len'), k(1))),
      set('stride', c.i32_shr_u(L('stride'), k(1))),
    ),
  );
  module.exportFunction(ODD_COSET_FFT);
}
