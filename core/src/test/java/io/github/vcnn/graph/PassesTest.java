package io.github.vcnn.graph;

import io.github.vcnn.kernels.Activation;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch-norm folding, activation and residual fusion, and buffer planning change nothing but speed and memory. */
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class PassesTest {
    static final long SEED = io.github.vcnn.testing.TestSeed.SEED;

    @Test
    void optimisedGraphFoldsAndFuses() {
        Graph g = Passes.optimize(TestGraphs.residual(SEED));
        List<String> ops = g.nodes().stream().map(n -> n.op().type()).toList();
        assertEquals(List.of("Conv", "Conv", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm", "Softmax"), ops, g.summary());
        Op.Conv c0 = (Op.Conv) g.nodes().get(0).op();
        assertEquals(Activation.RELU, c0.act().kind(), "conv0 + bn + relu: relu fused");
        Op.Conv c1 = (Op.Conv) g.nodes().get(1).op();
        assertTrue(c1.residual(), "conv1 + add: the skip is the conv's residual input");
        assertEquals(Activation.RELU, c1.act().kind(), "add + relu: relu after the residual, in the conv's epilogue");
        assertEquals(List.of("r0", "w1", "b1", "r0"), g.nodes().get(1).inputs());
        assertEquals(List.of("r1"), g.nodes().get(1).outputs());
        assertTrue(g.constants().keySet().stream().noneMatch(k -> k.startsWith("bn_")), "batch-norm constants dropped: " + g.constants().keySet());
    }

    /**
     * The residual fusion takes a same-shape Add of a conv output with no activation that only the Add reads, and puts the
     * fused node at the Add's place (a shortcut computed after the conv); it leaves broadcasting Adds, constant addends,
     * convs with an activation and conv outputs read twice alone.
     */
    @Test
    void residualAddsFuseOnlyWhereTheyMayAndKeepTheOrder() {
        Graph stage = Passes.optimize(TestGraphs.resnetStage(SEED));
        List<String> names = stage.nodes().stream().map(Node::name).toList();
        assertTrue(names.indexOf("conv4") > names.indexOf("down"), "conv4 reads the shortcut 'down' computed after it: " + names);
        Node conv4 = stage.nodes().get(names.indexOf("conv4"));
        assertTrue(((Op.Conv) conv4.op()).residual(), conv4.toString());
        assertEquals("d", conv4.input(3));
        assertTrue(stage.nodes().stream().noneMatch(n -> n.op() instanceof Op.Binary), stage.summary());

        SplittableRandom r = new SplittableRandom(SEED);
        java.util.Map<String, Tensor> c = new java.util.LinkedHashMap<>();
        c.put("w", TestGraphs.randomTensor(r, 0.2, 4, 4, 3, 3));
        c.put("k", TestGraphs.randomTensor(r, 0.2, 1, 4, 6, 6));
        c.put("row", TestGraphs.randomTensor(r, 0.2, 6));
        Op.Conv plain = TestGraphs.conv3x3();
        List<Node> nodes = List.of(
                new Node("c1", plain, List.of("x", "w"), List.of("y1")),
                new Node("a1", new Op.Binary(true, Act.NONE), List.of("y1", "row"), List.of("s1")),      // broadcasting
                new Node("c2", plain, List.of("s1", "w"), List.of("y2")),
                new Node("a2", new Op.Binary(true, Act.NONE), List.of("y2", "k"), List.of("s2")),        // a constant addend
                new Node("c3", plain.withAct(Act.RELU), List.of("s2", "w"), List.of("y3")),
                new Node("a3", new Op.Binary(true, Act.NONE), List.of("y3", "s2"), List.of("s3")),       // the conv has an activation
                new Node("c4", plain, List.of("s3", "w"), List.of("y4")),
                new Node("a4", new Op.Binary(true, Act.NONE), List.of("y4", "s3"), List.of("s4")),       // y4 is read twice
                new Node("a5", new Op.Binary(true, Act.NONE), List.of("y4", "s4"), List.of("out")));
        Graph g = new Graph(List.of(new Graph.Input("x", new int[]{1, 4, 6, 6}, false, Tensor.Type.FLOAT)), nodes, c, List.of("out"));
        Graph f = Passes.fuseResidualAdds(g);
        assertEquals(g.nodes().size(), f.nodes().size(), f.summary());
        assertTrue(f.nodes().stream().noneMatch(n -> n.op() instanceof Op.Conv cv && cv.residual()), f.summary());
    }

    @Test
    void optimisedEqualsUnoptimisedOnEveryVariant() {
        SplittableRandom r = new SplittableRandom(SEED);
        float[] x = TestGraphs.random(r, 5 * 3 * 8 * 8, 1.0);
        Graph g = TestGraphs.residual(SEED);
        try (CompiledModel ref = CompiledModel.compile(g, CompileOptions.defaults().withKernels(Kernels.scalar()).withOptimize(false))) {
            float[] expected = ref.predict(x);
            for (KernelProvider k : Kernels.available()) {
                try (CompiledModel m = CompiledModel.compile(g, CompileOptions.defaults().withKernels(k))) {
                    float[] y = m.predict(x);
                    for (int i = 0; i < y.length; i++) {
                        assertEquals(expected[i], y[i], 1e-5 + 1e-4 * Math.abs(expected[i]), k.name() + " element " + i + " (seed " + SEED + ")");
                    }
                }
            }
        }
    }

    @Test
    void buffersAreReused() {
        try (CompiledModel m = CompiledModel.compile(TestGraphs.residual(SEED))) {
            Plan p = m.planFor(4);
            assertTrue(p.arenaSize < p.unplannedSize, "arena " + p.arenaSize + " vs " + p.unplannedSize + " without reuse");
            // the residual add + relu runs in the conv's epilogue
            assertTrue(m.summary().contains("+ residual + relu"), m.summary());
        }
    }

    @Test
    void plannerNeverOverlapsLiveBuffers() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(30);
            int[] size = new int[n], first = new int[n], last = new int[n];
            for (int i = 0; i < n; i++) {
                size[i] = 1 + r.nextInt(1000);
                first[i] = r.nextInt(20);
                last[i] = first[i] + r.nextInt(10);
            }
            int[] off = BufferPlanner.plan(size, first, last);
            for (int i = 0; i < n; i++) {
                assertEquals(0, off[i] % BufferPlanner.ALIGN);
                assertTrue(off[i] + size[i] <= off[n]);
                for (int j = i + 1; j < n; j++) {
                    boolean timeOverlap = first[i] <= last[j] && first[j] <= last[i];
                    boolean spaceOverlap = off[i] < off[j] + size[j] && off[j] < off[i] + size[i];
                    assertTrue(!(timeOverlap && spaceOverlap), "buffers " + i + " and " + j + " overlap (seed " + SEED + ")");
                }
            }
        }
    }
}
