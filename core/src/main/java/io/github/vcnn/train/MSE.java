package io.github.vcnn.train;

import io.github.vcnn.nn.Objective;

/** Mean squared error over every output value of the batch (PyTorch's {@code nn.MSELoss}, reduction mean). */
public record MSE() implements Loss {

    @Override
    public Objective on(Targets targets, int firstRow) {
        float[] values = targets.values();
        if (values == null) throw new IllegalArgumentException("MSE needs value targets, got class labels");
        int width = targets.width();
        return (k, rowStart, rows, batch, cols, out, outOff, grad, gradOff) -> {
            if (cols != width) throw new IllegalArgumentException("model output has " + cols + " values per sample, targets " + width);
            long from = (long) (firstRow + rowStart) * width;
            if (from < 0 || from + (long) rows * width > values.length) {
                throw new IllegalArgumentException("batch rows " + (firstRow + rowStart) + ".." + (firstRow + rowStart + rows)
                        + " beyond the " + values.length / width + " target rows");
            }
            float mean = k.softmax().mse(rows * cols, out, outOff, values, (int) from, grad, gradOff);
            if (rows != batch) k.elementwise().scale(rows * cols, (float) rows / batch, grad, gradOff, grad, gradOff);
            return (double) mean * rows / batch;
        };
    }

    @Override
    public String name() {
        return "mse";
    }
}
