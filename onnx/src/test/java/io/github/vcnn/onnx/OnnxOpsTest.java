package io.github.vcnn.onnx;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.graph.Graph;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.github.vcnn.onnx.OnnxBuilder.f;
import static io.github.vcnn.onnx.OnnxBuilder.i;
import static io.github.vcnn.onnx.OnnxBuilder.ints;
import static io.github.vcnn.onnx.OnnxBuilder.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operator forms the ONNX node tests of ../shared do not cover (1-D and grouped/dilated convolution, SAME_LOWER, dilated
 * pooling, broadcasting, batched MatMul, Transpose, Constant, opset-11 Softmax, Reshape keeping the batch), against
 * plain double-precision loops, on every kernel variant.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class OnnxOpsTest {
    static final long SEED = io.github.vcnn.testing.TestSeed.SEED;

    static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int k = 0; k < n; k++) x[k] = (float) r.nextGaussian();
        return x;
    }

    /** Runs a single-input model on every kernel variant and compares with {@code expected}. */
    static void check(byte[] model, float[] x, double[] expected) throws Exception {
        Graph g = OnnxImporter.read(model, "op.onnx", Map.of());
        for (KernelProvider k : Kernels.available()) {
            try (CompiledModel m = CompiledModel.compile(g, CompileOptions.defaults().withKernels(k))) {
                float[] y = m.run(m.declaredBatch(), x)[0];
                assertEquals(expected.length, y.length);
                for (int e = 0; e < y.length; e++) {
                    assertTrue(Math.abs(y[e] - expected[e]) <= 1e-4 + 1e-3 * Math.abs(expected[e]),
                            k.name() + ": element " + e + " expected " + expected[e] + " got " + y[e] + " (seed " + SEED + ")");
                }
            }
        }
    }

    @Test
    void conv1dGroupedDilatedStridedAsymmetric() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        int n = 2, c = 4, w = 11, k = 6, groups = 2, s = 3, stride = 2, dil = 2, pl = 2, pr = 1;
        float[] x = random(r, n * c * w), wt = random(r, k * (c / groups) * s), b = random(r, k);
        int ow = (w + pl + pr - dil * (s - 1) - 1) / stride + 1;
        double[] ref = new double[n * k * ow];
        for (int in = 0; in < n; in++) for (int o = 0; o < k; o++) for (int j = 0; j < ow; j++) {
            int g = o / (k / groups);
            double acc = b[o];
            for (int ci = 0; ci < c / groups; ci++) for (int t = 0; t < s; t++) {
                int pos = j * stride + t * dil - pl;
                if (pos >= 0 && pos < w) acc += x[(in * c + g * (c / groups) + ci) * w + pos] * wt[(o * (c / groups) + ci) * s + t];
            }
            ref[(in * k + o) * ow + j] = Math.max(acc, 0);
        }
        byte[] m = OnnxBuilder.model().input("x", n, c, w).output("y", n, k, ow).init("w", new int[]{k, c / groups, s}, wt).init("b", new int[]{k}, b)
                .node("Conv", "c", List.of("x", "w", "b"), List.of("z"), ints("strides", stride), ints("dilations", dil), ints("pads", pl, pr), i("group", groups))
                .node("Relu", List.of("z"), List.of("y")).bytes();
        check(m, x, ref);
    }

    @Test
    void conv2dSameLowerWithReLU6() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        int c = 2, h = 6, w = 7, k = 3;
        float[] x = random(r, c * h * w), wt = random(r, k * c * 4);
        // 2x2 kernel, stride 1, SAME_LOWER: the odd padding goes at the beginning (top/left).
        double[] ref = new double[k * h * w];
        for (int o = 0; o < k; o++) for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) {
            double acc = 0;
            for (int ci = 0; ci < c; ci++) for (int a = 0; a < 2; a++) for (int bb = 0; bb < 2; bb++) {
                int ih = i + a - 1, iw = j + bb - 1;
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) acc += x[(ci * h + ih) * w + iw] * wt[((o * c + ci) * 2 + a) * 2 + bb];
            }
            ref[(o * h + i) * w + j] = Math.min(Math.max(acc, 0), 6);
        }
        byte[] m = OnnxBuilder.model().input("x", 1, c, h, w).output("y", 1, k, h, w).init("w", new int[]{k, c, 2, 2}, wt)
                .init("lo", new int[0], 0f).init("hi", new int[0], 6f)
                .node("Conv", "c", List.of("x", "w"), List.of("z"), s("auto_pad", "SAME_LOWER"))
                .node("Clip", List.of("z", "lo", "hi"), List.of("y")).bytes();
        check(m, x, ref);
    }

    @Test
    void dilatedMaxPoolAndCeilAveragePool() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 2);
        int c = 3, h = 9, w = 8;
        float[] x = random(r, c * h * w);
        // MaxPool 3x3, dilation 2, stride 1, pad 1: out = 9 + 2 - 5 + 1 = 7 rows, 8 + 2 - 5 + 1 = 6 cols.
        int oh = 7, ow = 6;
        double[] ref = new double[c * oh * ow];
        for (int ch = 0; ch < c; ch++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < 3; a++) for (int bb = 0; bb < 3; bb++) {
                int ih = i - 1 + 2 * a, iw = j - 1 + 2 * bb;
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) mx = Math.max(mx, x[(ch * h + ih) * w + iw]);
            }
            ref[(ch * oh + i) * ow + j] = mx;
        }
        byte[] m = OnnxBuilder.model().input("x", 1, c, h, w).output("y", 1, c, oh, ow)
                .node("MaxPool", "mp", List.of("x"), List.of("y"), ints("kernel_shape", 3, 3), ints("dilations", 2, 2), ints("pads", 1, 1, 1, 1)).bytes();
        check(m, x, ref);

        // AveragePool 3x3 stride 2, ceil mode, count_include_pad, pad 1: windows clipped to the padded input.
        int ah = (h + 2 - 3 + 1) / 2 + 1, aw = (w + 2 - 3 + 1) / 2 + 1;
        if ((ah - 1) * 2 >= h + 1) ah--;
        if ((aw - 1) * 2 >= w + 1) aw--;
        double[] avg = new double[c * ah * aw];
        for (int ch = 0; ch < c; ch++) for (int i = 0; i < ah; i++) for (int j = 0; j < aw; j++) {
            int h0 = i * 2 - 1, w0 = j * 2 - 1, h1 = Math.min(h0 + 3, h + 1), w1 = Math.min(w0 + 3, w + 1);
            double sum = 0;
            for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) {
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) sum += x[(ch * h + ih) * w + iw];
            }
            avg[(ch * ah + i) * aw + j] = sum / ((h1 - h0) * (w1 - w0));
        }
        byte[] a = OnnxBuilder.model().input("x", 1, c, h, w).output("y", 1, c, ah, aw)
                .node("AveragePool", "ap", List.of("x"), List.of("y"), ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1),
                        i("ceil_mode", 1), i("count_include_pad", 1)).bytes();
        check(a, x, avg);
    }

    @Test
    void broadcastingMulAddAndTranspose() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 3);
        int n = 2, c = 3, h = 4, w = 5;
        float[] x = random(r, n * c * h * w), scale = random(r, c), row = random(r, h);
        // y = transpose(x * scale[c,1,1] + row[h,1], perm 0,2,3,1)
        double[] ref = new double[n * h * w * c];
        for (int a = 0; a < n; a++) for (int ch = 0; ch < c; ch++) for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) {
            double v = x[((a * c + ch) * h + i) * w + j] * (double) scale[ch] + row[i];
            ref[((a * h + i) * w + j) * c + ch] = v;
        }
        byte[] m = OnnxBuilder.model().input("x", n, c, h, w).output("y", n, h, w, c)
                .init("scale", new int[]{c, 1, 1}, scale).init("row", new int[]{h, 1}, row)
                .node("Mul", List.of("x", "scale"), List.of("m")).node("Add", List.of("row", "m"), List.of("s"))
                .node("Transpose", List.of("s"), List.of("y"), ints("perm", 0, 2, 3, 1)).bytes();
        check(m, x, ref);
    }

    @Test
    void batchedMatMulBothPaths() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 4);
        float[] a = random(r, 2 * 3 * 4 * 5), b = random(r, 5 * 6), b3 = random(r, 3 * 5 * 6);
        double[] ref = new double[2 * 3 * 4 * 6], ref3 = new double[2 * 3 * 4 * 6];
        for (int p = 0; p < 2; p++) for (int q = 0; q < 3; q++) for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) {
            double acc = 0, acc3 = 0;
            for (int t = 0; t < 5; t++) {
                double av = a[((p * 3 + q) * 4 + i) * 5 + t];
                acc += av * b[t * 6 + j];
                acc3 += av * b3[(q * 5 + t) * 6 + j];
            }
            ref[((p * 3 + q) * 4 + i) * 6 + j] = acc;
            ref3[((p * 3 + q) * 4 + i) * 6 + j] = acc3;
        }
        // constant 2-D B: packed once, a dense layer over 24 rows
        check(OnnxBuilder.model().input("a", 2, 3, 4, 5).output("y", 2, 3, 4, 6).init("b", new int[]{5, 6}, b)
                .node("MatMul", List.of("a", "b"), List.of("y")).bytes(), a, ref);
        // constant [3,5,6] B broadcast over dimension 0: one sgemm per matrix
        check(OnnxBuilder.model().input("a", 2, 3, 4, 5).output("y", 2, 3, 4, 6).init("b", new int[]{3, 5, 6}, b3)
                .node("MatMul", List.of("a", "b"), List.of("y")).bytes(), a, ref3);
    }

    @Test
    void opset11SoftmaxCoercesToTwoDimensions() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 5);
        float[] x = random(r, 2 * 3 * 4);
        double[] ref = new double[24];
        for (int row = 0; row < 2; row++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < 12; k++) max = Math.max(max, x[row * 12 + k]);
            for (int k = 0; k < 12; k++) sum += Math.exp(x[row * 12 + k] - max);
            for (int k = 0; k < 12; k++) ref[row * 12 + k] = Math.exp(x[row * 12 + k] - max) / sum;
        }
        check(OnnxBuilder.model().opset(11).input("x", 2, 3, 4).output("y", 2, 3, 4).node("Softmax", List.of("x"), List.of("y"), i("axis", 1)).bytes(), x, ref);
    }

    @Test
    void constantConcatAndReshapeKeepTheBatch() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 6);
        float[] x = random(r, 2 * 2 * 3);
        io.github.vcnn.onnx.proto.OnnxProto.TensorProto ones = OnnxBuilder.floats("", new int[]{1, 1, 3}, new float[]{1, 2, 3}, false);
        byte[] m = OnnxBuilder.model().input("x", 2, 2, 3).output("y", 2, 9)
                .initLongs("shape", new int[]{2}, 0, -1)
                .node("Constant", List.of(), List.of("k"), OnnxBuilder.t("value", ones))
                .node("Expand", List.of("k"), List.of("never")) // its result is unused, but the op is still unsupported
                .bytes();
        // An unsupported op fails even when its result is unused: the import is all or nothing.
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OnnxImporter.read(m, "x.onnx", Map.of()));
        assertTrue(e.getMessage().contains("Expand"), e.getMessage());

        // concat([x, k broadcast by Add with zeros], axis 1) then reshape to [0, -1]
        byte[] ok = OnnxBuilder.model().input("x", 2, 2, 3).output("y", 2, 9)
                .initLongs("shape", new int[]{2}, 0, -1).init("zeros", new int[]{2, 1, 3}, new float[6])
                .node("Constant", List.of(), List.of("k"), OnnxBuilder.t("value", ones))
                .node("Add", List.of("zeros", "k"), List.of("kk"))
                .node("Concat", List.of("x", "kk"), List.of("cat"), i("axis", 1))
                .node("Reshape", List.of("cat", "shape"), List.of("y")).bytes();
        double[] ref = new double[18];
        for (int a = 0; a < 2; a++) {
            for (int k = 0; k < 6; k++) ref[a * 9 + k] = x[a * 6 + k];
            for (int k = 0; k < 3; k++) ref[a * 9 + 6 + k] = k + 1;
        }
        check(ok, x, ref);
        try (CompiledModel cm = CompiledModel.compile(OnnxImporter.read(ok, "ok.onnx", Map.of()))) {
            assertFalse(cm.anyBatch(), "the constant rows of the concat are per declared sample");
        }
    }

    @Test
    void leakyReluWithANegativeSlopeUsesThePlainLoop() throws Exception {
        float[] x = {-2f, -0.5f, 0f, 1.5f};
        double[] ref = {1.0, 0.25, 0.0, 1.5};
        check(OnnxBuilder.model().input("x", 1, 4).output("y", 1, 4).node("LeakyRelu", List.of("x"), List.of("y"), f("alpha", -0.5f)).bytes(), x, ref);
    }
}
