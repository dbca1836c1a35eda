pragma circom 2.1.0;
include "bits.circom";

// Fixed-point rescale by a power of two, rounding half up, with its range pinned.
//
// Requantize(k, n, lo)
//   input  in    integer x (a linear combination of constrained signals, so no constraint is spent on it)
//   output out   q = floor((x + h) / 2^k), h = 2^(k-1) if k > 0 else 0
// Parameters: k >= 0 (shift), n >= 1 (bits of q - lo), lo (lower bound of q from the bound analysis),
//   k + n <= 252.
// Constraint: t = x + h - lo * 2^k is decomposed into k + n bits; the low k bits are the remainder
//   r in [0, 2^k), the high n bits are q - lo in [0, 2^n). Both bounds are enforced by the bits, so
//   q is the unique integer quotient (no unconstrained remainder, no field wrap-around).
// Precondition for a satisfying witness: lo <= q < lo + 2^n (guaranteed by the static bound analysis).
// Cost: k + n constraints.
template Requantize(k, n, lo) {
    assert(k >= 0 && n >= 1 && k + n <= 252);
    signal input in;
    signal output out;
    var h = k > 0 ? 1 << (k - 1) : 0;
    component b = Bits(k + n);
    b.in <== in + h - lo * (1 << k);
    var high = 0;
    for (var i = 0; i < n; i++) {
        high += b.bits[k + i] * (1 << i);
    }
    out <== high + lo;
}

// RequantizeRelu(k, m): out = max(0, q), q = floor((x + h) / 2^k) as in Requantize.
//   input  in    integer x
//   output out   max(0, q)
// Parameters: k >= 0, m >= 0, k + m + 1 <= 252. With k = 0 this is a plain ReLU.
// Constraint: t = x + h + 2^m * 2^k is decomposed into k + m + 1 bits; bit k + m is the sign
//   (1 iff q >= 0) and the m bits below it are q + 2^m mod 2^m. out = sign * low is one product.
// Precondition for a satisfying witness: -2^m <= q < 2^m (guaranteed by the static bound analysis).
// Cost: k + m + 2 constraints.
template RequantizeRelu(k, m) {
    assert(k >= 0 && m >= 0 && k + m + 1 <= 252);
    signal input in;
    signal output out;
    var h = k > 0 ? 1 << (k - 1) : 0;
    component b = Bits(k + m + 1);
    b.in <== in + h + (1 << (m + k));
    var low = 0;
    for (var i = 0; i < m; i++) {
        low += b.bits[k + i] * (1 << i);
    }
    out <== b.bits[k + m] * low;
}
