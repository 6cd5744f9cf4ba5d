package io.github.vcnn.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.vcnn.io.SafeTensors;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.PoolParams;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs reference cases (safetensors files in the format of ../shared/reference/torch-kernels) through
 * one kernel set and compares with the stored PyTorch results, at the README's tolerances:
 * forward {@code |err| <= 1e-4 (1 + |ref|)}, gradients {@code |err| <= 1e-3 max|ref|}.
 */
public final class ReferenceCheck {

    static final double FORWARD_TOL = 1e-4;
    static final double GRADIENT_TOL = 1e-3;

    /** One case to run: a file and its parameters (INDEX.json entry merged over the file's metadata). */
    public record Case(String name, Path file, Map<String, String> indexParams) {
    }

    /** The outcome of one case: passed with the largest absolute error seen, or failed with a reason. */
    public record Result(String name, boolean passed, double maxErr, String reason) {
        public String line() {
            return passed ? "PASS " + name + " max_err=" + String.format("%.3g", maxErr) : "FAIL " + name + " " + reason;
        }
    }

    private final KernelProvider k;
    private final boolean forwardOnly;

    public ReferenceCheck(KernelProvider kernels, boolean forwardOnly) {
        this.k = kernels;
        this.forwardOnly = forwardOnly;
    }

