pragma circom 2.1.0;

// DotProduct(n): out = sum(a[i] * b[i]) for two vectors of signals (no constant operand).
//   inputs a[n], b[n]; output out
// Used for MatMul and Mul when both operands depend on the input. The result is exact;
// the caller rescales it with Requantize.
// Cost: n constraints (one per product; the sum is linear and free).
template DotProduct(n) {
    signal input a[n];
    signal input b[n];
    signal output out;
    signal p[n];
    var sum = 0;
    for (var i = 0; i < n; i++) {
        p[i] <== a[i] * b[i];
        sum += p[i];
    }
    out <== sum;
}
