pragma circom 2.1.0;
include "bits.circom";

// RangeCheck(n, lo): proves lo <= in < lo + 2^n, reading `in` as an integer.
//   input in
// Parameters: 0 <= n <= 252; lo any integer (a negative lo is p + lo in the field).
// n = 0 means the value is the constant lo: then in === lo.
// Used for private (and public) circuit inputs, sized by the quantizer's declared input range.
// Cost: n constraints.
template RangeCheck(n, lo) {
    signal input in;
    if (n == 0) {
        in === lo;
    } else {
        component b = Bits(n);
        b.in <== in - lo;
    }
}
