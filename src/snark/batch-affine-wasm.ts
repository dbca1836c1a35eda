/**
 * A wasmcurves plugin (ffjavascript's `buildBn128(singleThread, plugins)` hook): one Pippenger window
 * of a G1 multi-exponentiation whose buckets are summed in affine coordinates with batched inversions.
 * Two functions:
 * - `g1m_multiexpAffine_chunkBatchAffine` takes the arguments of wasmcurves's
 *   `g1m_multiexpAffine_chunk` (affine bases, LE Montgomery; scalars of scalarSize bytes; the bits
 *   [startBit, startBit + chunkSize) of each scalar pick one of 2^chunkSize buckets; the result,
 *   Jacobian, at pr) plus a scratch area (scratchBytes(n, chunkSize, 'bits')).
 * - `g1m_multiexpAffine_signedWindow` (pBases, pDigits, n, chunkSize, pr, pScratch) takes one signed
 *   digit per point, an int16 d with |d| ≤ 2^(chunkSize−1) (chunkSize ≤ 16): d·P is |d|·(±P), and
 *   −(x, y) = (x, −y) costs nothing, so a window needs 2^(chunkSize−1) buckets, half the memory and
 *   half the bucket reduction (scratchBytes(n, chunkSize, 'signed')).
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
export interface WasmModule {
  modules: Record<string, { n64: number }>;
  alloc(bytes: number): number;
  addFunction(name: string): { addParam(n: string, t: string): void; addLocal(n: string, t: string): void; getCodeBuilder(): CodeBuilder; addCode(...code: Code[]): void };
  exportFunction(name: string): void;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
import { addAffineBucketSum, BUCKET_SUM_AFFINE, bucketSumScratchBytes } from './affine-bucket-sum-wasm';

export const BATCH_AFFINE_CHUNK = 'g1m_multiexpAffine_chunkBatchAffine';
export const SIGNED_WINDOW = 'g1m_multiexpAffine_signedWindow';

/** How a window's points pick their bucket: c bits of a scalar (2^c buckets), or a signed digit (2^(c−1) buckets). */
export type DigitKind = 'bits' | 'signed';

const N8 = 32;
const AFFINE = 2 * N8;
const JACOBIAN = 3 * N8;
/** A work-list entry is the bucket index, with bit 31 set when the point is to be negated. */
const NEGATED = -0x80000000;
const BUCKET_MASK = 0x7fffffff;
/** Additions sharing one inversion, by bucket count: enough to amortise the inversion, few enough that a batch rarely meets its own bucket twice. */
const batchSize = (buckets: number): number => Math.min(1024, Math.max(32, buckets >> 4));

/** Buckets of one window of chunkSize bits. */
export const bucketCount = (chunkSize: number, digits: DigitKind): number => (digits === 'signed' ? 1 << (chunkSize - 1) : 1 << chunkSize);

/**
 * Bytes of scratch for n points and a window of chunkSize bits: the affine and Jacobian buckets, the
 * batch marks, the work list, one batch; for signed digits, the affine bucket reduction's too.
 */
export function scratchBytes(n: number, chunkSize: number, digits: DigitKind = 'bits'): number {
  const buckets = bucketCount(chunkSize, digits);
  return buckets * (AFFINE + JACOBIAN + 4) + n * 8 + batchSize(buckets) * (8 + N8) + (digits === 'signed' ? bucketSumScratchBytes(buckets) : 0);
}

export function addBatchAffinePlugin(module: WasmModule): void {
  addAffineBucketSum(module);
  buildWindow(module, 'bits');
  buildWindow(module, 'signed');
}

