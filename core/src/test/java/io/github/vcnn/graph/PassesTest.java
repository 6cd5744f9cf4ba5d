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
        assertEquals(List.of("Conv", "Conv", "Add", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm", "Softmax"), ops, g.summary());
        Op.Conv c0 = (Op.Conv) g.nodes().get(0).op();
        assertEquals(Activation.RELU, c0.act().kind(), "conv0 + bn + relu: relu fused");
        Op.Binary add = (Op.Binary) g.nodes().get(2).op();
        assertEquals(Activation.RELU, add.act().kind(), "add + relu fused into the residual kernel");
        assertTrue(g.constants().keySet().stream().noneMatch(k -> k.startsWith("bn_")), "batch-norm constants dropped: " + g.constants().keySet());
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
            // add + relu runs in place over the conv output it consumes
            assertTrue(m.summary().contains("add + relu"), m.summary());
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
