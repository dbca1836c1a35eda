pragma circom 2.1.0;
include "poseidon.circom";

// Commitments to quantized tensors (scheme zkml-poseidon-chain/1, see docs/commitments.md).
// The same computation off-circuit is src/commit/scheme.ts (circomlibjs Poseidon).

// Pack(n, w, lo, per): packs n elements, each known to lie in [lo, lo + 2^w), into
// ceil(n / per) field elements: word j = sum_k (in[j*per + k] - lo) * 2^(w*k), per*w <= 252 bits,
// so no word wraps the field and the packing is injective on the elements' range.
//   input in[n]; output out[ceil(n/per)]
// The range is NOT checked here: callers pass signals whose range the circuit already pins
// (range-checked inputs, outputs of bounded rescales or linear combinations of them).
// Cost: 0 constraints (linear; folded into the hash inputs by --O2).
template Pack(n, w, lo, per) {
    assert(per >= 1 && per * w <= 252);
    var nWords = (n + per - 1) \ per;
    signal input in[n];
    signal output out[nWords];
    for (var j = 0; j < nWords; j++) {
        var acc = 0;
        var shift = 1;
        for (var k = 0; k < per && j * per + k < n; k++) {
            acc += (in[j * per + k] - lo) * shift;
            shift *= 2 ** w;
        }
        out[j] <== acc;
    }
}

// PoseidonChain(n): h = salt; for each block b of up to 15 words, h = Poseidon(1 + |b|)([h, b...]);
// out = h. The last block uses the smaller arity it needs. n >= 1.
//   input salt, in[n]; output out
// Cost: sum over blocks of circomlib Poseidon(1 + |b|) (3 * (8 t + P_t) constraints, t = 2 + |b|).
template PoseidonChain(n) {
    assert(n >= 1);
    signal input salt;
    signal input in[n];
    signal output out;
    var nFull = (n - 1) \ 15;
    var last = n - 15 * nFull;
    component full[nFull];
    signal h[nFull + 1];
    h[0] <== salt;
    for (var b = 0; b < nFull; b++) {
        full[b] = Poseidon(16);
        full[b].inputs[0] <== h[b];
        for (var k = 0; k < 15; k++) full[b].inputs[1 + k] <== in[15 * b + k];
        h[b + 1] <== full[b].out;
    }
    component tail = Poseidon(1 + last);
    tail.inputs[0] <== h[nFull];
    for (var k = 0; k < last; k++) tail.inputs[1 + k] <== in[15 * nFull + k];
    out <== tail.out;
}
