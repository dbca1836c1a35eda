pragma circom 2.1.0;
include "bits.circom";

// ArgMax(n, b, last): out = the index of a largest element of in[n], reading each as an integer.
//   input  in[n]   integers (field elements above p/2 are negative)
//   output out     0 <= out < n
// Parameters: n >= 2; 1 <= b <= 252 with in[j] - in[i] < 2^b for all i, j (b from the static
//   bounds: the bits of the inputs' span); last = 0 picks the first largest element (ONNX's
//   default), last = 1 the last one (select_last_index).
// Constraint: a one-hot selector sel (each boolean, summing to 1) picks m = in[s] with one product
//   per element, and out = sum(i * sel[i]). Then for every i, d_i = m - in[i] - t_i is decomposed
//   into b bits, where t_i = 1 for the elements that must be strictly smaller than m (those before
//   s for last = 0, after s for last = 1) and 0 otherwise; t_i is a prefix/suffix sum of sel, so it
//   costs nothing. d_i in [0, 2^b) means m >= in[i] + t_i over the integers: a negative d_i is a
//   field element near p, which has no b-bit decomposition.
// Precondition for a satisfying witness: the inputs' spread fits b bits (the static bound analysis).
// Cost: n * (b + 2) constraints.
template ArgMax(n, b, last) {
    assert(n >= 2 && b >= 1 && b <= 252 && (last == 0 || last == 1));
    signal input in[n];
    signal output out;

    // Witness only: the chosen index. Circom compares field elements as signed integers.
    var best = 0;
    for (var i = 1; i < n; i++) {
        if (in[i] > in[best] || (last == 1 && in[i] == in[best])) best = i;
    }

    signal sel[n];
    signal picked[n];
    var total = 0;
    var index = 0;
    var m = 0;
    for (var i = 0; i < n; i++) {
        sel[i] <-- i == best ? 1 : 0;
        sel[i] * (sel[i] - 1) === 0;
        picked[i] <== sel[i] * in[i];
        total += sel[i];
        index += i * sel[i];
        m += picked[i];
    }
    total === 1;
    out <== index;

    component d[n];
    var before = 0; // sum of sel[j] for j < i: 1 iff i is after the selected index
    var after = 0;  // sum of sel[j] for j > i: 1 iff i is before the selected index
    for (var i = 0; i < n; i++) after += sel[i];
    for (var i = 0; i < n; i++) {
        after -= sel[i];
        d[i] = Bits(b);
        d[i].in <== m - in[i] - (last == 1 ? before : after);
        before += sel[i];
    }
}
