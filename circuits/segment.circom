pragma circom 2.1.0;
include "bits.circom";

// Segment(n, b, lo, hi, alpha, beta): a piecewise-linear function by segment selection,
//   out = alpha[j] + beta[j] * in   for the one segment j with lo[j] <= in <= hi[j].
//   input  in      an integer (field elements above p/2 are negative)
//   output out     alpha[j] + beta[j] * in
// Parameters: n >= 1 segments given as integer arrays lo[n], hi[n], alpha[n], beta[n], with
//   lo[j] <= hi[j] and lo[j + 1] = hi[j] + 1 (disjoint, consecutive, covering [lo[0], hi[n - 1]]);
//   1 <= b <= 250 with hi[j] - lo[j] < 2^b for every j (b from the widest segment).
// Constraint: a one-hot selector sel (each boolean, summing to 1) picks L = sum(sel * lo) and
//   H = sum(sel * hi) (linear); in - L and H - in are each decomposed into b bits, so
//   L <= in <= H over the integers (a negative difference is a field element near p, which has
//   no b-bit decomposition): the segment is the one containing in, hence unique. Then
//   out = sum(sel * alpha) + in * sum(sel * beta): one product, so out is fixed by in.
// Precondition for a satisfying witness: lo[0] <= in <= hi[n - 1] (the static bounds of in; the
//   caller's bound analysis guarantees it). Outside it, no witness exists.
// Cost: n + 2b + 1 constraints for n >= 2, 2b + 1 for n = 1 (sel is then the constant 1);
//   a relu per breakpoint instead costs about (n - 1) * (m + 2) for m-bit inputs.
template Segment(n, b, lo, hi, alpha, beta) {
    assert(n >= 1 && b >= 1 && b <= 250);
    for (var j = 0; j < n; j++) {
        assert(lo[j] <= hi[j] && hi[j] - lo[j] < (1 << b));
        if (j > 0) assert(lo[j] == hi[j - 1] + 1);
    }
    signal input in;
    signal output out;

    // Witness only: the segment holding in. Circom compares field elements as signed integers.
    var chosen = 0;
    for (var j = 0; j < n; j++) {
        if (in >= lo[j] && in <= hi[j]) chosen = j;
    }

    signal sel[n];
    var total = 0;
    var low = 0;
    var high = 0;
    var base = 0;
    var slope = 0;
    for (var j = 0; j < n; j++) {
        sel[j] <-- j == chosen ? 1 : 0;
        sel[j] * (sel[j] - 1) === 0;
        total += sel[j];
        low += sel[j] * lo[j];
        high += sel[j] * hi[j];
        base += sel[j] * alpha[j];
        slope += sel[j] * beta[j];
    }
    total === 1;

    component above = Bits(b);
    above.in <== in - low;
    component below = Bits(b);
    below.in <== high - in;

    signal product;
    product <== in * slope;
    out <== base + product;
}
