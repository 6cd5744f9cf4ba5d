package io.github.vcnn.onnx;

import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.graph.Graph;
import io.github.vcnn.graph.LayerGraphs;
import io.github.vcnn.graph.Tensor;
import io.github.vcnn.nn.Conv2d;
import io.github.vcnn.nn.Linear;
import io.github.vcnn.nn.Model;
import io.github.vcnn.nn.Parameter;
import io.github.vcnn.nn.Sequential;
import io.github.vcnn.train.Adam;
import io.github.vcnn.train.Dataset;
import io.github.vcnn.train.SoftmaxCrossEntropy;
import io.github.vcnn.train.Trainer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.github.vcnn.onnx.OnnxBuilder.f;
import static io.github.vcnn.onnx.OnnxBuilder.i;
import static io.github.vcnn.onnx.OnnxBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transfer learning from another framework: an imported ONNX model becomes a trainable Sequential with the same
 * outputs, is saved in vcnn's safetensors format, reloads, and fine-tunes with its first layers frozen.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class OnnxToLayersTest {
    static final long SEED = io.github.vcnn.testing.TestSeed.SEED;

    static float[] random(SplittableRandom r, int n, double s) {
        float[] x = new float[n];
        for (int k = 0; k < n; k++) x[k] = (float) (r.nextGaussian() * s);
        return x;
    }

    static void close(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int k = 0; k < expected.length; k++) {
            assertTrue(Math.abs(expected[k] - actual[k]) <= 1e-4 + 1e-3 * Math.abs(expected[k]),
                    what + ": element " + k + " expected " + expected[k] + " got " + actual[k]);
        }
    }

    /** A LeNet-like chain exported "by another framework": Conv + BatchNorm + Relu, MaxPool, Flatten, Gemm (transB 0), Relu, Gemm. */
    static byte[] smallChain(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] var = new float[4], scale = new float[4];
        for (int k = 0; k < 4; k++) {
            var[k] = (float) (0.5 + r.nextDouble());
            scale[k] = (float) (0.5 + r.nextDouble());
        }
        return OnnxBuilder.model().input("x", -1, 1, 12, 12).output("y", -1, 6)
                .init("w", new int[]{4, 1, 3, 3}, random(r, 36, 0.4)).initTyped("b", new int[]{4}, random(r, 4, 0.1))
                .init("s", new int[]{4}, scale).init("beta", new int[]{4}, random(r, 4, 0.1)).init("mean", new int[]{4}, random(r, 4, 0.1))
                .init("var", new int[]{4}, var)
                .init("fc1", new int[]{144, 16}, random(r, 144 * 16, 0.1)).init("fc1b", new int[]{16}, random(r, 16, 0.1))
                .init("fc2", new int[]{6, 16}, random(r, 96, 0.3)).init("fc2b", new int[]{6}, random(r, 6, 0.1))
                .node("Conv", "conv", List.of("x", "w", "b"), List.of("c"), ints("pads", 1, 1, 1, 1))
                .node("BatchNormalization", "bn", List.of("c", "s", "beta", "mean", "var"), List.of("n"), f("epsilon", 1e-5f))
                .node("Relu", "relu", List.of("n"), List.of("r"))
                .node("MaxPool", "pool", List.of("r"), List.of("p"), ints("kernel_shape", 2, 2), ints("strides", 2, 2))
                .node("Flatten", "flat", List.of("p"), List.of("fl"), i("axis", 1))
                .node("Gemm", "fc1", List.of("fl", "fc1", "fc1b"), List.of("h"), f("alpha", 0.5f))
                .node("Relu", "relu2", List.of("h"), List.of("hr"))
                .node("Dropout", "drop", List.of("hr"), List.of("hd"))
                .node("Gemm", "fc2", List.of("hd", "fc2", "fc2b"), List.of("y"), i("transB", 1))
                .bytes();
    }

    @Test
    void chainBecomesASequentialWithTheSameOutputs(@TempDir Path dir) throws Exception {
        Graph g = OnnxImporter.read(smallChain(SEED), "chain.onnx", Map.of());
        Sequential seq = LayerGraphs.toSequential(g).eval();
        // BatchNorm folded into the conv; Dropout dropped: Conv, ReLU, MaxPool, Flatten, Linear, ReLU, Linear.
        assertEquals(7, seq.size(), seq.summary());
        assertTrue(seq.layer(0) instanceof Conv2d && seq.layer(4) instanceof Linear, seq.summary());
        float[] x = random(new SplittableRandom(SEED + 1), 3 * 144, 1.0);
        try (CompiledModel m = CompiledModel.compile(g)) {
            float[] expected = m.predict(x);
            close(expected, seq.forward(x, 3, 1, 12, 12), "Sequential vs compiled ONNX graph");
            Path file = dir.resolve("chain.safetensors");
            seq.save(file);
            Sequential back = Model.load(file).eval();
            assertArrayEquals(seq.forward(x, 3, 1, 12, 12), back.forward(x, 3, 1, 12, 12), "reloaded model differs");
        }
    }

    @Test
    void nonChainsAreRejectedByNode() throws Exception {
        byte[] residual = OnnxBuilder.model().input("x", 1, 4).output("y", 1, 4)
                .node("Relu", "r", List.of("x"), List.of("a")).node("Add", "skip", List.of("a", "x"), List.of("y")).bytes();
        Graph g = OnnxImporter.read(residual, "res.onnx", Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerGraphs.toSequential(g));
        assertTrue(e.getMessage().contains("node 'skip' (Add)"), e.getMessage());
    }

    /** ../shared/reference/onnx-models/lenet: import, convert, check against PyTorch's output, save, reload, fine-tune. */
    @Test
    void leNetFromPyTorchFineTunes(@TempDir Path dir) throws Exception {
        Path lenet = OnnxReferenceTest.shared("onnx-models");
        Assumptions.assumeTrue(lenet != null, "../shared/reference/onnx-models is absent: skipped");
        lenet = lenet.resolve("lenet");
        Graph g = OnnxImporter.load(lenet.resolve("model.onnx"));
        Tensor in = TensorProtos.read(lenet.resolve("test_data_set_0/input_0.pb"));
        float[] expected = TensorProtos.read(lenet.resolve("test_data_set_0/output_0.pb")).floats();

        Sequential seq = LayerGraphs.toSequential(g).eval();
        assertEquals(10, seq.size(), seq.summary());
        close(expected, seq.forward(in.floats(), in.shape()), "Sequential from lenet.onnx vs PyTorch");

        Path file = dir.resolve("lenet.safetensors");
        seq.save(file);
        Sequential model = Model.load(file);
        close(expected, model.eval().forward(in.floats(), in.shape()), "reloaded vcnn safetensors vs PyTorch");

        // Fine-tune the head on a small labelled set with the convolutional features frozen.
        model.freezeFirst(6).train();
        float[] frozenBefore = model.layer(0).parameters().get(0).data().clone();
        Parameter head = model.layer(9).parameters().get(0);
        float[] headBefore = head.data().clone();
        SplittableRandom r = new SplittableRandom(SEED);
        int n = 64;
        float[] images = new float[n * 784];
        int[] labels = new int[n];
        for (int k = 0; k < n; k++) {
            labels[k] = k % 10;
            for (int p = 0; p < 784; p++) images[k * 784 + p] = (float) (r.nextGaussian() * 0.3 + (p % 10 == labels[k] ? 1.0 : 0.0));
        }
        Dataset data = new Dataset(images, labels, 1, 28, 28);
        List<Trainer.EpochResult> hist = new Trainer(model, new SoftmaxCrossEntropy(), new Adam(1e-3)).epochs(4).batchSize(16).seed(SEED).fit(data, data);
        assertArrayEquals(frozenBefore, model.layer(0).parameters().get(0).data(), "frozen conv weights changed");
        assertFalse(java.util.Arrays.equals(headBefore, head.data()), "the head did not train");
        assertTrue(hist.get(hist.size() - 1).loss() < hist.get(0).loss(), "loss did not fall: " + hist);
        // And the fine-tuned model compiles for inference like any other.
        try (CompiledModel m = CompiledModel.compile(model)) {
            close(model.eval().forward(in.floats(), in.shape()), m.predict(in.floats()), "compiled fine-tuned model vs Sequential");
        }
    }
}
