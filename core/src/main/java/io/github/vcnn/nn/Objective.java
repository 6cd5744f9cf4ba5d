package io.github.vcnn.nn;

import io.github.vcnn.kernels.KernelProvider;

/**
 * The loss of a training step, evaluated slice by slice (one slice per worker thread).
 * {@code io.github.vcnn.train.Loss} builds these from labels or targets.
 */
@FunctionalInterface
public interface Objective {
    /**
     * For rows {@code [rowStart, rowStart + rows)} of a batch of {@code batchSize} rows: returns this slice's share of
     * the batch's mean loss ({@code sum of the rows' losses / batchSize}) and writes {@code d(mean loss)/d output}
     * for those rows into {@code grad} from {@code gradOff}.
     *
     * @param output the model output of the slice, {@code [rows][cols]} from {@code outOff}
     */
    double evaluate(KernelProvider kernels, int rowStart, int rows, int batchSize, int cols,
                    float[] output, int outOff, float[] grad, int gradOff);
}
