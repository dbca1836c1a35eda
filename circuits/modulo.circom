pragma circom 2.1.0;
include "bits.circom";
include "compare.circom";

// Modulo(fmod, signNum, bn, signDen, bdn, bd, bq, qlo): the remainder of num by den != 0.
//   fmod 1: C's fmod, out = num - trunc(num / den)·den (the sign of num, |out| < |den|)
//   fmod 0: the floor modulus, out = num - floor(num / den)·den (the sign of den, as Python's %)
//   input  num, den   integers (field elements above p/2 are negative); den != 0
//   output out
// Parameters: signNum / signDen in {-1, 0, 1} (the operand's known sign, 0: either, then
//   -2^bn <= num < 2^bn, -2^bdn <= den < 2^bdn); |den| <= 2^bd; qlo <= q < qlo + 2^bq; all bits <= 251
//   and |num|, |q·den| below 2^250 (the static bounds refuse more).
// Constraint: sd = sign(den) (NonNegative for signDen 0), A = sd·den = |den|; s = sign(num) (fmod)
//   or sd (floor); B = s·num = q·A + m with m and A - 1 - m each decomposed into bd bits, so
//   0 <= m < A over the integers (A >= 1: a zero divisor has no witness) and q - qlo into bq bits, so
//   B - m = q·A holds over the integers: q = floor(B / A) and m = B mod A are unique. out = s·m:
//   fmod: s·(|num| mod |den|), the truncated remainder; floor: sd·((sd·num) mod |den|) = num - floor(num/den)·den.
// Cost: (bdn + 2 for signDen 0) + (for an unknown s: bn + 1 when fmod, + 2 products) + 1 + 2·bd + bq.
template Modulo(fmod, signNum, bn, signDen, bdn, bd, bq, qlo) {
    assert(fmod == 0 || fmod == 1);
    assert(bd >= 1 && bd <= 251 && bq >= 0 && bq <= 251);
    signal input num;
    signal input den;
    signal output out;

    component denSign[signDen == 0 ? 1 : 0];
    var sd = signDen;
    if (signDen == 0) {
        denSign[0] = NonNegative(bdn);
        denSign[0].in <== den;
        sd = 2 * denSign[0].out - 1;
    }
    signal absDen;
    absDen <== sd * den;

    component numSign[fmod == 1 && signNum == 0 ? 1 : 0];
    var s = sd;
    if (fmod == 1) {
        s = signNum;
        if (signNum == 0) {
            numSign[0] = NonNegative(bn);
            numSign[0].in <== num;
            s = 2 * numSign[0].out - 1;
        }
    }
    signal base;
    base <== s * num;

    // Witness only: floor(B / A), reading B as a signed integer.
    var quotient = 0;
    if (absDen != 0) {
        if (base >= 0) {
            quotient = base \ absDen;
        } else {
            quotient = -((-base + absDen - 1) \ absDen);
        }
    }
    signal q;
    signal m;
    q <-- quotient;
    m <-- base - quotient * absDen;
    base === q * absDen + m;

    component low = Bits(bd);
    low.in <== m;
    component high = Bits(bd);
    high.in <== absDen - 1 - m;
    component range[bq > 0 ? 1 : 0];
    if (bq > 0) {
        range[0] = Bits(bq);
        range[0].in <== q - qlo;
    } else {
        q === qlo;
    }
    out <== s * m;
}
