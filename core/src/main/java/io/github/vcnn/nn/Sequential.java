package io.github.vcnn.nn;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A chain of layers (PyTorch's {@code nn.Sequential}) over batches of NCHW samples held in plain {@code float[]}.
 *
 * <ul>
 * <li>Shapes are inferred from the per-sample input shape at construction; a layer that does not fit its input
 *     is rejected there, naming the layer and both shapes.</li>
 * <li>An activation directly after a {@link Conv2d} or {@link Linear} is fused into that layer's kernel epilogue.</li>
 * <li>Frozen layers ({@link Layer#trainable(boolean)}, {@link #freezeFirst(int)}) compute no weight gradient, and
 *     the backward pass stops at the first trainable layer: nothing below it computes an input gradient.</li>
 * <li>Buffers are allocated once per batch size and reused, and packed kernel weights are re-packed in place: after
 *     the first step per batch size, a training step (and a forward pass) allocates nothing.</li>
 * <li>Each batch is cut into a fixed number of contiguous slices ({@link #slices(int)}, default 4), each with its
 *     own buffers; {@link #threads(int)} runs the slices on the caller and the library's shared
 *     {@link WorkerPool}. Slice gradients are summed in slice order, so a given seed gives bit-identical weights
 *     for every thread count up to the slice count.</li>
 * </ul>
 * Not thread-safe itself: one caller drives a model (the pool's workers help inside a call).
 */
public final class Sequential implements AutoCloseable {
    private final int[] inputShape;
    private final List<Layer> layers;
    private final int[][] outShapes;
    private final int inSize, outSize;
    /** stepLayer[s] = the layer a step computes; a fused activation is layer stepLayer[s] + 1. */
    private final int[] stepLayer;
    private final boolean[] fusedNext;
    private final int[] layerStep;

    private KernelProvider kernels = Kernels.get();
    private int threads = 1;
    private int slices = DEFAULT_SLICES;
    private boolean training = true;
    private long seed;
    private long trainSteps;
    private boolean keepInputGradient;
    private float[] inputGradient = new float[0];
    private final IntKeyMap<Worker[]> plans = new IntKeyMap<>();

    // The arguments of the running forward / trainStep call, read by the slice tasks (set before, cleared after).
    private Worker[] callWorkers;
    private float[] callX, callOut;
    private int callXOff, callOutOff, callBatch, callStopStep;
    private boolean callMode;
    private long callStep;
    private Objective callObjective;
    /** The slice tasks, created once: a call passes these to the pool, never a new lambda. */
    private final WorkerPool.Task forwardTask = this::forwardSlice, trainTask = this::trainSlice;

    /** Default number of slices per batch (see {@link #slices(int)}). */
    public static final int DEFAULT_SLICES = 4;

    public Sequential(int[] inputShape, Layer... layers) {
        this(inputShape, Arrays.asList(layers));
    }

    /**
     * @param inputShape one sample's shape without the batch: {@code [C, H, W]} or {@code [features]}
     */
    public Sequential(int[] inputShape, List<Layer> layers) {
        Checks.notNull("inputShape", inputShape);
        Checks.notNull("layers", layers);
        if (inputShape.length == 0) throw new IllegalArgumentException("inputShape is empty");
        for (int d : inputShape) Checks.positive("input dimension", d, Arrays.toString(inputShape));
        if (layers.isEmpty()) throw new IllegalArgumentException("a Sequential needs at least one layer");
        this.inputShape = inputShape.clone();
        this.layers = List.copyOf(layers);
        this.outShapes = new int[layers.size()][];
        int[] shape = this.inputShape;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = Checks.notNull("layer " + i, layers.get(i));
            if (l.owner != null) throw new IllegalArgumentException("layer " + i + " " + l.describe() + " already belongs to another model");
            for (int j = 0; j < i; j++) {
                if (layers.get(j) == l) throw new IllegalArgumentException("layer " + i + " " + l.describe() + " appears twice");
            }
            try {
                shape = l.outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + ": " + e.getMessage(), e);
            }
            outShapes[i] = shape;
        }
        for (Layer l : this.layers) l.owner = this;
        this.inSize = Layer.size(this.inputShape);
        this.outSize = Layer.size(shape);

        List<Integer> steps = new ArrayList<>();
        this.fusedNext = new boolean[layers.size()];
        this.layerStep = new int[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            layerStep[i] = steps.size();
            steps.add(i);
            if (i + 1 < layers.size() && layers.get(i).acceptsEpilogue() && layers.get(i + 1).asEpilogue() != null) {
                fusedNext[i] = true;
                layerStep[i + 1] = steps.size() - 1;
                i++;
            }
        }
        this.stepLayer = steps.stream().mapToInt(Integer::intValue).toArray();
        initialize(0);
    }

    // ---- configuration ----------------------------------------------------------------------------------------

    /**
     * Re-initialises every parameter from {@code seed} (He normal before ReLU-like activations, Xavier uniform
     * otherwise, zero biases) and seeds the dropout masks with it; resets the training-step counter.
     */
    public Sequential initialize(long seed) {
        this.seed = seed;
        this.trainSteps = 0;
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < layers.size(); i++) {
            Layer next = i + 1 < layers.size() ? layers.get(i + 1) : null;
            layers.get(i).initialize(random.split(), next);
            layers.get(i).parametersChanged();
        }
        plans.clear();
        return this;
    }

    /** Training mode: dropout active, pooling records argmax for the backward pass. */
    public Sequential train() {
        training = true;
        return this;
    }

    /** Evaluation mode: dropout is the identity. */
    public Sequential eval() {
        training = false;
        return this;
    }

    public boolean isTraining() {
        return training;
    }

    /** The kernel set to run on (default {@link Kernels#get()}). */
    public Sequential kernels(KernelProvider kernels) {
        Checks.notNull("kernels", kernels);
        if (kernels != this.kernels) {
            this.kernels = kernels;
            plans.clear();
        }
        return this;
    }

    public KernelProvider kernels() {
        return kernels;
    }

    /**
     * Runs each batch on up to {@code threads} threads: the caller's plus {@code threads - 1} workers of the shared
     * {@link WorkerPool#shared() WorkerPool} (no thread is created per model or per call). The pool's size
     * ({@code -Dvcnn.threads}, default the available processors) caps how many run at once. More threads than
     * {@link #slices(int)} raise the slice count to the thread count.
     */
    public Sequential threads(int threads) {
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("threads must be in [1, 1024], got " + threads);
        if (threads != this.threads) {
            this.threads = threads;
            plans.clear();
        }
        return this;
    }

    public int threads() {
        return threads;
    }

    /**
     * Cuts each batch into {@code slices} contiguous slices (fewer when the batch is smaller), each computed by one
     * kernel call per layer with its own buffers, their weight gradients summed in slice order. The arithmetic depends
     * on the slice count only, never on which thread runs a slice: the same seed gives bit-identical weights with 1, 2,
     * ... up to {@code slices} threads.
     */
    public Sequential slices(int slices) {
        if (slices < 1 || slices > 4096) throw new IllegalArgumentException("slices must be in [1, 4096], got " + slices);
        if (slices != this.slices) {
            this.slices = slices;
            plans.clear();
        }
        return this;
    }

    public int slices() {
        return slices;
    }

    /** Freezes layers {@code 0..k-1} and makes every later layer trainable. */
    public Sequential freezeFirst(int k) {
        if (k < 0 || k > layers.size()) throw new IllegalArgumentException("freezeFirst(" + k + ") outside [0, " + layers.size() + "]");
        for (int i = 0; i < layers.size(); i++) layers.get(i).trainable(i >= k);
        return this;
    }

    /** Keep {@code dLoss/dInput} of each training step (see {@link #inputGradient()}); off by default since it costs a full backward pass. */
    public Sequential keepInputGradient(boolean keep) {
        this.keepInputGradient = keep;
        return this;
    }

    /** {@code dLoss/dInput} of the last training step, {@code [batch][inputSize]}, when {@link #keepInputGradient(boolean)} is on. */
    public float[] inputGradient() {
        if (!keepInputGradient) throw new IllegalStateException("call keepInputGradient(true) before the training step");
        return inputGradient;
    }

    /** Back to one thread (the shared pool's workers are not the model's to stop); kept for try-with-resources. */
    @Override
    public void close() {
        threads(1);
    }

    // ---- structure --------------------------------------------------------------------------------------------

    public List<Layer> layers() {
        return layers;
    }

    public Layer layer(int index) {
        return layers.get(index);
    }

    public int size() {
        return layers.size();
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    /** The per-sample output shape of layer {@code index}. */
    public int[] outputShape(int index) {
        return outShapes[index].clone();
    }

    public int[] outputShape() {
        return outShapes[outShapes.length - 1].clone();
    }

    public int inputSize() {
        return inSize;
    }

    public int outputSize() {
        return outSize;
    }

    /** True when layer {@code index} is an activation fused into the preceding Conv2d/Linear. */
    public boolean isFused(int index) {
        return index > 0 && fusedNext[index - 1];
    }

    /** The parameters by PyTorch state_dict name ({@code "0.weight"}, {@code "3.bias"}, ...), in layer order. */
    public Map<String, Parameter> stateDict() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            for (Parameter p : layers.get(i).parameters()) m.put(i + "." + p.name(), p);
        }
        return Collections.unmodifiableMap(m);
    }

    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (Layer l : layers) all.addAll(l.parameters());
        return all;
    }

    public long parameterCount() {
        long n = 0;
        for (Layer l : layers) n += l.parameterCount();
        return n;
    }

    public long trainableParameterCount() {
        long n = 0;
        for (Layer l : layers) if (l.isTrainable()) n += l.parameterCount();
        return n;
    }

    /** A table: index, layer, output shape, parameters, trainable; fused activations are marked. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        String fmt = "%-3s %-36s %-16s %10s  %s%n";
        b.append(String.format(fmt, "#", "layer", "output shape", "params", "trainable"));
        b.append(String.format(fmt, "", "input", Arrays.toString(inputShape), "", ""));
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String name = l.describe() + (isFused(i) ? " (fused into " + (i - 1) + ")" : "");
            String trainable = l.parameters().isEmpty() ? "" : (l.isTrainable() ? "yes" : "frozen");
            b.append(String.format(fmt, i, name, Arrays.toString(outShapes[i]), String.format("%,d", l.parameterCount()), trainable));
        }
        b.append(String.format("total params: %,d (trainable %,d)%n", parameterCount(), trainableParameterCount()));
        return b.toString();
    }

    @Override
    public String toString() {
        return summary();
    }

    // ---- running ----------------------------------------------------------------------------------------------

    /**
     * Forward pass for input of shape {@code shape = [N, ...inputShape]}; returns a new {@code [N][outputSize]} array.
     * Uses the current mode (call {@link #eval()} for inference).
     */
    public float[] forward(float[] x, int... shape) {
        Checks.notNull("x", x);
        Checks.notNull("shape", shape);
        int batch = checkShape(shape);
        if (x.length != (long) batch * inSize) {
            throw new IllegalArgumentException("x has " + x.length + " floats but shape " + Arrays.toString(shape) + " needs " + (long) batch * inSize);
        }
        float[] out = new float[batch * outSize];
        forward(x, 0, batch, out, 0);
        return out;
    }

    /** {@code a} holds {@code batch} samples of {@code sampleSize} from {@code off}; the message is built only on failure. */
    private static void checkArray(String name, float[] a, int off, int batch, int sampleSize, int[] sampleShape) {
        if (!Checks.fits(a, off, (long) batch * sampleSize)) {
            Checks.array(name, a, off, (long) batch * sampleSize, "[" + batch + "]x" + Arrays.toString(sampleShape));
        }
    }

    private int checkShape(int[] shape) {
        boolean ok = shape.length == inputShape.length + 1 && shape[0] > 0;
        for (int i = 0; ok && i < inputShape.length; i++) ok = shape[i + 1] == inputShape[i];
        if (!ok) {
            throw new IllegalArgumentException("input shape " + Arrays.toString(shape) + " does not fit the model's input [N, "
                    + Arrays.toString(inputShape).substring(1));
        }
        return shape[0];
    }

    /** Forward pass of {@code batch} samples from {@code x[xOff]} into {@code out[outOff]} ({@code [batch][outputSize]}); no allocation after the first call per batch size. */
    public void forward(float[] x, int xOff, int batch, float[] out, int outOff) {
        Checks.positive("batch", batch, "forward");
        checkArray("x", x, xOff, batch, inSize, inputShape);
        checkArray("out", out, outOff, batch, outSize, outShapes[outShapes.length - 1]);
        Worker[] workers = plan(batch);
        callX = x;
        callXOff = xOff;
        callOut = out;
        callOutOff = outOff;
        callMode = training;
        callStep = trainSteps;
        try {
            run(workers, forwardTask);
        } finally {
            endCall();
        }
    }

    private void forwardSlice(int slice) {
        Worker w = callWorkers[slice];
        w.forward(callX, callXOff + w.rowStart * inSize, callMode, callStep);
        Step last = w.steps[w.steps.length - 1];
        System.arraycopy(last.out, last.outOff, callOut, callOutOff + w.rowStart * outSize, w.rows * outSize);
    }

    private void trainSlice(int slice) {
        Worker w = callWorkers[slice];
        w.forward(callX, callXOff + w.rowStart * inSize, callMode, callStep);
        Step last = w.steps[w.steps.length - 1];
        w.loss = callObjective.evaluate(kernels, w.rowStart, w.rows, callBatch, outSize, last.out, last.outOff, w.lossGrad, 0);
        float[] dx = w.backward(callStopStep);
        if (keepInputGradient) System.arraycopy(dx, 0, inputGradient, w.rowStart * inSize, w.rows * inSize);
    }

    private void endCall() {
        callWorkers = null;
        callX = null;
        callOut = null;
        callObjective = null;
    }

    /**
     * One training step without the optimizer: forward (in the current mode), the loss, and the backward pass that
     * leaves each trainable parameter's gradient in {@link Parameter#grad()}. Returns the batch's mean loss.
     */
    public double trainStep(float[] x, int xOff, int batch, Objective objective) {
        Checks.notNull("objective", objective);
        Checks.positive("batch", batch, "trainStep");
        checkArray("x", x, xOff, batch, inSize, inputShape);
        Worker[] workers = plan(batch);
        int first = firstTrainableLayer();
        int stopStep = keepInputGradient ? 0 : (first < 0 ? stepLayer.length : layerStep[first]);
        if (keepInputGradient && inputGradient.length != batch * inSize) inputGradient = new float[batch * inSize];
        callX = x;
        callXOff = xOff;
        callMode = training;
        callStep = trainSteps++;
        callBatch = batch;
        callStopStep = stopStep;
        callObjective = objective;
        try {
            run(workers, trainTask);
        } finally {
            endCall();
        }
        // Deterministic reduction: slice 0 wrote straight into Parameter.grad; add the others in slice order.
        double loss = 0;
        for (int w = 0; w < workers.length; w++) loss += workers[w].loss;
        if (workers.length > 1) {
            for (int s = 0; s < stepLayer.length; s++) {
                Layer l = layers.get(stepLayer[s]);
                if (!l.isTrainable() || l.parameters().isEmpty() || s < stopStep) continue;
                List<Parameter> ps = l.parameters();
                for (int j = 0; j < ps.size(); j++) reduceGradient(workers, s, j, ps.get(j));
            }
        }
        return loss;
    }

    /** The running reduction's operands, read by {@link #reduceTask} (set before, cleared after). */
    private Worker[] reduceWorkers;
    private int reduceStep, reduceParam;
    private float[] reduceInto;
    private final WorkerPool.RangeTask reduceTask = this::reduceRange;

    /**
     * Adds slices 1.. of parameter {@code j} of step {@code s} into slice 0's (its {@link Parameter#grad()}), element by
     * element in slice order: split over the threads by element ranges, so every thread count gives the same bits.
     */
    private void reduceGradient(Worker[] workers, int s, int j, Parameter p) {
        reduceWorkers = workers;
        reduceStep = s;
        reduceParam = j;
        reduceInto = p.grad();
        try {
            WorkerPool.runElements(p.size(), threads, reduceTask);
        } finally {
            reduceWorkers = null;
            reduceInto = null;
        }
    }

    private void reduceRange(int index, int from, int to) {
        for (int w = 1; w < reduceWorkers.length; w++) {
            kernels.elementwise().axpy(to - from, 1f, reduceWorkers[w].grads[reduceStep][reduceParam], from, reduceInto, from);
        }
    }

    /** Index of the first layer with trainable parameters, or -1. */
    public int firstTrainableLayer() {
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            if (l.isTrainable() && !l.parameters().isEmpty()) return i;
        }
        return -1;
    }

    /** The seed of the last {@link #initialize(long)} (dropout masks depend on it). */
    public long seed() {
        return seed;
    }

    /** The training-step counter (dropout masks depend on it). */
    public long trainSteps() {
        return trainSteps;
    }

    // ---- save / load (see Model) ------------------------------------------------------------------------------

    /** Saves the weights (PyTorch state_dict names) and the architecture as safetensors, atomically. */
    public void save(Path file) throws IOException {
        Model.save(this, file, Map.of());
    }

    /** Loads every parameter by name; the file must hold exactly this model's tensors with matching shapes. */
    public void loadWeights(Path file) throws IOException {
        Model.loadWeights(this, file, true);
    }

    /** {@code strict=false}: loads the tensors whose names this model has and leaves the others (a subset is fine). */
    public void loadWeights(Path file, boolean strict) throws IOException {
        Model.loadWeights(this, file, strict);
    }

    // ---- internals --------------------------------------------------------------------------------------------

    /**
     * Runs {@code task} once per slice, on up to {@link #threads()} threads (the caller and the shared pool's
     * workers). Which thread runs a slice does not matter: each slice has its own buffers and gradients.
     */
    private void run(Worker[] workers, WorkerPool.Task task) {
        for (int i = 0; i < layers.size(); i++) layers.get(i).prepare(kernels);
        callWorkers = workers;
        int t = Math.min(threads, workers.length);
        if (t == 1) {
            for (int i = 0; i < workers.length; i++) task.run(i);
            return;
        }
        WorkerPool.shared().run(workers.length, t, task);
    }

    private Worker[] plan(int batch) {
        Worker[] workers = plans.get(batch);
        if (workers == null) {
            int n = Math.min(Math.max(slices, threads), batch);
            workers = new Worker[n];
            for (int w = 0; w < n; w++) {
                int start = (int) ((long) batch * w / n);
                int end = (int) ((long) batch * (w + 1) / n);
                workers[w] = new Worker(start, end - start, w == 0);
            }
            plans.put(batch, workers);
        }
        return workers;
    }

    /** One slice of the batch with its own steps and buffers (run by one thread at a time). */
    private final class Worker {
        final int rowStart, rows;
        final Step[] steps;
        final float[] lossGrad;
        /** grads[step][param]: Parameter.grad for slice 0, private arrays for the others. */
        final float[][][] grads;
        double loss;

        Worker(int rowStart, int rows, boolean first) {
            this.rowStart = rowStart;
            this.rows = rows;
            this.steps = new Step[stepLayer.length];
            this.grads = new float[stepLayer.length][][];
            for (int s = 0; s < stepLayer.length; s++) {
                int li = stepLayer[s];
                Layer l = layers.get(li);
                int[] in = li == 0 ? inputShape : outShapes[li - 1];
                Epilogue fused = fusedNext[li] ? layers.get(li + 1).asEpilogue() : Epilogue.NONE;
                steps[s] = l.step(kernels, in, rows, fused, li, seed);
                List<Parameter> ps = l.parameters();
                grads[s] = new float[ps.size()][];
                for (int j = 0; j < ps.size(); j++) grads[s][j] = first ? ps.get(j).grad() : new float[ps.get(j).size()];
            }
            this.lossGrad = new float[rows * outSize];
        }

        void forward(float[] x, int xOff, boolean training, long step) {
            float[] in = x;
            int inOff = xOff;
            for (Step s : steps) {
                s.forward(in, inOff, training, step, rowStart);
                in = s.out;
                inOff = s.outOff;
            }
        }

        /** Backward down to step {@code stopStep} (which computes no input gradient unless it is a kept input gradient). */
        float[] backward(int stopStep) {
            float[] dy = lossGrad;
            for (int s = steps.length - 1; s >= stopStep && s >= 0; s--) {
                Layer l = layers.get(stepLayer[s]);
                float[][] g = l.isTrainable() && !l.parameters().isEmpty() ? grads[s] : null;
                boolean needDx = s > stopStep || keepInputGradient;
                dy = steps[s].backward(dy, needDx, g);
            }
            return dy;
        }
    }
}
