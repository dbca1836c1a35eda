pragma circom 2.1.0;
include "bits.circom";
include "compare.circom";

// Divide(sign, b, bd, bq, qlo): out = round(num / den), rounding half up, for den != 0.
//   input  num   an integer (field elements above p/2 are negative)
//   input  den   an integer, nonzero; its sign is `sign` (1: den >= 0, -1: den <= 0, 0: either)
//   output out   the integer q nearest num / den (halves upward): q = floor((2·num·s + |den|) / (2·|den|)), s = sign(den)
// Parameters: sign in {-1, 0, 1}; for sign 0, -2^b <= den < 2^b (b from the static bounds);
//   2·|den| <= 2^bd (bd >= 1); qlo <= q < qlo + 2^bq (bq >= 0, 0: q = qlo); all bits <= 251, and the
//   caller keeps |2·num| + |den| and |q|·2·|den| below 2^250 (the static bounds refuse more).
// Constraint: s = 2·[den >= 0] - 1 (NonNegative, for sign 0) or the constant sign, A = s·den = |den|,
//   N = 2·s·num + A, D = 2·A; N = q·D + r with r and D - 1 - r each decomposed into bd bits, so
//   0 <= r < D over the integers. That forces D >= 1, hence den != 0: a zero divisor has no witness.
//   q - qlo is decomposed into bq bits, so |q·D| < p/2 and N - r = q·D holds over the integers:
//   q is the floor of N / D, unique.
// Cost: (b + 1) + 2 for sign 0 (the sign bit and the products s·den, s·num), then 1 (q·D) + 2·bd + bq.
template Divide(sign, b, bd, bq, qlo) {
    assert(sign == -1 || sign == 0 || sign == 1);
    assert(bd >= 1 && bd <= 251 && bq >= 0 && bq <= 251);
    signal input num;
    signal input den;
    signal output out;

    signal absDen;
    signal signedNum;
    component positive[sign == 0 ? 1 : 0];
    if (sign == 0) {
        positive[0] = NonNegative(b);
        positive[0].in <== den;
        absDen <== (2 * positive[0].out - 1) * den;
        signedNum <== (2 * positive[0].out - 1) * num;
    } else {
        absDen <== sign * den;
        signedNum <== sign * num;
    }

    // Witness only: the floor of N / D, reading N as a signed integer (circom compares signed).
    var n2 = 2 * signedNum + absDen;
    var d2 = 2 * absDen;
    var quotient = 0;
    if (d2 != 0) {
        if (n2 >= 0) {
            quotient = n2 \ d2;
        } else {
            quotient = -((-n2 + d2 - 1) \ d2);
        }
    }
    signal q;
    signal r;
    q <-- quotient;
    r <-- n2 - quotient * d2;
    n2 === q * d2 + r;

    component low = Bits(bd);
    low.in <== r;
    component high = Bits(bd);
    high.in <== d2 - 1 - r;
    component range[bq > 0 ? 1 : 0];
    if (bq > 0) {
        range[0] = Bits(bq);
        range[0].in <== q - qlo;
    } else {
        q === qlo;
    }
    out <== q;
}
