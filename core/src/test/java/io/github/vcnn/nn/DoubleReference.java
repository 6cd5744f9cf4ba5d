package io.github.vcnn.nn;

import io.github.vcnn.io.internal.Json;
import io.github.vcnn.kernels.PoolParams;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A double-precision re-implementation of a Sequential's forward pass, read from its saved architecture
 * (so it shares no code with the layers), plus losses: the reference for finite-difference gradient checks.
 */
final class DoubleReference {
    private final List<Map<String, Object>> layers;
    private final int[] inputShape;
    /** Parameters by state_dict name, as doubles; tests perturb these. */
    final Map<String, double[]> params = new LinkedHashMap<>();
    /** Dropout masks need the model's seed and the step index of the training step being checked. */
    long seed;
    long step;
    boolean training;

    @SuppressWarnings("unchecked")
    DoubleReference(Sequential model) {
        Map<String, Object> root = Json.parseObject(Model.architecture(model));
        this.layers = (List<Map<String, Object>>) (List<?>) root.get("layers");
        List<?> in = (List<?>) root.get("input");
        this.inputShape = in.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            float[] f = e.getValue().data();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            params.put(e.getKey(), d);
        }
        this.seed = model.seed();
        this.training = model.isTraining();
    }

    double[] forward(double[] x, int batch) {
        int[] shape = inputShape.clone();
        double[] a = x.clone();
        for (int li = 0; li < layers.size(); li++) {
            Map<String, Object> c = layers.get(li);
            String type = (String) c.get("type");
            switch (type) {
                case "Conv2d" -> {
                    int[] k = ints(c.get("kernel_size")), st = ints(c.get("stride")), p = ints(c.get("padding")), d = ints(c.get("dilation"));
                    int C = shape[0], H = shape[1], W = shape[2], K = num(c, "out_channels"), G = num(c, "groups");
                    int oh = (H + p[0] + p[2] - d[0] * (k[0] - 1) - 1) / st[0] + 1;
                    int ow = (W + p[1] + p[3] - d[1] * (k[1] - 1) - 1) / st[1] + 1;
                    double[] w = params.get(li + ".weight");
                    double[] b = params.get(li + ".bias");
                    int cg = C / G, kg = K / G;
                    double[] y = new double[batch * K * oh * ow];
                    for (int n = 0; n < batch; n++) for (int ko = 0; ko < K; ko++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                        double s = b == null ? 0 : b[ko];
                        int g = ko / kg;
                        for (int ci = 0; ci < cg; ci++) for (int r = 0; r < k[0]; r++) for (int q = 0; q < k[1]; q++) {
                            int ih = i * st[0] + r * d[0] - p[0], iw = j * st[1] + q * d[1] - p[1];
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            s += a[((n * C + g * cg + ci) * H + ih) * W + iw] * w[((ko * cg + ci) * k[0] + r) * k[1] + q];
                        }
                        y[((n * K + ko) * oh + i) * ow + j] = s;
                    }
                    a = y;
                    shape = new int[]{K, oh, ow};
                }
                case "Linear" -> {
                    int in = num(c, "in_features"), out = num(c, "out_features");
                    double[] w = params.get(li + ".weight");
                    double[] b = params.get(li + ".bias");
                    double[] y = new double[batch * out];
                    for (int n = 0; n < batch; n++) for (int o = 0; o < out; o++) {
                        double s = b == null ? 0 : b[o];
                        for (int i = 0; i < in; i++) s += a[n * in + i] * w[o * in + i];
                        y[n * out + o] = s;
                    }
                    a = y;
                    shape = new int[]{out};
                }
                case "MaxPool2d", "AvgPool2d" -> {
                    int[] k = ints(c.get("kernel_size")), st = ints(c.get("stride")), p = ints(c.get("padding"));
                    boolean max = type.equals("MaxPool2d");
                    boolean incl = !max && Boolean.TRUE.equals(c.get("count_include_pad"));
                    int C = shape[0], H = shape[1], W = shape[2];
                    PoolParams pp = new PoolParams(1, C, H, W, k[0], k[1], st[0], st[1], p[0], p[1], p[0], p[1],
                            Boolean.TRUE.equals(c.get("ceil_mode")), incl);
                    int oh = pp.outH(), ow = pp.outW();
                    double[] y = new double[batch * C * oh * ow];
                    for (int nc = 0; nc < batch * C; nc++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                        int h0 = i * st[0] - p[0], w0 = j * st[1] - p[1];
                        int h1 = Math.min(h0 + k[0], H + p[0]), w1 = Math.min(w0 + k[1], W + p[1]);
                        double best = Double.NEGATIVE_INFINITY, sum = 0;
                        int valid = 0;
                        for (int ih = Math.max(h0, 0); ih < Math.min(h1, H); ih++) for (int iw = Math.max(w0, 0); iw < Math.min(w1, W); iw++) {
                            double v = a[(nc * H + ih) * W + iw];
                            best = Math.max(best, v);
                            sum += v;
                            valid++;
                        }
                        y[(nc * oh + i) * ow + j] = max ? best : sum / (incl ? (h1 - h0) * (w1 - w0) : valid);
                    }
                    a = y;
                    shape = new int[]{C, oh, ow};
                }
                case "ReLU" -> {
                    for (int i = 0; i < a.length; i++) a[i] = Math.max(0, a[i]);
                }
                case "LeakyReLU" -> {
                    double alpha = ((Number) c.get("negative_slope")).doubleValue();
                    for (int i = 0; i < a.length; i++) a[i] = a[i] > 0 ? a[i] : alpha * a[i];
                }
                case "Sigmoid" -> {
                    for (int i = 0; i < a.length; i++) a[i] = 1 / (1 + Math.exp(-a[i]));
                }
                case "Flatten" -> shape = new int[]{a.length / batch};
                case "Dropout" -> {
                    if (training) {
                        float p = (float) ((Number) c.get("p")).doubleValue();
                        for (int i = 0; i < a.length; i++) a[i] *= Dropout.maskValue(seed, li, step, i, p);
                    }
                }
                default -> throw new IllegalArgumentException("reference lacks " + type);
            }
        }
        return a;
    }

    static double crossEntropy(double[] logits, int[] labels, int batch) {
        int cols = logits.length / batch;
        double loss = 0;
        for (int n = 0; n < batch; n++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) m = Math.max(m, logits[n * cols + c]);
            double s = 0;
            for (int c = 0; c < cols; c++) s += Math.exp(logits[n * cols + c] - m);
            loss += -(logits[n * cols + labels[n]] - m - Math.log(s));
        }
        return loss / batch;
    }

    static double mse(double[] pred, float[] target) {
        double s = 0;
        for (int i = 0; i < pred.length; i++) s += (pred[i] - target[i]) * (pred[i] - target[i]);
        return s / pred.length;
    }

    private static int[] ints(Object o) {
        return ((List<?>) o).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    private static int num(Map<String, Object> c, String key) {
        return ((Number) c.get(key)).intValue();
    }
}
