package io.github.vcnn.train;

import io.github.vcnn.nn.Objective;

/** A training loss over the model's output rows; binds to the targets of one batch as an {@link Objective}. */
public sealed interface Loss permits SoftmaxCrossEntropy, MSE {

    /**
     * The objective for a batch whose targets start at row {@code firstRow} of {@code targets}
     * (the batch's row r uses target row {@code firstRow + r}).
     */
    Objective on(Targets targets, int firstRow);

    /** PyTorch's name of the loss ("cross_entropy", "mse"). */
    String name();
}
