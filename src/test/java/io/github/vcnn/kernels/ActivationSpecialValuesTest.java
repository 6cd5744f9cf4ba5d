package io.github.vcnn.kernels;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NaN and infinities through activation fwd in every variant, against the scalar reference and against
 * PyTorch's semantics (relu, leaky_relu, sigmoid and clamp all propagate NaN; relu(-inf) = 0).
 * The special values are spread over a length that is not a multiple of any vector width, so both
 * the vector body and the tail of the fast variants see them.
 */
class ActivationSpecialValuesTest {
    private static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            -0f, 0f, 1.5f, -2.25f};
    private static final int LEN = 61;
    private static final List<Epilogue> EPILOGUES = List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.1f),
            Epilogue.SIGMOID, Epilogue.clip(-1f, 6f));

    private static float[] input() {
        float[] x = new float[LEN];
        for (int i = 0; i < LEN; i++) x[i] = SPECIALS[(i * 3) % SPECIALS.length];
        return x;
    }

    /** What PyTorch returns for one element; finite inputs are left to the scalar comparison. */
    private static float torchSpecial(Epilogue act, float z) {
        if (Float.isNaN(z)) return Float.NaN;
        boolean pos = z > 0;
        return switch (act.kind()) {
            case NONE -> z;
            case RELU -> pos ? z : 0f;
            case LEAKY_RELU -> z;                       // +-inf, and alpha * -inf = -inf
            case SIGMOID -> pos ? 1f : 0f;
            case CLIP -> pos ? act.max() : act.min();
        };
    }

    @Test
    void specialValuesMatchScalarAndTorchInEveryVariant() {
        float[] x = input();
        float[] ref = new float[LEN];
        for (Epilogue act : EPILOGUES) {
            Kernels.scalar().activation().fwd(act, x, 0, ref, 0, LEN);
            for (int i = 0; i < LEN; i++) {
                if (!Float.isFinite(x[i])) {
                    assertEquals(torchSpecial(act, x[i]), ref[i], 0f, "scalar " + act + " at " + i + " of x=" + x[i]);
                }
            }
            for (KernelProvider k : Kernels.available()) {
                float[] y = new float[LEN];
                k.activation().fwd(act, x, 0, y, 0, LEN);
                for (int i = 0; i < LEN; i++) {
                    String where = k.name() + " " + act + " at " + i + " of x=" + x[i];
                    if (Float.isNaN(ref[i])) {
                        assertTrue(Float.isNaN(y[i]), where + ": expected NaN, got " + y[i]);
                    } else {
                        assertEquals(ref[i], y[i], 1e-6f * Math.max(1f, Math.abs(ref[i])), where);
                    }
                }
            }
        }
    }
}