function buildWindow(module: WasmModule, digits: DigitKind): void {
  const name = digits === 'signed' ? SIGNED_WINDOW : BATCH_AFFINE_CHUNK;
  const f = module.addFunction(name);
  const params = digits === 'signed' ? ['pBases', 'pScalars', 'n', 'chunkSize', 'pr', 'pScratch'] : ['pBases', 'pScalars', 'scalarSize', 'n', 'startBit', 'chunkSize', 'pr', 'pScratch'];
  for (const p of params) f.addParam(p, 'i32');
  for (const l of ['nBuckets', 'batch', 'pAff', 'pJac', 'pMarks', 'pList', 'pPairs', 'pPrefix', 'i', 'm', 'r', 'w', 'cnt', 'batchId', 'b', 'e', 'd', 'pb', 'pp', 'itS', 'itB', 'idx'])
    f.addLocal(l, 'i32');
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
  const bucketOf = (e: Code): Code => c.i32_and(e, k(BUCKET_MASK));
  const negated = (e: Code): Code => c.i32_shr_u(e, k(31));
  /** The Jacobian bucket of entry e += ±pp. */
  const addJacobian = (e: Code, pp: Code): Code => c.if(negated(e), c.call('g1m_subMixed', jac(bucketOf(e)), pp, jac(bucketOf(e))), c.call('g1m_addMixed', jac(bucketOf(e)), pp, jac(bucketOf(e))));

  const ACC = k(module.alloc(N8));
  const INV = k(module.alloc(N8));
  const T = k(module.alloc(N8));
  const LAMBDA = k(module.alloc(N8));
  const X3 = k(module.alloc(N8));
  const RUN = k(module.alloc(JACOBIAN));

  /** Adds the batch's pending pairs (bucket += ±point), last to first, undoing the prefix products. */
  const finishBatch: Code = c.if(L('cnt'), [
    ...c.call('f1m_inverse', ACC, INV),
    ...whileLoop(
      L('cnt'),
      set('cnt', c.i32_sub(L('cnt'), k(1))),
      set('e', c.i32_load(pairAt(L('cnt')))),
      set('pp', c.i32_load(pairAt(L('cnt')), 4)),
      set('pb', aff(bucketOf(L('e')))),
      c.call('f1m_sub', L('pp'), L('pb'), T), // dx
      c.call('f1m_mul', INV, prefixAt(L('cnt')), LAMBDA), // 1/dx
      c.call('f1m_mul', INV, T, INV), // the inverse of the product of the earlier dx
      // dy: y_p − y_b, or −y_p − y_b for the negated point
      c.if(negated(L('e')), [...c.call('f1m_add', y(L('pp')), y(L('pb')), T), ...c.call('f1m_neg', T, T)], c.call('f1m_sub', y(L('pp')), y(L('pb')), T)),
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

  /** The work list: (entry, point) for every non-zero digit of a non-zero point. */
  const workList: Code =
    digits === 'signed'
      ? [
          ...set('d', c.i32_load16_s(L('itS'))),
          ...c.if(c.i32_and(c.i32_ne(L('d'), k(0)), c.i32_eqz(c.call('g1m_isZeroAffine', L('itB')))), [
            ...c.if(c.i32_lt_s(L('d'), k(0)), c.i32_store(listAt(L('m')), c.i32_or(c.i32_sub(c.i32_sub(k(0), L('d')), k(1)), k(NEGATED))), c.i32_store(listAt(L('m')), c.i32_sub(L('d'), k(1)))),
            ...c.i32_store(listAt(L('m')), 4, 2, L('itB')),
            ...inc('m'),
          ]),
          ...inc('itS', k(2)),
        ]
      : [
          ...set('idx', c.call('g1m_multiexpAffine_getChunk', L('itS'), L('scalarSize'), L('startBit'), L('chunkSize'))),
          ...c.if(c.i32_and(c.i32_ne(L('idx'), k(0)), c.i32_eqz(c.call('g1m_isZeroAffine', L('itB')))), [
            ...c.i32_store(listAt(L('m')), c.i32_sub(L('idx'), k(1))),
            ...c.i32_store(listAt(L('m')), 4, 2, L('itB')),
            ...inc('m'),
          ]),
          ...inc('itS', L('scalarSize')),
        ];

  f.addCode(
    set('nBuckets', c.i32_shl(k(1), digits === 'signed' ? c.i32_sub(L('chunkSize'), k(1)) : L('chunkSize'))),
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

    set('m', k(0)),
    set('i', k(0)),
    set('itS', L('pScalars')),
    set('itB', L('pBases')),
    whileLoop(c.i32_lt_u(L('i'), L('n')), ...workList, inc('itB', k(AFFINE)), inc('i')),

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
          set('e', c.i32_load(listAt(L('r')))),
          set('pp', c.i32_load(listAt(L('r')), 4)),
          inc('r'),
          set('b', bucketOf(L('e'))),
          set('pb', aff(L('b'))),
          c.if(
            c.i32_eq(c.i32_load(mark(L('b'))), L('batchId')),
            // The bucket is pending in this batch: keep the point for the next pass.
            [...c.i32_store(listAt(L('w')), L('e')), ...c.i32_store(listAt(L('w')), 4, 2, L('pp')), ...inc('w')],
            c.if(
              c.call('g1m_isZeroAffine', L('pb')),
              [...c.call('g1m_copyAffine', L('pp'), L('pb')), ...c.if(negated(L('e')), c.call('f1m_neg', y(L('pb')), y(L('pb'))))],
              c.if(
                c.call('f1m_eq', L('pp'), L('pb')),
                // P = ±bucket: the affine formula would divide by zero.
                addJacobian(L('e'), L('pp')),
                [
                  ...c.i32_store(mark(L('b')), L('batchId')),
                  ...c.i32_store(pairAt(L('cnt')), L('e')),
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
        ...whileLoop(c.i32_lt_u(L('i'), L('w')), addJacobian(c.i32_load(listAt(L('i'))), c.i32_load(listAt(L('i')), 4)), inc('i')),
        ...set('w', k(0)),
      ]),
      set('m', L('w')),
    ),

    // Σ (b + 1)·bucket[b]: for signed digits, by segments in affine form (./affine-bucket-sum-wasm.ts);
    // for the unsigned window, as it was, as running sums in Jacobian form, from the top bucket down.
    digits === 'signed'
      ? c.call(BUCKET_SUM_AFFINE, L('pAff'), L('pJac'), L('nBuckets'), L('pr'), add(L('pPrefix'), mul(L('batch'), k(N8))))
      : [
          ...c.call('g1m_zero', RUN),
          ...c.call('g1m_zero', L('pr')),
          ...set('i', L('nBuckets')),
          ...whileLoop(
            L('i'),
            set('i', c.i32_sub(L('i'), k(1))),
            // addMixed takes a zero first operand, not a zero second one.
            c.if(c.i32_eqz(c.call('g1m_isZeroAffine', aff(L('i')))), c.call('g1m_addMixed', RUN, aff(L('i')), RUN)),
            c.call('g1m_add', RUN, jac(L('i')), RUN),
            c.call('g1m_add', L('pr'), RUN, L('pr')),
          ),
        ],
  );
  module.exportFunction(name);
}
