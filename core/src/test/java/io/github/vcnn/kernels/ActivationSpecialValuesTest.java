package io.github.vcnn.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NaN and infinities through activation fwd in every variant, against the scalar reference and against
 * PyTorch's semantics (relu, leaky_relu, sigmoid and clamp all propagate NaN; relu(-inf) = 0); likewise the
 * ReLU fused into the residual add and the dense layer's epilogue.
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
                assertSameAsScalar(k.name() + " activation " + act, ref, y);
            }
        }
    }

    private static void assertSameAsScalar(String what, float[] ref, float[] y) {
        for (int i = 0; i < LEN; i++) {
            if (Float.isNaN(ref[i])) {
                assertTrue(Float.isNaN(y[i]), what + " at " + i + ": expected NaN, got " + y[i]);
            } else {
                assertEquals(ref[i], y[i], 1e-6f * Math.max(1f, Math.abs(ref[i])), what + " at " + i);
            }
        }
    }

    @Test
    void residualAddReluPropagatesNaNInEveryVariant() {
        float[] a = input();
        float[] b = new float[LEN];
        for (KernelProvider k : Kernels.available()) {
            float[] y = new float[LEN];
            k.elementwise().add(a, 0, b, 0, y, 0, LEN, true);
            for (int i = 0; i < LEN; i++) {
                float expected = Float.isNaN(a[i]) ? Float.NaN : a[i] > 0 ? a[i] : 0f;
                assertEquals(expected, y[i], 0f, k.name() + " add+relu at " + i + " of a=" + a[i]);
            }
        }
    }

    @Test
    void denseEpilogueMatchesScalarOnSpecialValues() {
        // y[j] = act(0 * w[j] + bias[j]) = act(bias[j]): the special values enter through the bias
        DenseParams p = new DenseParams(1, 1, LEN);
        float[] x = {0f};
        float[] w = new float[LEN];
        Arrays.fill(w, 1f);
        float[] bias = input();
        for (Epilogue act : EPILOGUES) {
            float[] ref = new float[LEN];
            Kernels.scalar().dense().fwd(p, x, 0, w, 0, bias, 0, act, ref, 0);
            for (KernelProvider k : Kernels.available()) {
                float[] y = new float[LEN];
                k.dense().fwd(p, x, 0, w, 0, bias, 0, act, y, 0);
                assertSameAsScalar(k.name() + " dense " + act, ref, y);
            }
        }
    }

    /** The conv epilogue too: a 1x1 identity convolution passes the special values to the fused activation. */
    @Test
    void convolutionEpilogueMatchesScalarInEveryVariant() {
        int k = 16;                                    // one full channel block in the simd kernel
        ConvParams p = ConvParams.builder().input(1, k, 1, LEN).kernel(k, 1, 1).build();
        float[] x = new float[p.inputSize()];
        for (int c = 0; c < k; c++) System.arraycopy(input(), 0, x, c * LEN, LEN);
        float[] w = new float[p.weightSize()];
        for (int c = 0; c < k; c++) w[c * k + c] = 1f;  // identity weights; 0 * inf = NaN turns infinities into NaN too: what is checked is that NaN survives the epilogue
        for (Epilogue act : EPILOGUES) {
            float[] ref = new float[p.outputSize()];
            Kernels.scalar().activation().fwd(act, x, 0, ref, 0, x.length);
            for (KernelProvider kp : Kernels.available()) {
                float[] y = new float[p.outputSize()];
                kp.conv().fwd(p, x, 0, w, 0, null, 0, act, y, 0);
                for (int i = 0; i < ref.length; i++) {
                    String what = kp.name() + " conv epilogue " + act + " at " + i + " (x=" + x[i] + ")";
                    if (Float.isNaN(ref[i])) assertTrue(Float.isNaN(y[i]), what + ": expected NaN, got " + y[i]);
                }
            }
        }
    }
}
