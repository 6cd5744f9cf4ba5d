package io.github.vcnn.graph;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small graphs for the compiler tests, with seeded random weights. */
final class TestGraphs {
    private TestGraphs() {
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    static Tensor randomTensor(SplittableRandom r, double scale, int... shape) {
        return Tensor.wrap(shape, random(r, (int) Tensor.elements(shape), scale));
    }

    static Op.Conv conv3x3() {
        return new Op.Conv(null, new int[]{1, 1}, new int[]{1, 1, 1, 1}, new int[]{1, 1}, 1, Op.AutoPad.NOTSET, Act.NONE);
    }

    /**
     * A residual block: input [N,3,8,8] -> Conv 3->8 + BatchNorm -> Relu -> Conv 8->8 -> Add(skip) -> Relu -> MaxPool 2
     * -> GlobalAveragePool -> Flatten -> Gemm 8->5 -> Softmax. Symbolic batch.
     */
    static Graph residual(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> c = new LinkedHashMap<>();
        c.put("w0", randomTensor(r, 0.3, 8, 3, 3, 3));
        c.put("b0", randomTensor(r, 0.1, 8));
        c.put("bn_s", Tensor.wrap(new int[]{8}, positive(r, 8)));
        c.put("bn_b", randomTensor(r, 0.1, 8));
        c.put("bn_m", randomTensor(r, 0.1, 8));
        c.put("bn_v", Tensor.wrap(new int[]{8}, positive(r, 8)));
        c.put("w1", randomTensor(r, 0.2, 8, 8, 3, 3));
        c.put("b1", randomTensor(r, 0.1, 8));
        c.put("fc_w", randomTensor(r, 0.3, 5, 8));
        c.put("fc_b", randomTensor(r, 0.1, 5));
        List<Node> nodes = List.of(
                new Node("conv0", conv3x3(), List.of("x", "w0", "b0"), List.of("c0")),
                new Node("bn0", new Op.BatchNorm(1e-5f), List.of("c0", "bn_s", "bn_b", "bn_m", "bn_v"), List.of("n0")),
                new Node("relu0", new Op.Unary(Act.RELU, "Relu"), List.of("n0"), List.of("r0")),
                new Node("conv1", conv3x3(), List.of("r0", "w1", "b1"), List.of("c1")),
                new Node("add", new Op.Binary(true, Act.NONE), List.of("c1", "r0"), List.of("a")),
                new Node("relu1", new Op.Unary(Act.RELU, "Relu"), List.of("a"), List.of("r1")),
                new Node("pool", new Op.Pool(true, new int[]{2, 2}, new int[]{2, 2}, new int[4], new int[]{1, 1}, false, false, Op.AutoPad.NOTSET),
                        List.of("r1"), List.of("p")),
                new Node("gap", new Op.GlobalPool(false), List.of("p"), List.of("g")),
                new Node("flat", new Op.Flatten(1), List.of("g"), List.of("f")),
                new Node("fc", new Op.Gemm(1f, 1f, false, true, Act.NONE), List.of("f", "fc_w", "fc_b"), List.of("logits")),
                new Node("softmax", new Op.Softmax(-1, false, false), List.of("logits"), List.of("y")));
        return new Graph(List.of(new Graph.Input("x", new int[]{1, 3, 8, 8}, true, Tensor.Type.FLOAT)), nodes, c, List.of("y"));
    }

    /**
     * A ResNet-like stage with 16- and 32-channel maps (whole channel blocks of 4, 8 and 16 lanes), to exercise the
     * channel-blocked layout: input [N,3,24,24] -> Conv 3->16 + Relu (the RGB layer) -> a basic block 16->16 (two 3x3
     * convs, Add skip, Relu) -> a downsampling block 16->32 (3x3 stride 2 | 1x1 stride 2 shortcut, Add, Relu) -> a fire
     * module 32->16->(16 | 16) with its Concat -> MaxPool 2 -> GlobalAveragePool -> Flatten -> Gemm 32->10. Symbolic batch.
     */
    static Graph resnetStage(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> c = new LinkedHashMap<>();
        int[][] convs = {{16, 3, 3}, {16, 16, 3}, {16, 16, 3}, {32, 16, 3}, {32, 32, 3}, {32, 16, 1}, {16, 32, 1}, {16, 16, 1}, {16, 16, 3}};
        for (int i = 0; i < convs.length; i++) {
            int k = convs[i][0], ch = convs[i][1], rr = convs[i][2];
            c.put("w" + i, randomTensor(r, Math.sqrt(2.0 / (ch * rr * rr)), k, ch, rr, rr));
            c.put("b" + i, randomTensor(r, 0.1, k));
        }
        c.put("fc_w", randomTensor(r, 0.3, 10, 32));
        c.put("fc_b", randomTensor(r, 0.1, 10));
        Op.Conv s2 = new Op.Conv(null, new int[]{2, 2}, new int[]{1, 1, 1, 1}, new int[]{1, 1}, 1, Op.AutoPad.NOTSET, Act.NONE);
        Op.Conv ds = new Op.Conv(null, new int[]{2, 2}, new int[]{0, 0, 0, 0}, new int[]{1, 1}, 1, Op.AutoPad.NOTSET, Act.NONE);
        Op.Conv pw = new Op.Conv(null, new int[]{1, 1}, new int[]{0, 0, 0, 0}, new int[]{1, 1}, 1, Op.AutoPad.NOTSET, Act.NONE);
        Op relu = new Op.Unary(Act.RELU, "Relu");
        List<Node> nodes = List.of(
                new Node("conv0", conv3x3(), List.of("x", "w0", "b0"), List.of("c0")),
                new Node("relu0", relu, List.of("c0"), List.of("a0")),
                new Node("conv1", conv3x3(), List.of("a0", "w1", "b1"), List.of("c1")),
                new Node("relu1", relu, List.of("c1"), List.of("a1")),
                new Node("conv2", conv3x3(), List.of("a1", "w2", "b2"), List.of("c2")),
                new Node("add2", new Op.Binary(true, Act.NONE), List.of("c2", "a0"), List.of("s2")),
                new Node("relu2", relu, List.of("s2"), List.of("a2")),
                new Node("conv3", s2, List.of("a2", "w3", "b3"), List.of("c3")),
                new Node("relu3", relu, List.of("c3"), List.of("a3")),
                new Node("conv4", conv3x3(), List.of("a3", "w4", "b4"), List.of("c4")),
                new Node("down", ds, List.of("a2", "w5", "b5"), List.of("d")),
                new Node("add4", new Op.Binary(true, Act.NONE), List.of("c4", "d"), List.of("s4")),
                new Node("relu4", relu, List.of("s4"), List.of("a4")),
                new Node("squeeze", pw, List.of("a4", "w6", "b6"), List.of("q")),
                new Node("squeeze_relu", relu, List.of("q"), List.of("qr")),
                new Node("expand1", pw, List.of("qr", "w7", "b7"), List.of("e1")),
                new Node("expand1_relu", relu, List.of("e1"), List.of("e1r")),
                new Node("expand3", conv3x3(), List.of("qr", "w8", "b8"), List.of("e3")),
                new Node("expand3_relu", relu, List.of("e3"), List.of("e3r")),
                new Node("concat", new Op.Concat(1), List.of("e1r", "e3r"), List.of("cat")),
                new Node("pool", new Op.Pool(true, new int[]{2, 2}, new int[]{2, 2}, new int[4], new int[]{1, 1}, false, false, Op.AutoPad.NOTSET),
                        List.of("cat"), List.of("p")),
                new Node("gap", new Op.GlobalPool(false), List.of("p"), List.of("g")),
                new Node("flat", new Op.Flatten(1), List.of("g"), List.of("f")),
                new Node("fc", new Op.Gemm(1f, 1f, false, true, Act.NONE), List.of("f", "fc_w", "fc_b"), List.of("y")));
        return new Graph(List.of(new Graph.Input("x", new int[]{1, 3, 24, 24}, true, Tensor.Type.FLOAT)), nodes, c, List.of("y"));
    }

    /**
     * SqueezeNet's fire module on a map large enough that its convs split over 2 and 3 threads inside one image: input
     * [N,4,48,48] -> squeeze Conv 1x1 4->8 + Relu -> (Conv 1x1 8->16 + Relu | Conv 3x3 8->12 + Relu) -> Concat on the
     * channels, the output. Symbolic batch.
     */
    static Graph fire(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> c = new LinkedHashMap<>();
        c.put("ws", randomTensor(r, 0.4, 8, 4, 1, 1));
        c.put("bs", randomTensor(r, 0.1, 8));
        c.put("w1", randomTensor(r, 0.3, 16, 8, 1, 1));
        c.put("b1", randomTensor(r, 0.1, 16));
        c.put("w3", randomTensor(r, 0.2, 12, 8, 3, 3));
        c.put("b3", randomTensor(r, 0.1, 12));
        Op.Conv pointwise = new Op.Conv(null, new int[]{1, 1}, new int[]{0, 0, 0, 0}, new int[]{1, 1}, 1, Op.AutoPad.NOTSET, Act.NONE);
        List<Node> nodes = List.of(
                new Node("squeeze", pointwise, List.of("x", "ws", "bs"), List.of("s")),
                new Node("squeeze_relu", new Op.Unary(Act.RELU, "Relu"), List.of("s"), List.of("sr")),
                new Node("expand1", pointwise, List.of("sr", "w1", "b1"), List.of("e1")),
                new Node("expand1_relu", new Op.Unary(Act.RELU, "Relu"), List.of("e1"), List.of("e1r")),
                new Node("expand3", conv3x3(), List.of("sr", "w3", "b3"), List.of("e3")),
                new Node("expand3_relu", new Op.Unary(Act.RELU, "Relu"), List.of("e3"), List.of("e3r")),
                new Node("concat", new Op.Concat(1), List.of("e1r", "e3r"), List.of("y")));
        return new Graph(List.of(new Graph.Input("x", new int[]{1, 4, 48, 48}, true, Tensor.Type.FLOAT)), nodes, c, List.of("y"));
    }

    private static float[] positive(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.5 + r.nextDouble());
        return v;
    }
}
