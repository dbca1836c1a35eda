/**
 * Part of our wasmcurves plugin (./batch-affine-wasm.ts): a Pippenger window's bucket reduction,
 * Σ (b + 1)·bucket[b], in affine coordinates with batched inversions, `g1m_bucketSumAffine(pAff,
 * pJac, nBuckets, pr, pScratch)`. The buckets are affine (pAff) with a Jacobian bucket beside each
 * (pJac, the affine formula's fallbacks); the result, Jacobian, goes to pr.
 *
 * Why: the running sum (RUN += bucket[b]; sum += RUN, from the top bucket down) is sequential, so
 * wasmcurves pays a mixed and a full Jacobian addition per bucket (≈ 27 multiplications). Cut into
 * K segments of L buckets, the K running sums are independent: each step adds K points to K
 * segment sums R_k, then the R_k to K weighted sums S_k, each round of K affine additions sharing
 * one inversion (≈ 6.5 multiplications per addition). Then Σ (b + 1)·bucket[b] = Σ S_k + L·Σ k·R_k,
 * the last from K points in Jacobian form.
 *
 * A Jacobian bucket that is not zero (rare: a point met its bucket's x, or a pass made little
 * progress) is first added to its affine bucket and the sum made affine (one inversion each).
 */
import type { WasmModule } from './batch-affine-wasm';

/** wasmbuilder's code fragments (it has no types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Code = any[];

export const BUCKET_SUM_AFFINE = 'g1m_bucketSumAffine';
const BATCH_ADD_AFFINE = 'g1m_batchAddAffineInPlace';

const N8 = 32;
const AFFINE = 2 * N8;
const JACOBIAN = 3 * N8;
/** Segments (independent running sums, so affine additions per shared inversion). */
const MAX_SEGMENTS = 256;

/** Segments for nBuckets buckets (a power of two): all of them up to MAX_SEGMENTS. */
const segments = (nBuckets: number): number => Math.min(nBuckets, MAX_SEGMENTS);

/** Bytes of scratch of the reduction of nBuckets buckets: R_k and S_k, the pairs of one round and their prefix products. */
export const bucketSumScratchBytes = (nBuckets: number): number => segments(nBuckets) * (2 * AFFINE + 8 + N8);

export function addAffineBucketSum(module: WasmModule): void {
  buildBatchAdd(module);
  buildBucketSum(module);
}

/**
 * g1m_batchAddAffineInPlace(pPairs, count, pPrefix): for every pair (dst, src) of affine points
 * (two i32 addresses, no dst twice, no dst a src), dst += src; one inversion for all.
 */
