package io.github.vcnn.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The species every SIMD kernel uses and the vector helpers they share (a polynomial exp).
 * Helpers that take or return vectors must stay small: a vector passed to a method C2 does not inline is boxed.
 *
 * <p>The species is the machine's preferred one (512-bit on AVX-512, 256 on AVX2, ...); the kernels
 * are written for any lane count, so class initialisation never fails on a narrow machine.
 */
final class SimdMath {
    private SimdMath() {
    }

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Integer species with as many lanes as {@link #F} (argmax indices, exponent bits). */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final int VL = F.length();

    // exp(x) = 2^n * e^r with n = round(x / ln2), r = x - n ln2 in [-ln2/2, ln2/2] (Cody-Waite split of ln2).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    // Beyond these float exp overflows to +inf / underflows below the smallest normal; clamping keeps 2^n normal.
    private static final float EXP_HI = 88.3762626647949f;
    private static final float EXP_LO = -87.3365447505531f;
    // Minimax polynomial for e^r on [-ln2/2, ln2/2] (Cephes expf coefficients), relative error ~1e-7.
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;
    private static final float ROUND_MAGIC = 12582912f; // 1.5 * 2^23
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);

    /**
     * e^x lanewise, within ~2 ulp for x in [-87.3, 88.4]; larger x give FLT_MAX-ish values
     * (3.4e38 rather than +inf), smaller x give ~1.2e-38 rather than 0; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        // clamp by compare + blend (Java's max/min semantics cost several instructions on x86); NaN compares false, stays NaN
        FloatVector xc = x.blend(EXP_LO, x.compare(VectorOperators.LT, EXP_LO));
        xc = xc.blend(EXP_HI, xc.compare(VectorOperators.GT, EXP_HI));
        // round(x / ln2) by the 1.5 * 2^23 trick: the sum's low mantissa bits hold the rounded integer
        FloatVector t = xc.mul(LOG2E).add(ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, P0).fma(r, FloatVector.broadcast(F, P1))
                .fma(r, FloatVector.broadcast(F, P2))
                .fma(r, FloatVector.broadcast(F, P3))
                .fma(r, FloatVector.broadcast(F, P4))
                .fma(r, FloatVector.broadcast(F, P5));
        FloatVector r2 = r.mul(r);
        FloatVector er = p.fma(r2, r).add(1f); // 1 + r + r^2 * p(r)
        // 2^n from the same bits: n + 127 in [1, 254] after the clamp, shifted into the exponent field
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return er.mul(bits.reinterpretAsFloats());
    }

    /** 1 / (1 + e^-z) lanewise. */
    static FloatVector sigmoid(FloatVector z) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        return one.div(one.add(exp(z.neg())));
    }

    /**
     * Rotations by VL/2, VL/4, ..., 1 lanes: adding each rotation of v to v folds the lanes pairwise,
     * so after log2(VL) steps every lane holds the sum, always added in the same order.
     */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(VL); // VL is a power of two for every species
        VectorShuffle<Float>[] folds = new VectorShuffle[steps];
        for (int k = 0, step = VL / 2; k < steps; k++, step /= 2) folds[k] = VectorShuffle.iota(F, step, 1, true);
        return folds;
    }

    /**
     * Sum of all lanes, for the once-per-row/plane reductions, in a fixed order: lane i pairs with
     * lane i + VL/2, then + VL/4, ... (a tree). Not {@code reduceLanes(ADD)}, whose float order may
     * differ between the interpreter and C2 and so made the same call round differently before and after
     * JIT compilation (training was not bit-reproducible).
     */
    static double sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
        return v.lane(0);
    }
}
