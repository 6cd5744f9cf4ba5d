package io.github.vcnn.graph;

import io.github.vcnn.nn.Sequential;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A graph compiled for inference: immutable and thread-safe. Any number of threads may call {@code predict} at once;
 * they share one copy of the packed weights and the per-batch-size plans, and each call borrows one arena of
 * intermediate buffers from a bounded pool ({@link CompileOptions#maxConcurrent()}, callers beyond it wait), so
 * memory does not grow with the number of threads, virtual or not. A call from a virtual thread runs on its arena's
 * platform thread (a hand-off of a few microseconds), so that the kernels' per-thread scratch exists once per arena and
 * not once per virtual thread.
 *
 * <p>Compilation folds batch norms into convolutions, fuses activations into the conv/dense epilogues and Add + ReLU
 * into the residual kernel ({@link Passes}), packs the weights once, and plans the buffers by lifetime. After the first
 * call with a given batch size (warm-up), {@link #predict(int, float[], float[])} allocates nothing.
 *
 * <p>Intra-op threads ({@link CompileOptions#threads()}, default 1): every convolution runs on up to that many threads
 * of the shared {@link io.github.vcnn.exec.WorkerPool} (whose size caps it), through the kernels' threaded overloads,
 * which give the same bits for every thread count; dense steps split their rows and pooling steps their planes over
 * those threads (same bits too); the other steps run on the caller. The model creates no threads
 * for this, and the batch is never cut into slices, so the result does not depend on the thread count.
 *
 * <p>Batch: when every operator keeps the samples apart ({@link #anyBatch()}), the batch size is a call argument;
 * otherwise (e.g. a Reshape that folds the batch away) the model runs the batch it was declared with only.
 *
 * <p>Input checking: null arrays, wrong lengths and batch sizes give an IllegalArgumentException naming the input and
 * the sizes, before anything runs; the model stays usable. Values are not inspected: NaN and infinities propagate as
 * IEEE arithmetic takes them (NaN in, NaN out), as in PyTorch and ONNX Runtime.
 */
public final class CompiledModel implements AutoCloseable {
    /** Batch sizes up to this are looked up in an array; plans for larger ones in a bounded map. */
    private static final int DIRECT_PLANS = 64;
    /** At most this many plans for batch sizes above {@link #DIRECT_PLANS} are kept; others are planned per call. */
    private static final int MAX_OTHER_PLANS = 16;

    private final Graph graph;
    private final Lowering lowering;
    private final CompileOptions options;
    private final Shapes declared;
    private final String batchBreak;
    private final int declaredBatch;
    private final int[] inPerSample, outPerSample;
    private final boolean[] inBatched, outBatched;
    private final AtomicReferenceArray<Plan> directPlans = new AtomicReferenceArray<>(DIRECT_PLANS + 1);
    private final Map<Integer, Plan> otherPlans = new ConcurrentHashMap<>();
    private final ArenaPool<Lease> leases;
    private final List<Lease> allLeases = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger carriers = new AtomicInteger();

    /**
     * One caller's scratch: an arena and its frame, the argument arrays of the single-tensor calls and,
     * for callers on virtual threads, a platform thread that runs the kernels. The kernels keep per-thread scratch
     * (ThreadLocal); running them on the lease's thread bounds that scratch by the number of leases instead of letting
     * every virtual thread that ever called predict hold its own copy.
     */
    private final class Lease implements Runnable {
        final Frame frame = new Frame(graph.inputs().size(), options.threads());
        float[] arena = new float[0];
        final float[][] ins = new float[graph.inputs().size()][];
        final int[] inOffs = new int[graph.inputs().size()];
        final float[][] outs = new float[graph.outputs().size()][];
        final int[] outOffs = new int[graph.outputs().size()];
        private Thread carrier;
        private volatile boolean pending, done, closed;
        private volatile Thread waiter;
        private int batchArg;
        private Throwable failure;

        Lease() {
            allLeases.add(this);
        }

        /** Runs {@link #execute} for {@code batch}: here on a platform thread, on the lease's thread from a virtual one. */
        void run(int batch) {
            if (!Thread.currentThread().isVirtual()) {
                execute(this, batch);
                return;
            }
            if (carrier == null) {
                carrier = Thread.ofPlatform().daemon().name("vcnn-predict-" + carriers.incrementAndGet()).start(this);
            }
            batchArg = batch;
            failure = null;
            done = false;
            waiter = Thread.currentThread();
            pending = true;
            java.util.concurrent.locks.LockSupport.unpark(carrier);
            while (!done) java.util.concurrent.locks.LockSupport.park(this);
            Throwable f = failure;
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error er) throw er;
        }

        /** The lease's platform thread: waits for a call, runs it, wakes the caller. */
        @Override
        public void run() {
            while (true) {
                while (!pending && !closed) java.util.concurrent.locks.LockSupport.park(this);
                if (closed) return;
                pending = false;
                try {
                    execute(this, batchArg);
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
                done = true;
                java.util.concurrent.locks.LockSupport.unpark(waiter);
            }
        }

        void close() {
            closed = true;
            if (carrier != null) java.util.concurrent.locks.LockSupport.unpark(carrier);
        }
    }

    private CompiledModel(Graph source, CompileOptions options) {
        this.options = options;
        Graph g = options.optimize() ? Passes.optimize(source) : Passes.simplify(source);
        this.graph = g;
        this.declared = ShapeInference.infer(g);
        this.batchBreak = declared.batchBreak();
        this.declaredBatch = declared.batch();
        int ni = g.inputs().size(), no = g.outputs().size();
        this.inPerSample = new int[ni];
        this.inBatched = new boolean[ni];
        for (int i = 0; i < ni; i++) {
            String name = g.inputs().get(i).name();
            inBatched[i] = batchBreak == null && declared.batched(name);
            inPerSample[i] = declared.size(name) / (inBatched[i] ? declaredBatch : 1);
        }
        this.outPerSample = new int[no];
        this.outBatched = new boolean[no];
        for (int i = 0; i < no; i++) {
            String name = g.outputs().get(i);
            outBatched[i] = batchBreak == null && declared.batched(name);
            outPerSample[i] = declared.size(name) / (outBatched[i] ? declaredBatch : 1);
        }
        this.lowering = new Lowering(g, declared, options.kernels(), options.blocked());
        Plan first = lowering.plan(declared);
        if (declaredBatch <= DIRECT_PLANS) directPlans.set(declaredBatch, first);
        else otherPlans.put(declaredBatch, first);
        this.leases = new ArenaPool<>(options.maxConcurrent(), Lease::new);
    }

    /** Compiles {@code graph} with the {@link CompileOptions#defaults() default options}. */
    public static CompiledModel compile(Graph graph) {
        return compile(graph, CompileOptions.defaults());
    }

    public static CompiledModel compile(Graph graph, CompileOptions options) {
        if (graph == null) throw new IllegalArgumentException("graph is null");
        if (options == null) throw new IllegalArgumentException("options is null");
        return new CompiledModel(graph, options);
    }

    /**
     * Compiles a model of the layer API for inference (eval mode: dropout is the identity; no gradient buffers). The
     * weights are copied: training the Sequential afterwards does not change the compiled model.
     */
    public static CompiledModel compile(Sequential model) {
        return compile(LayerGraphs.fromSequential(model));
    }

    public static CompiledModel compile(Sequential model, CompileOptions options) {
        return compile(LayerGraphs.fromSequential(model), options);
    }

    // ---- description ---------------------------------------------------------------------------------------------

    /** The optimised graph the model runs. */
    public Graph graph() {
        return graph;
    }

    public CompileOptions options() {
        return options;
    }

    public int inputCount() {
        return inPerSample.length;
    }

    public int outputCount() {
        return outPerSample.length;
    }

    public String inputName(int i) {
        return graph.inputs().get(i).name();
    }

    public String outputName(int i) {
        return graph.outputs().get(i);
    }

    /** The shape of input {@code i} at the declared batch. */
    public int[] inputShape(int i) {
        return declared.shape(inputName(i));
    }

    /** The shape of output {@code i} at the declared batch. */
    public int[] outputShape(int i) {
        return declared.shape(outputName(i));
    }

    /** Floats per sample of input 0 (all of it for a fixed-batch model). */
    public int inputSize() {
        return inPerSample[0];
    }

    /** Floats per sample of output 0. */
    public int outputSize() {
        return outPerSample[0];
    }

    /** True when any batch size works; false when the model runs only {@link #declaredBatch()}. */
    public boolean anyBatch() {
        return batchBreak == null;
    }

    /** The batch of the source model's input shapes. */
    public int declaredBatch() {
        return declaredBatch;
    }

    /** One line per step of the plan at the declared batch, and the arena size against no reuse. */
    public String summary() {
        Plan p = plan(declaredBatch);
        StringBuilder b = new StringBuilder();
        b.append("kernels ").append(options.kernels().name()).append(", ").append(p.steps.length).append(" steps, batch ")
                .append(anyBatch() ? "any (declared " + declaredBatch + ")" : declaredBatch + " only: " + batchBreak).append('\n');
        for (Step s : p.steps) b.append("  ").append(s.what).append(": ").append(s.describe()).append('\n');
        b.append(String.format("arena %,d floats per call (%,d without reuse), %d weight sets packed once%n", p.arenaSize, p.unplannedSize,
                lowering.packedCount()));
        return b.toString();
    }

    @Override
    public String toString() {
        return summary();
    }

    // ---- running -------------------------------------------------------------------------------------------------

    /** {@code out[batch][outputSize] = model(in[batch][inputSize])}; both arrays of exactly those lengths. */
    public void predict(int batch, float[] in, float[] out) {
        single();
        checkBatch(batch);
        exact("in", in, inLength(0, batch), batch, inputName(0));
        exact("out", out, outLength(0, batch), batch, outputName(0));
        runSingle(batch, in, 0, out, 0);
    }

    /** As {@link #predict(int, float[], float[])} from offsets; the arrays may be longer. */
    public void predict(int batch, float[] in, int inOff, float[] out, int outOff) {
        single();
        checkBatch(batch);
        atLeast("in", in, inOff, inLength(0, batch), batch, inputName(0));
        atLeast("out", out, outOff, outLength(0, batch), batch, outputName(0));
        runSingle(batch, in, inOff, out, outOff);
    }

    /** The batch is {@code in.length / inputSize()}; {@code out} must hold that many outputs. */
    public void predict(float[] in, float[] out) {
        predict(batchOf(in), in, out);
    }

    /** Allocates the output: {@code [batch][outputSize]} with the batch {@code in.length / inputSize()}. */
    public float[] predict(float[] in) {
        int batch = batchOf(in);
        float[] out = new float[(int) checkedSize(outLength(0, batch), "output")];
        predict(batch, in, out);
        return out;
    }

    /**
     * Models with several inputs or outputs: {@code inputs[i]} for graph input i (batched inputs {@code batch} samples,
     * the others their declared size); writes {@code outputs[j]}, each of exactly its size.
     */
    public void run(int batch, float[][] inputs, float[][] outputs) {
        checkBatch(batch);
        if (inputs == null) throw new IllegalArgumentException("inputs is null");
        if (outputs == null) throw new IllegalArgumentException("outputs is null");
        if (inputs.length != inputCount()) throw new IllegalArgumentException("the model has " + inputCount() + " inputs " + inputNames() + ", got " + inputs.length + " arrays");
        if (outputs.length != outputCount()) throw new IllegalArgumentException("the model has " + outputCount() + " outputs " + graph.outputs() + ", got " + outputs.length + " arrays");
        for (int i = 0; i < inputs.length; i++) exact("inputs[" + i + "]", inputs[i], inLength(i, batch), batch, inputName(i));
        for (int i = 0; i < outputs.length; i++) exact("outputs[" + i + "]", outputs[i], outLength(i, batch), batch, outputName(i));
        Lease l = leases.take();
        try {
            for (int i = 0; i < inputs.length; i++) {
                l.ins[i] = inputs[i];
                l.inOffs[i] = 0;
            }
            for (int i = 0; i < outputs.length; i++) {
                l.outs[i] = outputs[i];
                l.outOffs[i] = 0;
            }
            l.run(batch);
        } finally {
            release(l);
        }
    }

    /** As {@link #run(int, float[][], float[][])}, allocating the outputs. */
    public float[][] run(int batch, float[]... inputs) {
        checkBatch(batch);
        float[][] outs = new float[outputCount()][];
        for (int i = 0; i < outs.length; i++) outs[i] = new float[(int) checkedSize(outLength(i, batch), "output")];
        run(batch, inputs, outs);
        return outs;
    }

    private List<String> inputNames() {
        List<String> n = new ArrayList<>();
        for (Graph.Input in : graph.inputs()) n.add(in.name());
        return n;
    }

    private void runSingle(int batch, float[] in, int inOff, float[] out, int outOff) {
        Lease l = leases.take();
        try {
            l.ins[0] = in;
            l.inOffs[0] = inOff;
            l.outs[0] = out;
            l.outOffs[0] = outOff;
            l.run(batch);
        } finally {
            release(l);
        }
    }

    private void release(Lease l) {
        Arrays.fill(l.ins, null);
        Arrays.fill(l.outs, null);
        l.frame.clearInputs();
        leases.give(l);
    }

    /** Runs the whole batch on the lease's frame; the conv steps spread over the intra-op threads the frame carries. */
    private void execute(Lease l, int batch) {
        Plan p = plan(batch);
        Frame f = bind(l, p);
        p.run(f);
        for (int o = 0; o < l.outs.length; o++) {
            int id = p.outputIds[o];
            System.arraycopy(f.a(id), f.o(id), l.outs[o], l.outOffs[o], p.outputSizes[o]);
        }
    }

    /** One step's share of a {@link #profile} run: the step, what it computes, and its median time per call. */
    public record StepTime(String step, String description, long medianNanos) {
    }

    /**
     * Times each step of the plan for {@code batch} separately: {@code runs} calls of the whole plan on the calling
     * thread (after one untimed call), each step timed with {@link System#nanoTime()}; returns the median per step, in
     * plan order. For finding where a model's time goes; the results of the calls are discarded. Input 0 gets {@code in},
     * other inputs zeros.
     */
    public List<StepTime> profile(int batch, float[] in, int runs) {
        checkBatch(batch);
        exact("in", in, inLength(0, batch), batch, inputName(0));
        if (runs < 1) throw new IllegalArgumentException("runs must be >= 1, got " + runs);
        Plan p = plan(batch);
        Lease l = leases.take();
        try {
            for (int i = 0; i < l.ins.length; i++) {
                l.ins[i] = i == 0 ? in : new float[(int) checkedSize(inLength(i, batch), "input")];
                l.inOffs[i] = 0;
            }
            Frame f = bind(l, p);
            long[][] t = new long[p.steps.length][runs];
            for (Step s : p.steps) s.run(f);
            for (int r = 0; r < runs; r++) {
                for (int i = 0; i < p.steps.length; i++) {
                    long t0 = System.nanoTime();
                    p.steps[i].run(f);
                    t[i][r] = System.nanoTime() - t0;
                }
            }
            List<StepTime> out = new ArrayList<>();
            for (int i = 0; i < p.steps.length; i++) {
                Arrays.sort(t[i]);
                out.add(new StepTime(p.steps[i].what, p.steps[i].describe(), t[i][runs / 2]));
            }
            return out;
        } finally {
            release(l);
        }
    }

    /** The lease's frame bound to {@code p}: its arena (grown to the plan's size) and the lease's input arrays. */
    private static Frame bind(Lease l, Plan p) {
        if (l.arena.length < p.arenaSize) l.arena = new float[p.arenaSize];
        Frame f = l.frame;
        f.bind(p, l.arena);
        for (int i = 0; i < l.ins.length; i++) {
            f.inputs[i] = l.ins[i];
            f.inputOffsets[i] = l.inOffs[i];
        }
        return f;
    }

    /** The plan for {@code batch} (for tests and tools in this package). */
    Plan planFor(int batch) {
        return plan(batch);
    }

    private Plan plan(int batch) {
        if (batch <= DIRECT_PLANS) {
            Plan p = directPlans.get(batch);
            if (p == null) {
                p = lowering.plan(ShapeInference.infer(graph, batch));
                directPlans.compareAndSet(batch, null, p);
            }
            return p;
        }
        Plan p = otherPlans.get(batch);
        if (p == null) {
            p = lowering.plan(ShapeInference.infer(graph, batch));
            if (otherPlans.size() < MAX_OTHER_PLANS) otherPlans.putIfAbsent(batch, p);
        }
        return p;
    }

    // ---- checks --------------------------------------------------------------------------------------------------

    private void single() {
        if (inputCount() != 1 || outputCount() != 1) {
            throw new IllegalArgumentException("the model has " + inputCount() + " inputs " + inputNames() + " and " + outputCount()
                    + " outputs " + graph.outputs() + ": use run(batch, inputs, outputs)");
        }
    }

    private void checkBatch(int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (!anyBatch() && batch != declaredBatch) {
            throw new IllegalArgumentException("this model runs batch " + declaredBatch + " only (" + batchBreak + "), got batch " + batch);
        }
    }

    private int batchOf(float[] in) {
        single();
        if (in == null) throw new IllegalArgumentException("in is null (needs a multiple of " + inPerSample[0] + " floats for input '" + inputName(0) + "')");
        if (!anyBatch() && in.length != inPerSample[0]) {
            throw new IllegalArgumentException("in has " + in.length + " floats but input '" + inputName(0) + "' " + Arrays.toString(inputShape(0))
                    + " needs " + inPerSample[0] + " (this model runs batch " + declaredBatch + " only)");
        }
        if (in.length == 0 || in.length % inPerSample[0] != 0) {
            throw new IllegalArgumentException("in has " + in.length + " floats, not a positive multiple of the " + inPerSample[0]
                    + " per sample of input '" + inputName(0) + "' " + Arrays.toString(inputShape(0)));
        }
        return anyBatch() ? in.length / inPerSample[0] : declaredBatch;
    }

    /** Floats of input {@code i} for {@code batch} samples (its whole declared size when it is not batched). */
    private long inLength(int i, int batch) {
        return (long) (inBatched[i] ? batch : 1) * inPerSample[i];
    }

    private long outLength(int i, int batch) {
        return (long) (outBatched[i] ? batch : 1) * outPerSample[i];
    }

    private void exact(String what, float[] a, long need, int batch, String name) {
        if (a == null) throw new IllegalArgumentException(what + " is null (needs " + need + " floats for batch " + batch + " of '" + name + "')");
        if (a.length != need) {
            throw new IllegalArgumentException(what + " has " + a.length + " floats but batch " + batch + " of '" + name + "' needs " + need);
        }
    }

    private void atLeast(String what, float[] a, int off, long need, int batch, String name) {
        if (a == null) throw new IllegalArgumentException(what + " is null (needs " + need + " floats for batch " + batch + " of '" + name + "')");
        if (off < 0 || off + need > a.length) {
            throw new IllegalArgumentException(what + " needs " + need + " floats from offset " + off + " for batch " + batch + " of '" + name
                    + "' but has length " + a.length);
        }
    }

    private static long checkedSize(long n, String what) {
        if (n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException(what + " of " + n + " floats is too large for a Java array");
        return n;
    }

    /** Arenas (per-call scratch sets) created so far: at most {@link CompileOptions#maxConcurrent()}. */
    int arenasCreated() {
        return leases.created();
    }

    /** Stops the lease threads that serve virtual-thread callers (the intra-op threads are the shared pool's); the model must not be used afterwards. */
    @Override
    public void close() {
        for (Lease l : allLeases) l.close();
    }
}
