/**
 * A wasmcurves plugin (ffjavascript's `buildBn128(singleThread, plugins)` hook): one Pippenger window
 * of a G1 multi-exponentiation whose buckets are summed in affine coordinates with batched inversions,
 * `g1m_multiexpAffine_chunkBatchAffine`. It takes the arguments of wasmcurves's
 * `g1m_multiexpAffine_chunk` (affine bases, LE Montgomery; scalars of scalarSize bytes; the bits
 * [startBit, startBit + chunkSize) of each scalar pick the bucket; the result, Jacobian, at pr) plus
 * a scratch area (scratchBytes()).
 *
 * Why: wasmcurves adds each point to a Jacobian bucket (a mixed addition, 7M + 4S). In affine form
 * P + Q costs λ = (y₂ − y₁)/(x₂ − x₁), x₃ = λ² − x₁ − x₂, y₃ = λ(x₁ − x₃) − y₁: 2M + 1S once the
 * inverse is known, and one inversion is shared by a batch of additions (Montgomery's trick, 3M per
 * element), about 6M per point instead of 11M.
 *
 * A batch holds at most one pending addition per bucket: a point whose bucket is already pending is
 * kept for the next pass over the leftovers. A point with the bucket's x (the same point or its
 * negation, where the affine formula divides by zero) goes to a Jacobian bucket beside the affine one,
 * as do the leftovers when a pass makes little progress (many points in few buckets, e.g. small
 * scalars); the reduction sums both.
 */

