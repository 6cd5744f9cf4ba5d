package io.github.vcnn.nn;

/**
 * One layer (or a layer with a fused activation) bound to a kernel set and a batch size, with all the
 * buffers it needs for forward and backward. Each worker thread of a {@link Sequential} has its own steps,
 * so steps are not thread-safe and never share a writable buffer.
 *
 * <p>Forward leaves its result in {@link #out} from {@link #outOff}; a step that changes nothing
 * (Flatten, Dropout in eval) points {@code out} at its input instead of copying.
 */
abstract class Step {
    /** The forward result: {@code [batch][outSize]} from {@code outOff}. */
    float[] out;
    int outOff;

    /**
     * @param training   training mode (dropout active, pooling keeps argmax)
     * @param stepIndex  the model's training-step counter (dropout masks depend on it)
     * @param sampleBase index of this slice's first sample within the whole batch
     */
    abstract void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase);

    /**
     * Backward from {@code dy} ({@code [batch][outSize]} at offset 0, which the step may overwrite).
     *
     * @param needDx      compute the input gradient
     * @param weightGrads where to write the parameter gradients (in {@link Layer#parameters()} order), or null for none
     * @return the array holding {@code dx} at offset 0 (may be {@code dy} itself), or null when {@code needDx} is false
     */
    abstract float[] backward(float[] dy, boolean needDx, float[][] weightGrads);
}