function buildBatchAdd(module: WasmModule): void {
  const f = module.addFunction(BATCH_ADD_AFFINE);
  for (const p of ['pPairs', 'count', 'pPrefix']) f.addParam(p, 'i32');
  for (const l of ['i', 'cnt', 'pd', 'ps']) f.addLocal(l, 'i32');
  const c = f.getCodeBuilder();
  const L = (name: string): Code => c.getLocal(name);
  const set = (name: string, v: Code): Code => c.setLocal(name, v);
  const k = (v: number): Code => c.i32_const(v);
  const add = (a: Code, b: Code): Code => c.i32_add(a, b);
  const inc = (name: string): Code => set(name, add(L(name), k(1)));
  const whileLoop = (cond: Code, ...body: Code[]): Code => c.block(c.loop(c.br_if(1, c.i32_eqz(cond)), ...body, c.br(0)));
  const y = (p: Code): Code => add(p, k(N8));
  const pairAt = (i: Code): Code => add(L('pPairs'), c.i32_shl(i, k(3)));
  const prefixAt = (i: Code): Code => add(L('pPrefix'), c.i32_shl(i, k(5)));
  const ACC = k(module.alloc(N8));
  const INV = k(module.alloc(N8));
  const DEN = k(module.alloc(N8));
  const NUM = k(module.alloc(N8));
  const LAMBDA = k(module.alloc(N8));
  const X3 = k(module.alloc(N8));
  const T = k(module.alloc(N8));
  /** The denominator of λ: 2y for a doubling (same x, so same point: the opposite one was settled before), else x_s − x_d. */
  const denominator: Code = c.if(c.call('f1m_eq', L('pd'), L('ps')), c.call('f1m_add', y(L('pd')), y(L('pd')), DEN), c.call('f1m_sub', L('ps'), L('pd'), DEN));

  f.addCode(
    set('cnt', k(0)),
    c.call('f1m_one', ACC),
    set('i', k(0)),
    whileLoop(
      c.i32_lt_u(L('i'), L('count')),
      set('pd', c.i32_load(pairAt(L('i')))),
      set('ps', c.i32_load(pairAt(L('i')), 4)),
      inc('i'),
      c.if(
        c.i32_eqz(c.call('g1m_isZeroAffine', L('ps'))),
        c.if(
          c.call('g1m_isZeroAffine', L('pd')),
          c.call('g1m_copyAffine', L('ps'), L('pd')),
          c.if(
            c.i32_and(c.call('f1m_eq', L('pd'), L('ps')), c.i32_eqz(c.call('f1m_eq', y(L('pd')), y(L('ps'))))),
            // P + (−P)
            c.call('g1m_zeroAffine', L('pd')),
            [
              ...denominator,
              ...c.call('f1m_copy', ACC, prefixAt(L('cnt'))),
              ...c.call('f1m_mul', ACC, DEN, ACC),
              ...c.i32_store(pairAt(L('cnt')), L('pd')),
              ...c.i32_store(pairAt(L('cnt')), 4, 2, L('ps')),
              ...inc('cnt'),
            ],
          ),
        ),
      ),
    ),
    c.if(L('cnt'), [
      ...c.call('f1m_inverse', ACC, INV),
      ...whileLoop(
        L('cnt'),
        set('cnt', c.i32_sub(L('cnt'), k(1))),
        set('pd', c.i32_load(pairAt(L('cnt')))),
        set('ps', c.i32_load(pairAt(L('cnt')), 4)),
        denominator,
        c.if(
          c.call('f1m_eq', L('pd'), L('ps')),
          [...c.call('f1m_square', L('pd'), T), ...c.call('f1m_add', T, T, NUM), ...c.call('f1m_add', NUM, T, NUM)], // 3x²
          c.call('f1m_sub', y(L('ps')), y(L('pd')), NUM),
        ),
        c.call('f1m_mul', INV, prefixAt(L('cnt')), LAMBDA), // 1/den
        c.call('f1m_mul', INV, DEN, INV), // the inverse of the product of the earlier denominators
        c.call('f1m_mul', NUM, LAMBDA, LAMBDA),
        c.call('f1m_square', LAMBDA, X3),
        c.call('f1m_sub', X3, L('pd'), X3),
        c.call('f1m_sub', X3, L('ps'), X3),
        c.call('f1m_sub', L('pd'), X3, T),
        c.call('f1m_mul', LAMBDA, T, T),
        c.call('f1m_sub', T, y(L('pd')), y(L('pd'))),
        c.call('f1m_copy', X3, L('pd')),
      ),
    ]),
  );
}

