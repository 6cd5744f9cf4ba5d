package io.github.vcnn.nn;

import io.github.vcnn.io.SafeTensors;
import io.github.vcnn.io.internal.Json;
import io.github.vcnn.kernels.Checks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Saving and loading {@link Sequential} models as safetensors.
 *
 * <p>Tensors carry PyTorch's state_dict names ({@code "0.weight"}, {@code "3.bias"}: layer index in the Sequential,
 * then the parameter), so the weights of the same architecture exported from PyTorch with
 * {@code safetensors.torch.save_file(model.state_dict(), path)} load by name. The architecture is stored as JSON
 * in {@code __metadata__["vcnn.architecture"]}, so {@link #load(Path)} rebuilds the model from the file alone.
 *
 * <p>Loading validates the whole file (format, names, shapes) before it assigns anything: a truncated or corrupt
 * file is an {@link IOException}, a shape mismatch an {@link IllegalArgumentException} naming the tensor and both
 * shapes, and in both cases the model is left unchanged. Writing is atomic (temporary file, then rename).
 */
public final class Model {
    /** The metadata key holding the architecture JSON. */
    public static final String ARCHITECTURE_KEY = "vcnn.architecture";
    static final String FORMAT = "vcnn.sequential/1";

    private Model() {
    }

    /** Saves {@code model} with extra string metadata (e.g. the epoch of a checkpoint). */
    public static void save(Sequential model, Path file, Map<String, String> extraMetadata) throws IOException {
        Checks.notNull("model", model);
        Checks.notNull("file", file);
        List<SafeTensors.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            entries.add(new SafeTensors.Entry(e.getKey(), e.getValue().shape(), e.getValue().data()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        if (extraMetadata != null) meta.putAll(extraMetadata);
        meta.put(ARCHITECTURE_KEY, architecture(model));
        SafeTensors.write(file, entries, meta);
    }

    /** The architecture as JSON: {@code {"format": ..., "input": [C,H,W], "layers": [{"type": "Conv2d", ...}, ...]}}. */
    public static String architecture(Sequential model) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        List<Integer> in = new ArrayList<>();
        for (int d : model.inputShape()) in.add(d);
        root.put("input", in);
        List<Object> layers = new ArrayList<>();
        for (int i = 0; i < model.size(); i++) {
            Map<String, Object> c = model.layer(i).config();
            if (!model.layer(i).isTrainable() && !model.layer(i).parameters().isEmpty()) c.put("trainable", false);
            layers.add(c);
        }
        root.put("layers", layers);
        try {
            return Json.write(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot write the architecture JSON", e);
        }
    }

    /** Builds a new model (fresh initialisation) from {@link #architecture} JSON. */
    public static Sequential fromArchitecture(String json) {
        Checks.notNull("json", json);
        Map<String, Object> root;
        try {
            root = Json.parseObject(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("architecture is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !FORMAT.equals(root.get("format"))) {
            throw new IllegalArgumentException("architecture format is " + (root == null ? null : root.get("format")) + ", expected " + FORMAT);
        }
        int[] input = ints(root.get("input"), "input");
        if (!(root.get("layers") instanceof List<?> list)) throw new IllegalArgumentException("architecture has no 'layers' list");
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> c)) throw new IllegalArgumentException("layer " + i + " is not an object");
            try {
                Layer l = layer(c);
                if (Boolean.FALSE.equals(c.get("trainable"))) l.trainable(false);
                layers.add(l);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("layer " + i + " " + c + ": " + e.getMessage(), e);
            }
        }
        return new Sequential(input, layers);
    }

    private static Layer layer(Map<?, ?> c) {
        String type = String.valueOf(c.get("type"));
        return switch (type) {
            case "Conv2d" -> {
                int[] k = ints(c.get("kernel_size"), "kernel_size");
                int[] s = ints(c.get("stride"), "stride");
                int[] p = ints(c.get("padding"), "padding");
                int[] d = ints(c.get("dilation"), "dilation");
                if (k.length != 2 || s.length != 2 || p.length != 4 || d.length != 2) throw new IllegalArgumentException("bad Conv2d sizes");
                yield new Conv2d(integer(c, "in_channels"), integer(c, "out_channels"), k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3],
                        d[0], d[1], integer(c, "groups"), bool(c, "bias"));
            }
            case "Linear" -> new Linear(integer(c, "in_features"), integer(c, "out_features"), bool(c, "bias"));
            case "MaxPool2d", "AvgPool2d" -> {
                int[] k = ints(c.get("kernel_size"), "kernel_size");
                int[] s = ints(c.get("stride"), "stride");
                int[] p = ints(c.get("padding"), "padding");
                if (k.length != 2 || s.length != 2 || p.length != 2) throw new IllegalArgumentException("bad pooling sizes");
                yield type.equals("MaxPool2d")
                        ? new MaxPool2d(k[0], k[1], s[0], s[1], p[0], p[1], bool(c, "ceil_mode"))
                        : new AvgPool2d(k[0], k[1], s[0], s[1], p[0], p[1], bool(c, "ceil_mode"), bool(c, "count_include_pad"));
            }
            case "ReLU" -> new ReLU();
            case "Sigmoid" -> new Sigmoid();
            case "LeakyReLU" -> new LeakyReLU((float) number(c, "negative_slope"));
            case "Flatten" -> new Flatten();
            case "Dropout" -> new Dropout(number(c, "p"));
            default -> throw new IllegalArgumentException("unknown layer type '" + type + "'");
        };
    }

    /** Rebuilds the model saved by {@link #save} (architecture and weights). */
    public static Sequential load(Path file) throws IOException {
        SafeTensors st = read(file);
        String json = st.metadata().get(ARCHITECTURE_KEY);
        if (json == null) {
            throw new IOException(file + " has no '" + ARCHITECTURE_KEY + "' metadata (weights only, e.g. exported from PyTorch):"
                    + " build the model in code and call loadWeights");
        }
        Sequential model;
        try {
            model = fromArchitecture(json);
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt architecture in " + file + ": " + e.getMessage(), e);
        }
        assign(model, st, file, true, i -> true);
        return model;
    }

    /**
     * Loads weights by state_dict name into an existing model. {@code strict}: the file must hold exactly the
     * model's tensors. Not strict: tensors the model lacks are ignored and parameters the file lacks keep their values.
     */
    public static void loadWeights(Sequential model, Path file, boolean strict) throws IOException {
        Checks.notNull("model", model);
        assign(model, read(file), file, strict, i -> true);
    }

    /**
     * Transfer learning: loads the parameters of layers {@code 0..k-1} only (all of them must be in the file, with
     * matching shapes) and leaves the later layers as they are.
     */
    public static void loadFirstLayers(Sequential model, Path file, int k) throws IOException {
        Checks.notNull("model", model);
        if (k < 0 || k > model.size()) throw new IllegalArgumentException("k=" + k + " outside [0, " + model.size() + "]");
        SafeTensors st = read(file);
        for (int i = 0; i < k; i++) {
            for (Parameter p : model.layer(i).parameters()) {
                if (!st.has(i + "." + p.name())) throw new IllegalArgumentException(file + " lacks tensor '" + i + "." + p.name() + "'");
            }
        }
        assign(model, st, file, false, i -> i < k);
    }

    private static SafeTensors read(Path file) throws IOException {
        Checks.notNull("file", file);
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such model file");
        return SafeTensors.read(file);
    }

    /** Validates everything first, then copies: a failure leaves the model untouched. */
    private static void assign(Sequential model, SafeTensors st, Path file, boolean strict, IntPredicate layerFilter) {
        Map<String, Parameter> dict = model.stateDict();
        Map<Parameter, float[]> planned = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : dict.entrySet()) {
            int layer = Integer.parseInt(e.getKey().substring(0, e.getKey().indexOf('.')));
            if (!layerFilter.test(layer)) continue;
            if (!st.has(e.getKey())) {
                missing.add(e.getKey());
                continue;
            }
            SafeTensors.Tensor t = st.get(e.getKey());
            Parameter p = e.getValue();
            if (!Arrays.equals(t.shape(), p.shape())) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' in " + file + " has shape " + t.shapeString()
                        + " but the model's " + p.owner().describe() + " needs " + Arrays.toString(p.shape()));
            }
            if (t.floats() == null) throw new IllegalArgumentException("tensor '" + e.getKey() + "' in " + file + " is " + t.dtype() + ", not F32");
            planned.put(p, t.floats());
        }
        if (strict) {
            List<String> unexpected = new ArrayList<>();
            for (String name : st.tensors().keySet()) if (!dict.containsKey(name)) unexpected.add(name);
            if (!missing.isEmpty() || !unexpected.isEmpty()) {
                throw new IllegalArgumentException(file + " does not match the model: missing " + missing + ", unexpected " + unexpected
                        + " (use strict=false to load a subset)");
            }
        }
        for (Map.Entry<Parameter, float[]> e : planned.entrySet()) {
            System.arraycopy(e.getValue(), 0, e.getKey().data(), 0, e.getKey().size());
            e.getKey().changed();
        }
    }

    private static int[] ints(Object o, String what) {
        if (!(o instanceof List<?> l)) throw new IllegalArgumentException("'" + what + "' is not a list of integers: " + o);
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Number n) || n.doubleValue() != n.intValue()) throw new IllegalArgumentException("'" + what + "' is not a list of integers: " + o);
            r[i] = n.intValue();
        }
        return r;
    }

    private static int integer(Map<?, ?> c, String key) {
        if (!(c.get(key) instanceof Number n) || n.doubleValue() != n.intValue()) throw new IllegalArgumentException("'" + key + "' missing or not an integer");
        return n.intValue();
    }

    private static double number(Map<?, ?> c, String key) {
        if (!(c.get(key) instanceof Number n)) throw new IllegalArgumentException("'" + key + "' missing or not a number");
        return n.doubleValue();
    }

    private static boolean bool(Map<?, ?> c, String key) {
        if (!(c.get(key) instanceof Boolean b)) throw new IllegalArgumentException("'" + key + "' missing or not a boolean");
        return b;
    }
}
