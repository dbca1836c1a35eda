pragma circom 2.1.0;

// One(): out = 1, held in a signal that circom's simplifier cannot see is a constant.
//   output out   1
// Why: --O2 substitutes every linear constraint into the constraints that use its signals, so a
//   long sum (a neuron's dot product, a convolution output) fed to a rescale would be copied into
//   the A and B rows of its bit constraints. The emitter writes such a sum once as acc * one === sum:
//   quadratic to circom, so it is kept, and the sum sits in C of that one constraint.
// Constraint: out * inv === 1 (out is not 0) and out * out === out (out is 0 or 1), so out = 1
//   and inv = 1: the witness is unique.
// Cost: 2 constraints.
template One() {
    signal output out;
    signal inv;
    out <-- 1;
    inv <-- 1;
    out * inv === 1;
    out * out === out;
}
