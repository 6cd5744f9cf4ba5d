package io.github.vcnn.train;

import io.github.vcnn.nn.Objective;

/**
 * Softmax followed by cross-entropy against class labels, mean over the batch (PyTorch's {@code nn.CrossEntropyLoss}
 * on logits), through the fused, numerically stable kernel {@link io.github.vcnn.kernels.SoftmaxKernels#crossEntropy}.
 */
public record SoftmaxCrossEntropy() implements Loss {

    @Override
    public Objective on(Targets targets, int firstRow) {
        int[] labels = targets.labels();
        if (labels == null) throw new IllegalArgumentException("cross-entropy needs class labels, got value targets");
        return (k, rowStart, rows, batch, cols, out, outOff, grad, gradOff) -> {
            int from = firstRow + rowStart;
            if (from < 0 || from + rows > labels.length) {
                throw new IllegalArgumentException("batch rows " + from + ".." + (from + rows) + " beyond the " + labels.length + " labels");
            }
            for (int r = 0; r < rows; r++) {
                int label = labels[from + r];
                if (label < 0 || label >= cols) {
                    throw new IllegalArgumentException("label " + label + " of sample " + (from + r) + " outside the " + cols + " classes");
                }
            }
            float mean = k.softmax().crossEntropy(rows, cols, out, outOff, labels, from, null, 0, grad, gradOff);
            // The kernel averages over this slice; rescale to the mean over the whole batch.
            if (rows != batch) k.elementwise().scale(rows * cols, (float) rows / batch, grad, gradOff, grad, gradOff);
            return (double) mean * rows / batch;
        };
    }

    @Override
    public String name() {
        return "cross_entropy";
    }
}
