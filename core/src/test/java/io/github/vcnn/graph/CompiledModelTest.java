package io.github.vcnn.graph;

import io.github.vcnn.nn.Architectures;
import io.github.vcnn.nn.Sequential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compiled model as a service uses it: many threads at once, bit-identical to serial, no allocation after warm-up,
 * bounded scratch for virtual threads, clear errors for bad input without damage.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class CompiledModelTest {
    static final long SEED = io.github.vcnn.testing.TestSeed.SEED;
    static CompiledModel lenet;
    static Sequential source;

    @BeforeAll
    static void compileLeNet() {
        System.out.println("CompiledModelTest seed=" + SEED + " (replay with -Dvcnn.test.seed=" + SEED + ")");
        source = Architectures.leNetFm(10, SEED);
        lenet = CompiledModel.compile(source);
    }

    @AfterAll
    static void close() {
        lenet.close();
    }

    static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void describesItself() {
        assertEquals(784, lenet.inputSize());
        assertEquals(10, lenet.outputSize());
        assertTrue(lenet.anyBatch());
        String s = lenet.summary();
        assertTrue(s.contains("relu"), s);
        assertTrue(s.contains("arena"), s);
        // Conv+ReLU and Linear+ReLU fused, Flatten and Dropout free: conv, pool, conv, pool, dense, dense.
        assertEquals(6, s.lines().filter(l -> l.startsWith("  ")).count(), s);
    }

    /**
     * The weights are packed for the declared shape, so the algorithm is the one the kernel picks for that convolution
     * (a placeholder image of the kernel's size made every conv direct: ResNet-18 ran without Winograd), and the
     * result equals the kernel's own call on those weights bit for bit.
     */
    @Test
    void packsForTheDeclaredShape() {
        SplittableRandom r = new SplittableRandom(SEED);
        int c = 64, k = 64, h = 28;
        Map<String, Tensor> consts = new java.util.LinkedHashMap<>();
        consts.put("w", TestGraphs.randomTensor(r, 0.05, k, c, 3, 3));
        Graph g = new Graph(List.of(new Graph.Input("x", new int[]{1, c, h, h}, true, Tensor.Type.FLOAT)),
                List.of(new Node("conv", TestGraphs.conv3x3(), List.of("x", "w"), List.of("y"))), consts, List.of("y"));
        io.github.vcnn.kernels.ConvParams p = new io.github.vcnn.kernels.ConvParams(1, c, h, h, k, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        float[] x = random(r, c * h * h);
        for (io.github.vcnn.kernels.KernelProvider kp : io.github.vcnn.kernels.Kernels.available()) {
            io.github.vcnn.kernels.PackedConvWeights w = kp.conv().pack(p, consts.get("w").floatsView(), 0);
            if (kp.name().equals("simd") && io.github.vcnn.kernels.simd.conv.WinogradConv.enabled()) {
                assertTrue(w.isWinograd(), "simd packs a 3x3 64->64 conv on 28x28 for Winograd: " + w.algorithm());
            }
            try (CompiledModel m = CompiledModel.compile(g, CompileOptions.defaults().withKernels(kp))) {
                assertTrue(m.summary().contains("[" + w.algorithm()), kp.name() + ": " + m.summary());
                float[] expected = new float[k * h * h];
                kp.conv().fwd(p, x, 0, w, null, 0, io.github.vcnn.kernels.Epilogue.NONE, expected, 0);
                assertArrayEquals(expected, m.predict(x), kp.name());
            }
        }
    }

    /** profile: one entry per step of the plan, in order, with a non-negative median; a bad run count or input is refused. */
    @Test
    void profileTimesEveryStep() {
        float[] x = random(new SplittableRandom(SEED + 9), 784 * 2);
        List<CompiledModel.StepTime> steps = lenet.profile(2, x, 5);
        long listed = lenet.summary().lines().filter(l -> l.startsWith("  ")).count();
        assertEquals(listed, steps.size(), lenet.summary());
        for (CompiledModel.StepTime t : steps) {
            assertTrue(t.medianNanos() >= 0, t.toString());
            assertTrue(t.step().startsWith("node '"), t.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> lenet.profile(2, x, 0));
        assertThrows(IllegalArgumentException.class, () -> lenet.profile(3, x, 5));
        assertArrayEquals(lenet.predict(x), lenet.predict(x), "the model is unchanged after profiling");
    }

    @Test
    void eightThreadsEqualSerialBitForBit() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        int distinct = 32;
        float[][] in = new float[distinct][];
        float[][] expected = new float[distinct][];
        for (int i = 0; i < distinct; i++) {
            in[i] = random(r, 784);
            expected[i] = lenet.predict(in[i]);
        }
        int threads = 8, perThread = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger mismatches = new AtomicInteger();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                fs.add(pool.submit(() -> {
                    float[] out = new float[10];
                    for (int k = 0; k < perThread; k++) {
                        int i = (k * 7 + tt * 13) % distinct;
                        lenet.predict(1, in[i], out);
                        if (!Arrays.equals(out, expected[i])) mismatches.incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, mismatches.get(), "predictions under 8 threads differ from the serial ones");
    }

    /** com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes, through reflection (the test module does not read jdk.management). */
    static long allocatedBytes() {
        try {
            Object mx = ManagementFactory.getThreadMXBean();
            return (Long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes").invoke(mx);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("this JVM cannot count allocated bytes", e);
        }
    }

    /** Bytes one predict call allocates after warm-up, averaged over {@code calls} calls. */
    static long bytesPerCall(CompiledModel m, int batch, int warmUp, int calls) {
        SplittableRandom r = new SplittableRandom(SEED);
        float[] x = random(r, m.inputSize() * batch);
        float[] y = new float[m.outputSize() * batch];
        long[] me = {Thread.currentThread().threadId()};
        for (int i = 0; i < warmUp; i++) m.predict(batch, x, y);
        long before = io.github.vcnn.testing.Allocations.allocated(me);  // read without allocating, unlike reflection
        for (int i = 0; i < calls; i++) m.predict(batch, x, y);
        return (io.github.vcnn.testing.Allocations.allocated(me) - before) / calls;
    }

    /**
     * The compiled model itself (plans, arena lease, steps) allocates nothing after warm-up; shown with the plain-Java
     * kernels on a residual block (batch norm, fused conv, add + relu, pools, dense, softmax) and on LeNet.
     */
    @Test
    void allocatesNothingAfterWarmUp() {
        for (var k : List.of(io.github.vcnn.kernels.Kernels.scalar(), io.github.vcnn.kernels.Kernels.auto())) {
            try (CompiledModel m = CompiledModel.compile(TestGraphs.residual(SEED), CompileOptions.defaults().withKernels(k))) {
                for (int batch : new int[]{1, 4, 33}) {
                    long b = bytesPerCall(m, batch, 200, 100);
                    assertTrue(b < 64, k.name() + " kernels, residual block, batch " + batch + ": " + b + " bytes allocated per call");
                }
            }
        }
        try (CompiledModel m = CompiledModel.compile(source, CompileOptions.defaults().withKernels(io.github.vcnn.kernels.Kernels.auto()))) {
            long b = bytesPerCall(m, 1, 100, 50);
            assertTrue(b < 64, "auto kernels, LeNet: " + b + " bytes allocated per call");
        }
    }

    /**
     * Bytes allocated in the best window of 100 calls ({@link io.github.vcnn.testing.Allocations#smallestWindow}): the
     * Vector API boxes vectors until C2 has compiled a kernel, so a fixed count of warm-up calls is not enough on a slow
     * or busy machine; an allocation on every call still shows in every window.
     */
    static long bytesPerWindowOnceCompiled(CompiledModel m, int batch) {
        SplittableRandom r = new SplittableRandom(SEED);
        float[] x = random(r, m.inputSize() * batch);
        float[] y = new float[m.outputSize() * batch];
        Runnable call = () -> m.predict(batch, x, y);
        // up to 1,000 windows: the search stops at the first clean one, and under a loaded CI run C2 was still compiling
        // (boxing) through 150 windows of the residual block once
        return io.github.vcnn.testing.Allocations.smallestWindow(new long[]{Thread.currentThread().threadId()}, 1000, 100, call);
    }

    /**
     * With the SIMD kernels too, after warm-up: LeNet (direct conv, dense) and the residual block (3x3 convs, batch norm
     * folded, add + relu) at batch 1 and 4.
     */
    @Test
    void allocatesNothingAfterWarmUpWithTheSimdKernels() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.github.vcnn.kernels.Kernels.simdAvailable(), "no Vector API module");
        CompileOptions simd = CompileOptions.defaults().withKernels(io.github.vcnn.kernels.Kernels.simd());
        for (Graph g : List.of(LayerGraphs.fromSequential(source), TestGraphs.residual(SEED), TestGraphs.fire(SEED))) {
            try (CompiledModel m = CompiledModel.compile(g, simd)) {
                for (int batch : new int[]{1, 4}) {
                    long b = bytesPerWindowOnceCompiled(m, batch);
                    System.out.println("CompiledModelTest: simd kernels, " + g.inputs().get(0).name() + " batch " + batch + ": " + b + " bytes in the best 100 predicts");
                    assertEquals(0, b, "simd kernels, " + m.summary() + "batch " + batch + ": bytes allocated by the best 100 calls");
                }
            }
        }
    }

    @Test
    void anyBatchSizeMatchesSingleSamples() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int batch : new int[]{2, 5, 64, 70}) {
            float[] x = random(r, 784 * batch);
            float[] y = lenet.predict(x);
            assertEquals(10 * batch, y.length);
            for (int n = 0; n < batch; n++) {
                float[] one = lenet.predict(Arrays.copyOfRange(x, n * 784, (n + 1) * 784));
                for (int j = 0; j < 10; j++) {
                    assertEquals(one[j], y[n * 10 + j], 1e-5f * (1 + Math.abs(one[j])), "batch " + batch + " sample " + n);
                }
            }
        }
    }

    @Test
    void equalsTheLayerApi() {
        SplittableRandom r = new SplittableRandom(SEED + 2);
        float[] x = random(r, 784 * 3);
        source.eval();
        float[] ref = source.forward(x, 3, 1, 28, 28);
        float[] y = lenet.predict(x);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], y[i], 1e-5f * (1 + Math.abs(ref[i])), "element " + i);
    }

    /**
     * Intra-op threads change who computes, never what: bit-identical outputs for 1, 2 and 3 threads, for every kernel
     * set, on LeNet, a residual block and a fire module (pointwise, Winograd and a concat), at batch 1 (work split
     * inside an image) and larger batches (split by image).
     */
    @Test
    void intraOpThreadsGiveBitIdenticalResults() {
        SplittableRandom r = new SplittableRandom(SEED + 3);
        for (var k : io.github.vcnn.kernels.Kernels.available()) {
            for (Graph g : List.of(LayerGraphs.fromSequential(source), TestGraphs.residual(SEED), TestGraphs.fire(SEED))) {
                try (CompiledModel one = CompiledModel.compile(g, CompileOptions.defaults().withKernels(k))) {
                    for (int batch : new int[]{1, 3, 8}) {
                        float[] x = random(r, one.inputSize() * batch);
                        float[] serial = one.predict(x);
                        for (int t : new int[]{2, 3}) {
                            try (CompiledModel many = CompiledModel.compile(g, CompileOptions.defaults().withKernels(k).withThreads(t))) {
                                assertArrayEquals(serial, many.predict(x), k.name() + " kernels, batch " + batch + ", " + t + " threads");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The channel-blocked layout between layers changes no bit: a ResNet-like stage (Winograd blocks, a stride-2
     * block with its 1x1 shortcut, a fire module's Concat, pooling) and the residual and fire graphs, blocked and NCHW,
     * batch 1 and 3, 1 and 2 threads, every kernel set. With the simd kernels the stage keeps its residual streams
     * blocked (the description names nChw{L}c and the reorders); the other kernel sets have no blocked layout.
     */
    @Test
    void blockedLayoutGivesTheBitsOfNchw() {
        SplittableRandom r = new SplittableRandom(SEED + 11);
        for (var k : io.github.vcnn.kernels.Kernels.available()) {
            int lanes = k.conv().blockLanes();
            for (Graph g : List.of(TestGraphs.resnetStage(SEED), TestGraphs.residual(SEED), TestGraphs.fire(SEED))) {
                for (int t : new int[]{1, 2}) {
                    CompileOptions o = CompileOptions.defaults().withKernels(k).withThreads(t);
                    try (CompiledModel nchw = CompiledModel.compile(g, o.withBlocked(false)); CompiledModel blocked = CompiledModel.compile(g, o)) {
                        assertFalse(nchw.summary().contains("reorder"), nchw.summary());
                        if (lanes > 0 && g.inputs().get(0).shape()[1] == 3 && g.nodes().size() > 20) {
                            String sum = blocked.summary();
                            assertTrue(sum.contains("nChw" + lanes + "c -> nChw" + lanes + "c"), sum);
                            assertTrue(sum.contains("reorder nChw" + lanes + "c -> nchw"), sum);
                        }
                        for (int batch : new int[]{1, 3}) {
                            float[] x = random(r, nchw.inputSize() * batch);
                            assertArrayEquals(nchw.predict(x), blocked.predict(x), k.name() + " kernels, batch " + batch + ", " + t + " threads");
                        }
                    }
                }
            }
        }
    }

    /**
     * Relu, Add + Relu and residual Adds fused into conv epilogues give the bits of the graph run node by node (no
     * batch norm here, whose folding rounds differently): the ResNet-like stage on every kernel set, blocked and not.
     */
    @Test
    void fusedEpiloguesGiveTheBitsOfTheNodes() {
        SplittableRandom r = new SplittableRandom(SEED + 13);
        Graph g = TestGraphs.resnetStage(SEED);
        for (var k : io.github.vcnn.kernels.Kernels.available()) {
            for (boolean blocked : new boolean[]{false, true}) {
                CompileOptions o = CompileOptions.defaults().withKernels(k).withBlocked(blocked);
                try (CompiledModel nodes = CompiledModel.compile(g, o.withOptimize(false)); CompiledModel fused = CompiledModel.compile(g, o)) {
                    assertTrue(fused.summary().contains("+ residual + relu"), fused.summary());
                    for (int batch : new int[]{1, 2}) {
                        float[] x = random(r, nodes.inputSize() * batch);
                        assertArrayEquals(nodes.predict(x), fused.predict(x), k.name() + " kernels, blocked " + blocked + ", batch " + batch);
                    }
                }
            }
        }
    }

    /** Intra-op threads come from the shared pool: calls with threads > 1 start no thread of their own. */
    @Test
    void intraOpThreadsCreateNoThreads() {
        float[] x = random(new SplittableRandom(SEED + 4), 784 * 4);
        try (CompiledModel two = CompiledModel.compile(source, CompileOptions.defaults().withThreads(2))) {
            two.predict(x);
            int before = Thread.activeCount();
            java.util.Set<Thread> live = Thread.getAllStackTraces().keySet();
            for (int i = 0; i < 50; i++) two.predict(x);
            List<String> started = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) if (!live.contains(t)) started.add(t.getName());
            assertTrue(started.isEmpty(), "predict with 2 threads started threads " + started);
            assertTrue(Thread.activeCount() <= before, "threads before " + before + ", after " + Thread.activeCount());
        }
    }

    @Test
    void badInputIsRejectedAndTheModelStaysUsable() {
        SplittableRandom r = new SplittableRandom(SEED + 4);
        float[] x = random(r, 784);
        float[] before = lenet.predict(x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lenet.predict(null));
        assertTrue(e.getMessage().contains("in is null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lenet.predict(new float[783]));
        assertTrue(e.getMessage().contains("783") && e.getMessage().contains("784"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lenet.predict(1, x, new float[9]));
        assertTrue(e.getMessage().contains("out has 9 floats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lenet.predict(0, x, new float[10]));
        assertTrue(e.getMessage().contains("batch must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lenet.predict(2, x, new float[20]));
        assertTrue(e.getMessage().contains("in has 784 floats but batch 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lenet.predict(1, x, 1, new float[10], 0));
        assertTrue(e.getMessage().contains("from offset 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> lenet.run(1, new float[][]{x, x}, new float[][]{new float[10]}));
        assertArrayEquals(before, lenet.predict(x), "the model changed after rejected calls");
    }

    @Test
    void nanPropagates() {
        float[] x = new float[784];
        x[300] = Float.NaN;
        float[] y = lenet.predict(x);
        boolean anyNaN = false;
        for (float v : y) anyNaN |= Float.isNaN(v);
        assertTrue(anyNaN, "NaN in the input must reach the output: " + Arrays.toString(y));
        assertFalse(Float.isNaN(lenet.predict(new float[784])[0]), "and the next call is clean");
    }

    @Test
    void virtualThreadsShareABoundedPoolOfArenas() throws Exception {
        SplittableRandom r = new SplittableRandom(SEED + 5);
        float[] x = random(r, 784);
        ThreadRecordingKernels k = new ThreadRecordingKernels(io.github.vcnn.kernels.Kernels.get());
        try (CompiledModel m = CompiledModel.compile(source, CompileOptions.defaults().withMaxConcurrent(2).withKernels(k))) {
            float[] expected = m.predict(x);
            AtomicInteger wrong = new AtomicInteger();
            try (ExecutorService vt = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 400; i++) {
                    vt.submit(() -> {
                        if (!Arrays.equals(expected, m.predict(x))) wrong.incrementAndGet();
                    });
                }
            }
            assertEquals(0, wrong.get());
            assertTrue(m.arenasCreated() <= 2, "arenas: " + m.arenasCreated());
            // The kernels (and their per-thread scratch) ran on the leases' platform threads, never on the 400 virtual ones.
            assertEquals(0, k.onVirtual.get());
            assertEquals(2 * 401, k.onPlatform.get());
        }
    }

    @Test
    void fixedBatchModelsSayWhy() {
        // Flatten(axis 0) folds the batch into the features: the model runs its declared batch only.
        Graph g = new Graph(List.of(new Graph.Input("x", new int[]{2, 3})), List.of(new Node("f", new Op.Flatten(0), List.of("x"), List.of("y"))),
                Map.of(), List.of("y"));
        try (CompiledModel m = CompiledModel.compile(g)) {
            assertFalse(m.anyBatch());
            assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, m.predict(new float[]{1, 2, 3, 4, 5, 6}));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(3, new float[9], new float[9]));
            assertTrue(e.getMessage().contains("batch 2 only") && e.getMessage().contains("node 'f' (Flatten)"), e.getMessage());
        }
    }

    @Test
    void severalInputsAndOutputs() {
        Graph g = new Graph(List.of(new Graph.Input("a", new int[]{2, 3}), new Graph.Input("b", new int[]{2, 3})),
                List.of(new Node("add", new Op.Binary(true, Act.NONE), List.of("a", "b"), List.of("s")),
                        new Node("mul", new Op.Binary(false, Act.NONE), List.of("a", "b"), List.of("p"))),
                Map.of(), List.of("s", "p"));
        try (CompiledModel m = CompiledModel.compile(g)) {
            float[][] out = m.run(2, new float[]{1, 2, 3, 4, 5, 6}, new float[]{1, 1, 1, 2, 2, 2});
            assertArrayEquals(new float[]{2, 3, 4, 6, 7, 8}, out[0]);
            assertArrayEquals(new float[]{1, 2, 3, 8, 10, 12}, out[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(new float[6]));
            assertTrue(e.getMessage().contains("2 inputs"), e.getMessage());
        }
    }
}