function buildBucketSum(module: WasmModule): void {
  const f = module.addFunction(BUCKET_SUM_AFFINE);
  for (const p of ['pAff', 'pJac', 'nBuckets', 'pr', 'pScratch']) f.addParam(p, 'i32');
  for (const l of ['K', 'len', 'b', 'j', 'kk', 'pR', 'pS', 'pPairs', 'pPrefix']) f.addLocal(l, 'i32');
  const c = f.getCodeBuilder();
  const L = (name: string): Code => c.getLocal(name);
  const set = (name: string, v: Code): Code => c.setLocal(name, v);
  const k = (v: number): Code => c.i32_const(v);
  const add = (a: Code, b: Code): Code => c.i32_add(a, b);
  const mul = (a: Code, b: Code): Code => c.i32_mul(a, b);
  const inc = (name: string): Code => set(name, add(L(name), k(1)));
  const whileLoop = (cond: Code, ...body: Code[]): Code => c.block(c.loop(c.br_if(1, c.i32_eqz(cond)), ...body, c.br(0)));
  const aff = (b: Code): Code => add(L('pAff'), mul(b, k(AFFINE)));
  const jac = (b: Code): Code => add(L('pJac'), mul(b, k(JACOBIAN)));
  const R = (i: Code): Code => add(L('pR'), mul(i, k(AFFINE)));
  const S = (i: Code): Code => add(L('pS'), mul(i, k(AFFINE)));
  const pairAt = (i: Code): Code => add(L('pPairs'), c.i32_shl(i, k(3)));
  const TJ = k(module.alloc(JACOBIAN));
  const RUN = k(module.alloc(JACOBIAN));
  const SUM = k(module.alloc(JACOBIAN));
  /** One round: pairs[kk] = (dst(kk), src(kk)) for every segment, then the batched additions. */
  const round = (dst: (i: Code) => Code, src: (i: Code) => Code): Code => [
    ...set('kk', k(0)),
    ...whileLoop(c.i32_lt_u(L('kk'), L('K')), c.i32_store(pairAt(L('kk')), dst(L('kk'))), c.i32_store(pairAt(L('kk')), 4, 2, src(L('kk'))), inc('kk')),
    ...c.call(BATCH_ADD_AFFINE, L('pPairs'), L('K'), L('pPrefix')),
  ];

  f.addCode(
    // The Jacobian buckets that are not zero, into their affine ones.
    set('b', k(0)),
    whileLoop(
      c.i32_lt_u(L('b'), L('nBuckets')),
      c.if(c.i32_eqz(c.call('g1m_isZero', jac(L('b')))), [
        ...c.if(c.call('g1m_isZeroAffine', aff(L('b'))), c.call('g1m_copy', jac(L('b')), TJ), c.call('g1m_addMixed', jac(L('b')), aff(L('b')), TJ)),
        ...c.call('g1m_toAffine', TJ, aff(L('b'))),
      ]),
      inc('b'),
    ),

    // K segments of len buckets; segment kk holds buckets [kk·len, (kk + 1)·len).
    set('K', L('nBuckets')),
    c.if(c.i32_gt_u(L('K'), k(MAX_SEGMENTS)), set('K', k(MAX_SEGMENTS))),
    set('len', c.i32_div_u(L('nBuckets'), L('K'))),
    set('pR', L('pScratch')),
    set('pS', add(L('pR'), mul(L('K'), k(AFFINE)))),
    set('pPairs', add(L('pS'), mul(L('K'), k(AFFINE)))),
    set('pPrefix', add(L('pPairs'), c.i32_shl(L('K'), k(3)))),
    set('kk', k(0)),
    whileLoop(c.i32_lt_u(L('kk'), L('K')), c.call('g1m_zeroAffine', R(L('kk'))), c.call('g1m_zeroAffine', S(L('kk'))), inc('kk')),
    // From the top of each segment down: R_k += bucket; S_k += R_k.
    set('j', L('len')),
    whileLoop(L('j'), set('j', c.i32_sub(L('j'), k(1))), ...round(R, (i) => aff(add(mul(i, L('len')), L('j')))), ...round(S, R)),

    // Σ S_k + len·Σ k·R_k: the second as a running sum over the segments, from the top one down.
    c.call('g1m_zero', RUN),
    c.call('g1m_zero', SUM),
    set('kk', c.i32_sub(L('K'), k(1))),
    whileLoop(
      L('kk'),
      // addMixed takes a zero first operand, not a zero second one.
      c.if(c.i32_eqz(c.call('g1m_isZeroAffine', R(L('kk')))), c.call('g1m_addMixed', RUN, R(L('kk')), RUN)),
      c.call('g1m_add', SUM, RUN, SUM),
      set('kk', c.i32_sub(L('kk'), k(1))),
    ),
    // len is a power of two.
    set('j', L('len')),
    whileLoop(c.i32_gt_u(L('j'), k(1)), c.call('g1m_double', SUM, SUM), set('j', c.i32_shr_u(L('j'), k(1)))),
    set('kk', k(0)),
    whileLoop(c.i32_lt_u(L('kk'), L('K')), c.if(c.i32_eqz(c.call('g1m_isZeroAffine', S(L('kk')))), c.call('g1m_addMixed', SUM, S(L('kk')), SUM)), inc('kk')),
    c.call('g1m_copy', SUM, L('pr')),
  );
  module.exportFunction(BUCKET_SUM_AFFINE);
}