/** The part of wasmbuilder's ModuleBuilder / CodeBuilder this plugin uses (wasmbuilder has no types). */
/* eslint-disable @typescript-eslint/no-explicit-any */
type Code = any[];
type CodeBuilder = any;
interface WasmModule {
  modules: Record<string, { n64: number }>;
  alloc(bytes: number): number;
  addFunction(name: string): { addParam(n: string, t: string): void; addLocal(n: string, t: string): void; getCodeBuilder(): CodeBuilder; addCode(...code: Code[]): void };
  exportFunction(name: string): void;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const BATCH_AFFINE_CHUNK = 'g1m_multiexpAffine_chunkBatchAffine';

const N8 = 32;
const AFFINE = 2 * N8;
const JACOBIAN = 3 * N8;
/** Additions sharing one inversion, by bucket count: enough to amortise the inversion, few enough that a batch rarely meets its own bucket twice. */
const batchSize = (buckets: number): number => Math.min(1024, Math.max(32, buckets >> 4));

/** Bytes of scratch for n points and a window of chunkSize bits: the affine and Jacobian buckets, the batch marks, the work list, one batch. */
export function scratchBytes(n: number, chunkSize: number): number {
  const buckets = 1 << chunkSize;
  return buckets * (AFFINE + JACOBIAN + 4) + n * 8 + batchSize(buckets) * (8 + N8);
}

export function addBatchAffinePlugin(module: WasmModule): void {
  const f = module.addFunction(BATCH_AFFINE_CHUNK);
  for (const p of ['pBases', 'pScalars', 'scalarSize', 'n', 'startBit', 'chunkSize', 'pr', 'pScratch']) f.addParam(p, 'i32');
  for (const l of ['nBuckets', 'batch', 'pAff', 'pJac', 'pMarks', 'pList', 'pPairs', 'pPrefix', 'i', 'm', 'r', 'w', 'cnt', 'batchId', 'b', 'pb', 'pp', 'itS', 'itB', 'idx']) f.addLocal(l, 'i32');
  const c = f.getCodeBuilder();
  const L = (name: string): Code => c.getLocal(name);
  const set = (name: string, v: Code): Code => c.setLocal(name, v);
  const k = (v: number): Code => c.i32_const(v);
  const add = (a: Code, b: Code): Code => c.i32_add(a, b);
  const mul = (a: Code, b: Code): Code => c.i32_mul(a, b);
  const inc = (name: string, by: Code = k(1)): Code => set(name, add(L(name), by));
  /** while (cond) { body } */
  const whileLoop = (cond: Code, ...body: Code[]): Code => c.block(c.loop(c.br_if(1, c.i32_eqz(cond)), ...body, c.br(0)));
  const y = (p: Code): Code => add(p, k(N8));
  const aff = (b: Code): Code => add(L('pAff'), mul(b, k(AFFINE)));
  const jac = (b: Code): Code => add(L('pJac'), mul(b, k(JACOBIAN)));
  const mark = (b: Code): Code => add(L('pMarks'), c.i32_shl(b, k(2)));
  const listAt = (i: Code): Code => add(L('pList'), c.i32_shl(i, k(3)));
  const pairAt = (i: Code): Code => add(L('pPairs'), c.i32_shl(i, k(3)));
  const prefixAt = (i: Code): Code => add(L('pPrefix'), mul(i, k(N8)));

  const ACC = k(module.alloc(N8));
  const INV = k(module.alloc(N8));
  const T = k(module.alloc(N8));
  const LAMBDA = k(module.alloc(N8));
  const X3 = k(module.alloc(N8));
  const RUN = k(module.alloc(JACOBIAN));

  /** Adds the batch's pending pairs (pb += pp), last to first, undoing the prefix products. */
  const finishBatch: Code = c.if(L('cnt'), [
    ...c.call('f1m_inverse', ACC, INV),
    ...whileLoop(
      L('cnt'),
      set('cnt', c.i32_sub(L('cnt'), k(1))),
      set('pb', c.i32_load(pairAt(L('cnt')))),
      set('pp', c.i32_load(pairAt(L('cnt')), 4)),
      c.call('f1m_sub', L('pp'), L('pb'), T), // dx
      c.call('f1m_mul', INV, prefixAt(L('cnt')), LAMBDA), // 1/dx
      c.call('f1m_mul', INV, T, INV), // the inverse of the product of the earlier dx
      c.call('f1m_sub', y(L('pp')), y(L('pb')), T),
      c.call('f1m_mul', T, LAMBDA, LAMBDA),
      c.call('f1m_square', LAMBDA, X3),
      c.call('f1m_sub', X3, L('pb'), X3),
      c.call('f1m_sub', X3, L('pp'), X3),
      c.call('f1m_sub', L('pb'), X3, T),
      c.call('f1m_mul', LAMBDA, T, T),
      c.call('f1m_sub', T, y(L('pb')), y(L('pb'))),
      c.call('f1m_copy', X3, L('pb')),
    ),
  ]);

  f.addCode(
    set('nBuckets', c.i32_shl(k(1), L('chunkSize'))),
    set('batch', k(0)),
    set('pAff', L('pScratch')),
    set('pJac', add(L('pAff'), mul(L('nBuckets'), k(AFFINE)))),
    set('pMarks', add(L('pJac'), mul(L('nBuckets'), k(JACOBIAN)))),
    set('pList', add(L('pMarks'), c.i32_shl(L('nBuckets'), k(2)))),
    set('pPairs', add(L('pList'), c.i32_shl(L('n'), k(3)))),
    // batchSize(nBuckets) = min(1024, max(32, nBuckets >> 4))
    set('batch', c.i32_shr_u(L('nBuckets'), k(4))),
    c.if(c.i32_lt_u(L('batch'), k(32)), set('batch', k(32))),
    c.if(c.i32_gt_u(L('batch'), k(1024)), set('batch', k(1024))),
    set('pPrefix', add(L('pPairs'), c.i32_shl(L('batch'), k(3)))),

    set('i', k(0)),
    whileLoop(c.i32_lt_u(L('i'), L('nBuckets')), c.call('g1m_zeroAffine', aff(L('i'))), c.call('g1m_zero', jac(L('i'))), c.i32_store(mark(L('i')), k(0)), inc('i')),

    // The work list: (bucket, point) for every non-zero digit of a non-zero point.
    set('m', k(0)),
    set('i', k(0)),
    set('itS', L('pScalars')),
    set('itB', L('pBases')),
    whileLoop(
      c.i32_lt_u(L('i'), L('n')),
      set('idx', c.call('g1m_multiexpAffine_getChunk', L('itS'), L('scalarSize'), L('startBit'), L('chunkSize'))),
      c.if(c.i32_and(c.i32_ne(L('idx'), k(0)), c.i32_eqz(c.call('g1m_isZeroAffine', L('itB')))), [
        ...c.i32_store(listAt(L('m')), c.i32_sub(L('idx'), k(1))),
        ...c.i32_store(listAt(L('m')), 4, 2, L('itB')),
        ...inc('m'),
      ]),
      inc('itS', L('scalarSize')),
      inc('itB', k(AFFINE)),
      inc('i'),
    ),

    set('batchId', k(0)),
    whileLoop(
      L('m'),
      set('r', k(0)),
      set('w', k(0)),
      whileLoop(
        c.i32_lt_u(L('r'), L('m')),
        inc('batchId'),
        set('cnt', k(0)),
        c.call('f1m_one', ACC),
        whileLoop(
          c.i32_and(c.i32_lt_u(L('r'), L('m')), c.i32_lt_u(L('cnt'), L('batch'))),
          set('b', c.i32_load(listAt(L('r')))),
          set('pp', c.i32_load(listAt(L('r')), 4)),
          inc('r'),
          set('pb', aff(L('b'))),
          c.if(
            c.i32_eq(c.i32_load(mark(L('b'))), L('batchId')),
            // The bucket is pending in this batch: keep the point for the next pass.
            [...c.i32_store(listAt(L('w')), L('b')), ...c.i32_store(listAt(L('w')), 4, 2, L('pp')), ...inc('w')],
            c.if(
              c.call('g1m_isZeroAffine', L('pb')),
              c.call('g1m_copyAffine', L('pp'), L('pb')),
              c.if(
                c.call('f1m_eq', L('pp'), L('pb')),
                // P = ±bucket: the affine formula would divide by zero.
                c.call('g1m_addMixed', jac(L('b')), L('pp'), jac(L('b'))),
                [
                  ...c.i32_store(mark(L('b')), L('batchId')),
                  ...c.i32_store(pairAt(L('cnt')), L('pb')),
                  ...c.i32_store(pairAt(L('cnt')), 4, 2, L('pp')),
                  ...c.call('f1m_copy', ACC, prefixAt(L('cnt'))),
                  ...c.call('f1m_sub', L('pp'), L('pb'), T),
                  ...c.call('f1m_mul', ACC, T, ACC),
                  ...inc('cnt'),
                ],
              ),
            ),
          ),
        ),
        finishBatch,
      ),
      // A pass that kept more than half its points (few buckets for many points) would repeat for
      // long: what is left goes to the Jacobian buckets.
      c.if(c.i32_gt_u(c.i32_shl(L('w'), k(1)), L('m')), [
        ...set('i', k(0)),
        ...whileLoop(c.i32_lt_u(L('i'), L('w')), set('b', c.i32_load(listAt(L('i')))), c.call('g1m_addMixed', jac(L('b')), c.i32_load(listAt(L('i')), 4), jac(L('b'))), inc('i')),
        ...set('w', k(0)),
      ]),
      set('m', L('w')),
    ),

    // Σ (b + 1)·bucket[b] as running sums, from the top bucket down.
    c.call('g1m_zero', RUN),
    c.call('g1m_zero', L('pr')),
    set('i', c.i32_sub(L('nBuckets'), k(1))),
    whileLoop(
      L('i'),
      set('i', c.i32_sub(L('i'), k(1))),
      // addMixed takes a zero first operand, not a zero second one.
      c.if(c.i32_eqz(c.call('g1m_isZeroAffine', aff(L('i')))), c.call('g1m_addMixed', RUN, aff(L('i')), RUN)),
      c.call('g1m_add', RUN, jac(L('i')), RUN),
      c.call('g1m_add', L('pr'), RUN, L('pr')),
    ),
  );
  module.exportFunction(BATCH_AFFINE_CHUNK);
}
