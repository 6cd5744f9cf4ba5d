package io.github.vcnn.kernels;

/**
 * The argument checks of {@link ConvKernels}, one method per entry point, shared by every variant so that
 * all reject bad input with the same message, naming the argument first, before anything is written.
 * A passing call allocates nothing (shape descriptions are built only on failure). Outputs must not overlap inputs
 * (see {@link ConvParams} for the per-kernel rules): checked by identity plus range overlap, the same for every variant.
 */
public final class ConvChecks {
    private ConvChecks() {
    }

    public static void pack(ConvParams p, float[] w, int wOff) {
        Checks.notNull("params", p);
        Checks.array("w", w, wOff, p.weightSize(), "weights [K][C/groups][R][S]", p);
    }

    /**
     * {@code into} must come from {@code variant}, fit {@code p} and hold exactly {@code packedLength} values
     * (the length the variant's {@code pack} gives {@code p}); {@code w} must hold the weights.
     */
    public static void repack(String variant, ConvParams p, float[] w, int wOff, PackedConvWeights into, long packedLength) {
        pack(p, w, wOff);
        Checks.notNull("into (packed weights)", into).checkFor(variant, p);
        if (into.size() != packedLength) {
            throw new IllegalArgumentException("into (packed weights) holds " + into.size() + " values, the '" + variant
                    + "' layout of " + p + " needs " + packedLength);
        }
    }

    /** {@code variant} is the provider name the packed weights must come from. */
    public static void fwd(String variant, ConvParams p, float[] x, int xOff, PackedConvWeights packed,
                           float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, p.inputSize(), "input [N][C][H][W]", p);
        Checks.notNull("w (packed weights)", packed).checkFor(variant, p);
        Checks.optionalArray("bias", bias, biasOff, p.k(), "bias [K]", p);
        Checks.notNull("act (epilogue)", act);
        Checks.array("y", y, yOff, p.outputSize(), "output [N][K][outH][outW]", p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "x", x, xOff, p.inputSize(), p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "bias", bias, biasOff, p.k(), p);
    }

    /**
     * The checks of a forward with layouts on a variant with {@code lanes} block lanes: both layouts
     * ({@link BlockedLayouts#layout}), then those of {@link #fwd}, then the thread count.
     */
    public static void fwd(String variant, int lanes, ConvParams p, Layout xLayout, float[] x, int xOff, PackedConvWeights packed,
                           float[] bias, int biasOff, Epilogue act, Layout yLayout, float[] y, int yOff, int threads) {
        Checks.notNull("params", p);
        BlockedLayouts.layout("xLayout", xLayout, p.c(), lanes, variant);
        BlockedLayouts.layout("yLayout", yLayout, p.k(), lanes, variant);
        fwd(variant, p, x, xOff, packed, bias, biasOff, act, y, yOff);
        Checks.positive("threads", threads, "intra-op threads");
    }

    /** A residual added before the activation: the output's size, and not overlapping {@code y}. */
    public static void residual(ConvParams p, float[] residual, int residualOff, float[] y, int yOff) {
        Checks.notNull("params", p);
        Checks.array("residual", residual, residualOff, p.outputSize(), "residual, the output's shape", p);
        Checks.array("y", y, yOff, p.outputSize(), "output", p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "residual", residual, residualOff, p.outputSize(), p);
    }

    public static void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        Checks.notNull("params", p);
        Checks.array("dz", dz, dzOff, p.outputSize(), "output gradient [N][K][outH][outW]", p);
        Checks.array("w", w, wOff, p.weightSize(), "weights [K][C/groups][R][S]", p);
        Checks.array("dx", dx, dxOff, p.inputSize(), "input gradient [N][C][H][W]", p);
        Checks.disjoint("dx", dx, dxOff, p.inputSize(), "dz", dz, dzOff, p.outputSize(), p);
        Checks.disjoint("dx", dx, dxOff, p.inputSize(), "w", w, wOff, p.weightSize(), p);
    }

    public static void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff,
                                  float[] db, int dbOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, p.inputSize(), "input [N][C][H][W]", p);
        Checks.array("dz", dz, dzOff, p.outputSize(), "output gradient [N][K][outH][outW]", p);
        Checks.array("dw", dw, dwOff, p.weightSize(), "weight gradient [K][C/groups][R][S]", p);
        Checks.optionalArray("db", db, dbOff, p.k(), "bias gradient [K]", p);
        Checks.disjoint("dw", dw, dwOff, p.weightSize(), "x", x, xOff, p.inputSize(), p);
        Checks.disjoint("dw", dw, dwOff, p.weightSize(), "dz", dz, dzOff, p.outputSize(), p);
        Checks.disjoint("db", db, dbOff, p.k(), "x", x, xOff, p.inputSize(), p);
        Checks.disjoint("db", db, dbOff, p.k(), "dz", dz, dzOff, p.outputSize(), p);
        Checks.disjoint("db", db, dbOff, p.k(), "dw", dw, dwOff, p.weightSize(), p);
    }
}
