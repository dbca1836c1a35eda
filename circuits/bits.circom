pragma circom 2.1.0;

// Bits(n): little-endian binary decomposition of `in`.
//   input  in       a field element
//   output bits[n]  each bit constrained to {0,1}, and sum(bits[i] * 2^i) === in
// Parameters: 1 <= n <= 252, so every bit vector denotes an integer below the field modulus
// and the decomposition is unique (no aliasing, unlike a full-width Num2Bits(254)).
// Precondition for a satisfying witness: 0 <= in < 2^n. Outside it, no witness exists.
// Cost: n constraints.
template Bits(n) {
    assert(n >= 1 && n <= 252);
    signal input in;
    signal output bits[n];
    var sum = 0;
    var weight = 1;
    for (var i = 0; i < n; i++) {
        bits[i] <-- (in >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * weight;
        weight += weight;
    }
    sum === in;
}
