package io.github.vcnn.train;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.nn.Layer;
import io.github.vcnn.nn.Parameter;
import io.github.vcnn.nn.Sequential;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates the trainable parameters of a model from their gradients, through the vectorized
 * {@link io.github.vcnn.kernels.OptimizerKernels} of the model's kernel set. Frozen layers are skipped and
 * keep their values. State (momentum, moments) is kept per parameter, so freezing or unfreezing later is safe.
 *
 * <p>A parameter of at least {@link WorkerPool#PARALLEL_ELEMENTS_MIN} elements is updated in element ranges on up to the model's {@link Sequential#threads()}
 * threads (the shared {@link WorkerPool}); each element's update is independent, so the bits do not depend on the split.
 *
 * <p>Weight decay: biases are excluded by default ({@link #decayBiases(boolean)}). For {@link SGD} and {@link Adam}
 * it is L2 regularization as in the spec, {@code L + lambda/2 sum ||W||^2}, whose gradient adds {@code lambda W}
 * ({@link #weightDecay(double)} = lambda); {@link AdamW} decouples it instead.
 */
public abstract class Optimizer {
    private float lr;
    private float weightDecay;
    private boolean decayBiases;
    private final Map<Parameter, State> state = new IdentityHashMap<>();

    /** Per-parameter state: up to two moment buffers and the parameter's own step count. */
    protected static final class State {
        public final float[] a;
        public final float[] b;
        public int steps;

        State(int size, int buffers) {
            this.a = buffers >= 1 ? new float[size] : null;
            this.b = buffers >= 2 ? new float[size] : null;
        }
    }

    protected Optimizer(double lr) {
        learningRate(lr);
    }

    public float learningRate() {
        return lr;
    }

    /** Changes the learning rate (for schedules); must be finite and &gt; 0. */
    public Optimizer learningRate(double lr) {
        Checks.finitePositive("learning rate", lr);
        this.lr = (float) lr;
        return this;
    }

    public float weightDecay() {
        return weightDecay;
    }

    /** lambda &gt;= 0; see the class comment for what it means per optimizer. */
    public Optimizer weightDecay(double lambda) {
        Checks.finiteNonNegative("weight decay", lambda);
        this.weightDecay = (float) lambda;
        return this;
    }

    /** Whether biases are decayed too (default false). */
    public Optimizer decayBiases(boolean decay) {
        this.decayBiases = decay;
        return this;
    }

    public boolean decaysBiases() {
        return decayBiases;
    }

    /** One update of every trainable parameter of {@code model} from its current gradient. */
    public void step(Sequential model) {
        Checks.notNull("model", model);
        KernelProvider k = model.kernels();
        List<Layer> layers = model.layers();
        for (int i = 0; i < layers.size(); i++) { // indexed loops: no iterator per step
            Layer layer = layers.get(i);
            if (!layer.isTrainable()) continue;
            List<Parameter> params = layer.parameters();
            for (int j = 0; j < params.size(); j++) {
                Parameter p = params.get(j);
                State s = state.get(p);
                if (s == null) {
                    s = new State(p.size(), buffers());
                    state.put(p, s);
                }
                s.steps++;
                float wd = p.isBias() && !decayBiases ? 0f : weightDecay;
                runKernels = k;
                runParam = p;
                runState = s;
                runDecay = wd;
                try {
                    WorkerPool.runElements(p.size(), model.threads(), rangeTask);
                } finally {
                    runKernels = null;
                    runParam = null;
                    runState = null;
                }
                p.changed();
            }
        }
    }

    /** The L2 penalty {@code lambda/2 sum ||W||^2} over the decayed trainable parameters (for reporting the regularized loss). */
    public double l2Penalty(Sequential model) {
        if (weightDecay == 0f) return 0;
        double sum = 0;
        for (Layer layer : model.layers()) {
            if (!layer.isTrainable()) continue;
            for (Parameter p : layer.parameters()) {
                if (p.isBias() && !decayBiases) continue;
                sum += model.kernels().elementwise().sumOfSquares(p.size(), p.data(), 0);
            }
        }
        return 0.5 * weightDecay * sum;
    }

    /** Forgets all state (moments, step counts). */
    public void reset() {
        state.clear();
    }

    /** Number of state buffers per parameter. */
    protected abstract int buffers();

    /**
     * Updates elements {@code [from, to)} of {@code p.data()} in place from {@code p.grad()} and the same elements of
     * the state buffers; {@code s.steps} already counts this step. Every element's update depends on that element
     * only, so {@link #step} may split a parameter into ranges over the model's threads (same bits for any split).
     */
    protected abstract void update(KernelProvider k, Parameter p, State s, float weightDecay, int from, int to);

    /** The running parallel update's operands, read by {@link #rangeTask} (set before, cleared after). */
    private KernelProvider runKernels;
    private Parameter runParam;
    private State runState;
    private float runDecay;
    /** Created once: a step hands the pool this task, never a new lambda. */
    private final WorkerPool.RangeTask rangeTask = (index, from, to) -> update(runKernels, runParam, runState, runDecay, from, to);
}
