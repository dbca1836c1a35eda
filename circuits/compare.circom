pragma circom 2.1.0;
include "bits.circom";

// NonNegative(b): out = 1 if in >= 0 else 0, reading `in` as an integer.
//   input  in    an integer with -2^b <= in < 2^b (field elements above p/2 are negative)
//   output out   a bit
// Parameters: 0 <= b <= 251 (b from the static bounds: the signed magnitude bits of in).
// Constraint: in + 2^b lies in [0, 2^(b+1)) and is decomposed into b + 1 bits; its top bit is 1
//   exactly when in >= 0. The decomposition is unique (b + 1 <= 252 bits stay below p).
// Precondition for a satisfying witness: -2^b <= in < 2^b. Outside it no witness exists (the
//   shifted value has no (b + 1)-bit decomposition).
// Cost: b + 1 constraints.
template NonNegative(b) {
    assert(b >= 0 && b <= 251);
    signal input in;
    signal output out;
    component bits = Bits(b + 1);
    bits.in <== in + (1 << b);
    out <== bits.bits[b];
}

// EqualsZero(): out = 1 if in == 0 else 0 (the inverse trick).
//   input  in    any field element
//   output out   a bit
// Constraint: out = 1 - in * inv and in * out = 0. If in != 0 the second forces out = 0, and then
//   the first forces inv = 1 / in; if in = 0 the first gives out = 1. The witness `inv` is pinned
//   wherever it matters, and out is boolean in both cases. Over the integers the test is exact when
//   |in| < p (the static bounds keep every accumulator below 2^250).
// Cost: 2 constraints.
template EqualsZero() {
    signal input in;
    signal output out;
    signal inv;
    inv <-- in != 0 ? 1 / in : 0;
    out <== 1 - in * inv;
    in * out === 0;
}