    /** Expands files and folders (a folder: its INDEX.json order when present, else every *.safetensors, sorted). */
    @SuppressWarnings("unchecked")
    public static List<Case> collect(List<Path> paths) throws IOException {
        List<Case> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                Path index = p.resolve("INDEX.json");
                if (Files.isRegularFile(index)) {
                    Map<String, Object> json = JSON.std.mapFrom(Files.readString(index));
                    Object cases = json.get("cases");
                    if (!(cases instanceof List<?> list)) throw new IOException(index + " has no \"cases\" list");
                    for (Object o : list) {
                        Map<String, Object> c = (Map<String, Object>) o;
                        String name = String.valueOf(c.get("name"));
                        Map<String, String> params = new LinkedHashMap<>();
                        c.forEach((key, v) -> params.put(key, String.valueOf(v)));
                        out.add(new Case(name, p.resolve(name + ".safetensors"), params));
                    }
                } else {
                    try (Stream<Path> s = Files.list(p)) {
                        for (Path f : s.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList()) {
                            out.add(new Case(stripExt(f), f, Map.of()));
                        }
                    }
                }
            } else if (Files.isRegularFile(p)) {
                out.add(new Case(stripExt(p), p, Map.of()));
            } else {
                throw new java.nio.file.NoSuchFileException(p.toString(), null, "no such reference file or folder");
            }
        }
        return out;
    }

    private static String stripExt(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".safetensors") ? n.substring(0, n.length() - ".safetensors".length()) : n;
    }

    /** Runs one case; never throws (a failure of any kind is a FAIL result with the reason). */
    public Result run(Case c) {
        try {
            SafeTensors t = SafeTensors.read(c.file());
            Map<String, String> params = new LinkedHashMap<>(t.metadata());
            params.putAll(c.indexParams());
            String op = params.getOrDefault("op", "");
            Errors err = new Errors();
            switch (op) {
                case "conv2d" -> conv(t, params, err);
                case "max_pool2d", "avg_pool2d" -> pool(t, params, op.equals("max_pool2d"), err);
                case "linear" -> linear(t, params, err);
                case "relu", "leaky_relu", "sigmoid", "clip" -> activation(t, params, op, err);
                case "softmax_cross_entropy" -> crossEntropy(t, err);
                case "mse" -> mse(t, err);
                case "sgd", "adam", "adamw" -> optimizer(t, params, op, err);
                default -> {
                    return new Result(c.name(), false, 0, "unsupported op '" + op + "'");
                }
            }
            return err.failure == null ? new Result(c.name(), true, err.max, null) : new Result(c.name(), false, err.max, err.failure);
        } catch (IOException | RuntimeException e) {
            return new Result(c.name(), false, 0, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** Running maximum of absolute errors and the first failure. */
    private static final class Errors {
        double max;
        String failure;

        void forward(String tensor, float[] ref, float[] got) {
            compare(tensor, ref, got, false);
        }

        void gradient(String tensor, float[] ref, float[] got) {
            compare(tensor, ref, got, true);
        }

        private void compare(String tensor, float[] ref, float[] got, boolean gradient) {
            if (ref.length != got.length) {
                fail(tensor + ": " + got.length + " values, reference has " + ref.length);
                return;
            }
            double scale = 0;
            for (float v : ref) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < ref.length; i++) {
                double e = Math.abs((double) got[i] - ref[i]);
                double bound = gradient ? GRADIENT_TOL * Math.max(scale, 1e-12) : FORWARD_TOL * (1 + Math.abs(ref[i]));
                if (!(e <= bound)) {
                    fail(tensor + "[" + i + "] = " + got[i] + ", reference " + ref[i] + " (|err| " + String.format("%.3g", e) + ")");
                    e = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
                }
                max = Math.max(max, e);
            }
        }

        void fail(String why) {
            if (failure == null) failure = why;
        }
    }

    private static int p(Map<String, String> params, String key, int fallback) {
        String v = params.get(key);
        return v == null ? fallback : Integer.parseInt(v.trim());
    }

    private static float pf(Map<String, String> params, String key, float fallback) {
        String v = params.get(key);
        return v == null ? fallback : Float.parseFloat(v.trim());
    }

    private static boolean pb(Map<String, String> params, String key, boolean fallback) {
        String v = params.get(key);
        return v == null ? fallback : Boolean.parseBoolean(v.trim().toLowerCase());
    }

    static Epilogue epilogue(Map<String, String> params) {
        String act = params.getOrDefault("activation", "none");
        return switch (act) {
            case "none", "identity" -> Epilogue.NONE;
            case "relu" -> Epilogue.RELU;
            case "leaky_relu" -> Epilogue.leakyRelu(pf(params, "alpha", 0.01f));
            case "sigmoid" -> Epilogue.SIGMOID;
            case "clip" -> Epilogue.clip(pf(params, "min", Float.NEGATIVE_INFINITY), pf(params, "max", Float.POSITIVE_INFINITY));
            default -> throw new IllegalArgumentException("unsupported activation '" + act + "'");
        };
    }

    private void conv(SafeTensors t, Map<String, String> params, Errors err) {
        int[] xs = t.shape("x"), ws = t.shape("w");
        int groups = p(params, "groups", 1);
        ConvParams cp = new ConvParams(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3],
                p(params, "stride_h", 1), p(params, "stride_w", 1),
                p(params, "pad_h", 0), p(params, "pad_w", 0), p(params, "pad_h", 0), p(params, "pad_w", 0),
                p(params, "dilation_h", 1), p(params, "dilation_w", 1), groups);
        boolean hasBias = t.has("b") && pb(params, "bias", true);
        float[] bias = hasBias ? t.floats("b") : null;
        Epilogue act = epilogue(params);
        float[] y = new float[cp.outputSize()];
        k.conv().fwd(cp, t.floats("x"), 0, k.conv().pack(cp, t.floats("w"), 0), bias, 0, act, y, 0);
        err.forward("y", t.floats("y"), y);
        if (forwardOnly) return;
        float[] dz = new float[y.length];
        k.activation().bwd(act, y, 0, t.floats("dy"), 0, dz, 0, y.length);
        float[] dx = new float[cp.inputSize()];
        k.conv().bwdData(cp, dz, 0, t.floats("w"), 0, dx, 0);
        err.gradient("dx", t.floats("dx"), dx);
        float[] dw = new float[cp.weightSize()];
        float[] db = hasBias ? new float[cp.k()] : null;
        k.conv().bwdWeights(cp, t.floats("x"), 0, dz, 0, dw, 0, db, 0);
        err.gradient("dw", t.floats("dw"), dw);
        if (hasBias && t.has("db")) err.gradient("db", t.floats("db"), db);
    }

    private void pool(SafeTensors t, Map<String, String> params, boolean max, Errors err) {
        int[] xs = t.shape("x");
        int kh = p(params, "kernel_h", 2), kw = p(params, "kernel_w", kh);
        int ph = p(params, "pad_h", 0), pw = p(params, "pad_w", 0);
        PoolParams pp = new PoolParams(xs[0], xs[1], xs[2], xs[3], kh, kw, p(params, "stride_h", kh), p(params, "stride_w", kw),
                ph, pw, ph, pw, pb(params, "ceil_mode", false), pb(params, "count_include_pad", false));
        float[] y = new float[pp.outputSize()];
        int[] argmax = max ? new int[y.length] : null;
        if (max) k.pool().maxFwd(pp, t.floats("x"), 0, y, 0, argmax, 0);
        else k.pool().avgFwd(pp, t.floats("x"), 0, y, 0);
        err.forward("y", t.floats("y"), y);
        if (forwardOnly) return;
        float[] dx = new float[pp.inputSize()];
        if (max) k.pool().maxBwd(pp, t.floats("dy"), 0, argmax, 0, dx, 0);
        else k.pool().avgBwd(pp, t.floats("dy"), 0, dx, 0);
        err.gradient("dx", t.floats("dx"), dx);
    }

    private void linear(SafeTensors t, Map<String, String> params, Errors err) {
        int[] xs = t.shape("x"), ws = t.shape("w");
        DenseParams dp = new DenseParams(xs[0], xs[1], ws[0]);
        float[] bias = t.has("b") ? t.floats("b") : null;
        Epilogue act = epilogue(params);
        float[] y = new float[dp.batch() * dp.out()];
        k.dense().fwd(dp, t.floats("x"), 0, t.floats("w"), 0, bias, 0, act, y, 0);
        err.forward("y", t.floats("y"), y);
        if (forwardOnly) return;
        float[] dz = new float[y.length];
        k.activation().bwd(act, y, 0, t.floats("dy"), 0, dz, 0, y.length);
        float[] dx = new float[dp.batch() * dp.in()];
        k.dense().bwdData(dp, dz, 0, t.floats("w"), 0, dx, 0);
        err.gradient("dx", t.floats("dx"), dx);
        float[] dw = new float[dp.out() * dp.in()];
        float[] db = bias != null ? new float[dp.out()] : null;
        k.dense().bwdWeights(dp, t.floats("x"), 0, dz, 0, dw, 0, db, 0);
        err.gradient("dw", t.floats("dw"), dw);
        if (db != null && t.has("db")) err.gradient("db", t.floats("db"), db);
    }

    private void activation(SafeTensors t, Map<String, String> params, String op, Errors err) {
        Map<String, String> withAct = new LinkedHashMap<>(params);
        withAct.put("activation", op);
        Epilogue act = epilogue(withAct);
        float[] x = t.floats("x");
        float[] y = new float[x.length];
        k.activation().fwd(act, x, 0, y, 0, x.length);
        err.forward("y", t.floats("y"), y);
        if (forwardOnly) return;
        float[] dx = new float[x.length];
        k.activation().bwd(act, y, 0, t.floats("dy"), 0, dx, 0, x.length);
        err.gradient("dx", t.floats("dx"), dx);
    }

    private void crossEntropy(SafeTensors t, Errors err) {
        int[] s = t.shape("logits");
        long[] labels64 = t.longs("labels");
        int[] labels = new int[labels64.length];
        for (int i = 0; i < labels.length; i++) labels[i] = Math.toIntExact(labels64[i]);
        float[] probs = new float[s[0] * s[1]];
        float[] dlogits = forwardOnly ? null : new float[s[0] * s[1]];
        float loss = k.softmax().crossEntropy(s[0], s[1], t.floats("logits"), 0, labels, 0, probs, 0, dlogits, 0);
        err.forward("loss", t.floats("loss"), new float[]{loss});
        err.forward("probs", t.floats("probs"), probs);
        if (!forwardOnly) err.gradient("dlogits", t.floats("dlogits"), dlogits);
    }

    private void mse(SafeTensors t, Errors err) {
        float[] pred = t.floats("pred");
        float[] dpred = forwardOnly ? null : new float[pred.length];
        float loss = k.softmax().mse(pred.length, pred, 0, t.floats("target"), 0, dpred, 0);
        err.forward("loss", t.floats("loss"), new float[]{loss});
        if (!forwardOnly) err.gradient("dpred", t.floats("dpred"), dpred);
    }

    /** Optimizer cases replay the steps p0 -> p1 -> ... with g1, g2, ...; each p_i is compared like a forward output. */
    private void optimizer(SafeTensors t, Map<String, String> params, String op, Errors err) {
        int steps = p(params, "steps", 1);
        float lr = pf(params, "lr", 1e-3f);
        float[] p = t.floats("p0").clone();
        int n = p.length;
        float[] buf = new float[n], m = new float[n], v = new float[n];
        for (int step = 1; step <= steps; step++) {
            float[] g = t.floats("g" + step);
            switch (op) {
                case "sgd" -> k.optimizer().sgd(n, p, 0, g, 0, buf, 0, lr, pf(params, "momentum", 0f), pf(params, "dampening", 0f),
                        pf(params, "weight_decay", 0f), pb(params, "nesterov", false), step == 1);
                case "adam" -> k.optimizer().adam(n, p, 0, g, 0, m, 0, v, 0, lr, pf(params, "beta1", 0.9f), pf(params, "beta2", 0.999f),
                        pf(params, "eps", 1e-8f), pf(params, "weight_decay", 0f), false, step);
                default -> k.optimizer().adam(n, p, 0, g, 0, m, 0, v, 0, lr, pf(params, "beta1", 0.9f), pf(params, "beta2", 0.999f),
                        pf(params, "eps", 1e-8f), pf(params, "weight_decay", 0.01f), true, step);
            }
            err.forward("p" + step, t.floats("p" + step), p);
        }
    }
}
