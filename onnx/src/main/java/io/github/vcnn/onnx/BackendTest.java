package io.github.vcnn.onnx;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.graph.Graph;
import io.github.vcnn.graph.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The ONNX backend-test layout: a folder with {@code model.onnx} and {@code test_data_set_N/} folders of
 * {@code input_K.pb} / {@code output_K.pb} TensorProtos. A test passes when every output of every data set is within
 * {@link #ATOL} + {@link #RTOL}·|ref| of the reference. Integer inputs (e.g. Reshape's target shape) are bound as constants.
 */
public final class BackendTest {
    public static final double ATOL = 1e-4, RTOL = 1e-3;

    /** The outcome of one test folder; {@code maxErr} is the largest |actual - expected| seen. */
    public record Result(String name, boolean passed, double maxErr, String detail) {
        /** {@code PASS name (max err e)} or {@code FAIL name (reason)}. */
        public String line() {
            return passed ? String.format(Locale.ROOT, "PASS %s (max err %.3g)", name, maxErr) : "FAIL " + name + " (" + detail + ")";
        }
    }

    private BackendTest() {
    }

    /** Every folder holding a {@code model.onnx} under the given paths (searched recursively), sorted by path. */
    public static List<Path> find(List<Path> roots) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.exists(root)) throw new java.nio.file.NoSuchFileException(root.toString(), null, "no such file or folder");
            if (Files.isRegularFile(root)) {
                if (root.getFileName().toString().equals("model.onnx")) found.add(root.toAbsolutePath().getParent());
                else throw new IOException(root + " is not a backend-test folder or its model.onnx");
                continue;
            }
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.getFileName().toString().equals("model.onnx") && Files.isRegularFile(p)).map(Path::getParent).forEach(found::add);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        found.sort(null);
        return found;
    }

    /** Runs one test folder; never throws for a failing or unreadable test (the result says why). */
    public static Result run(Path folder, CompileOptions options) {
        String name = folder.getFileName() == null ? folder.toString() : folder.getFileName().toString();
        try {
            return runChecked(folder, name, options);
        } catch (IOException | RuntimeException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Result(name, false, Double.NaN, msg.replace('\n', ' '));
        }
    }

    private static Result runChecked(Path folder, String name, CompileOptions options) throws IOException {
        Path model = folder.resolve("model.onnx");
        List<Path> sets;
        try (Stream<Path> s = Files.list(folder)) {
            sets = s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        }
        if (sets.isEmpty()) return new Result(name, false, Double.NaN, "no test_data_set_* folder");
        double maxErr = 0;
        for (Path set : sets) {
            List<Tensor> inputs = numbered(set, "input_");
            List<Tensor> expected = numbered(set, "output_");
            List<String> inputNames = new ArrayList<>();
            for (int k = 0; k < inputs.size(); k++) inputNames.add(TensorProtos.readName(set.resolve("input_" + k + ".pb")));
            // Bind the integer inputs: they are shapes and flags, static in vcnn.
            Graph probe = OnnxImporter.read(Files.readAllBytes(model), model.toString(), Map.of(), true);
            List<Graph.Input> graphInputs = probe.inputs();
            if (graphInputs.size() != inputs.size()) {
                return new Result(name, false, Double.NaN, "the model has " + graphInputs.size() + " inputs, " + set.getFileName() + " has " + inputs.size());
            }
            Map<String, Tensor> bindings = new LinkedHashMap<>();
            List<float[]> floats = new ArrayList<>();
            for (int k = 0; k < inputs.size(); k++) {
                Graph.Input gi = graphInputs.get(k);
                if (gi.type() == Tensor.Type.INT64) bindings.put(gi.name(), inputs.get(k));
                else floats.add(inputs.get(k).floats());
            }
            Graph g = OnnxImporter.read(Files.readAllBytes(model), model.toString(), bindings);
            try (CompiledModel m = CompiledModel.compile(g, options)) {
                if (m.outputCount() != expected.size()) {
                    return new Result(name, false, Double.NaN, "the model has " + m.outputCount() + " outputs, " + set.getFileName() + " has " + expected.size());
                }
                for (int k = 0; k < floats.size(); k++) {
                    int[] want = m.inputShape(k);
                    if (Tensor.elements(want) != floats.get(k).length) {
                        return new Result(name, false, Double.NaN, "input " + k + " has " + floats.get(k).length + " values, the model wants " + Arrays.toString(want));
                    }
                }
                float[][] out = m.run(m.declaredBatch(), floats.toArray(new float[0][]));
                for (int k = 0; k < out.length; k++) {
                    float[] ref = expected.get(k).floats();
                    if (ref.length != out[k].length) {
                        return new Result(name, false, Double.NaN, "output " + k + " has " + out[k].length + " values, expected " + ref.length);
                    }
                    for (int i = 0; i < ref.length; i++) {
                        double err = Math.abs((double) out[k][i] - ref[i]);
                        boolean bothNaN = Float.isNaN(out[k][i]) && Float.isNaN(ref[i]);
                        boolean sameInf = Float.isInfinite(ref[i]) && out[k][i] == ref[i];
                        if (bothNaN || sameInf) continue;
                        if (!(err <= ATOL + RTOL * Math.abs(ref[i]))) {
                            return new Result(name, false, err, String.format(Locale.ROOT, "output %d element %d: %s, expected %s, err %.3g > %.3g",
                                    k, i, out[k][i], ref[i], err, ATOL + RTOL * Math.abs(ref[i])));
                        }
                        maxErr = Math.max(maxErr, err);
                    }
                }
            }
        }
        return new Result(name, true, maxErr, "");
    }

    private static List<Tensor> numbered(Path set, String prefix) throws IOException {
        List<Tensor> r = new ArrayList<>();
        for (int k = 0; Files.exists(set.resolve(prefix + k + ".pb")); k++) r.add(TensorProtos.read(set.resolve(prefix + k + ".pb")));
        return r;
    }
}
