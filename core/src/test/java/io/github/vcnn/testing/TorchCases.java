package io.github.vcnn.testing;

import io.github.vcnn.io.SafeTensors;
import io.github.vcnn.io.internal.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PyTorch reference cases copied from ../shared/reference/torch-kernels into
 * src/test/resources/torch-kernels (INDEX.json plus one safetensors file per case).
 */
public final class TorchCases {
    private TorchCases() {
    }

    /** One case: its name, op, parameters (strings, from INDEX.json / the file's metadata) and tensors. */
    public record Case(String name, String op, Map<String, String> params, SafeTensors tensors) {
        public String param(String key) {
            String v = params.get(key);
            if (v == null) throw new IllegalArgumentException("case " + name + " has no parameter " + key + " (has " + params.keySet() + ")");
            return v;
        }

        public String param(String key, String fallback) {
            return params.getOrDefault(key, fallback);
        }

        public int intParam(String key) {
            return Integer.parseInt(param(key));
        }

        public float floatParam(String key, float fallback) {
            String v = params.get(key);
            return v == null ? fallback : Float.parseFloat(v);
        }

        public boolean boolParam(String key, boolean fallback) {
            String v = params.get(key);
            return v == null ? fallback : Boolean.parseBoolean(v.toLowerCase());
        }

        public float[] f(String tensor) {
            return tensors.floats(tensor);
        }

        public int[] shape(String tensor) {
            return tensors.shape(tensor);
        }

        public boolean has(String tensor) {
            return tensors.has(tensor);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Every case in INDEX.json order. */
    public static List<Case> all() {
        try (InputStream in = open("torch-kernels/INDEX.json")) {
            Map<String, Object> index = Json.parseObject(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            List<Case> out = new ArrayList<>();
            for (Object o : (List<?>) index.get("cases")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> c = (Map<String, Object>) o;
                String name = (String) c.get("name");
                SafeTensors st;
                try (InputStream data = open("torch-kernels/" + name + ".safetensors")) {
                    st = SafeTensors.parse(data.readAllBytes(), name + ".safetensors");
                }
                Map<String, String> params = new LinkedHashMap<>(st.metadata());
                for (Map.Entry<String, Object> e : c.entrySet()) params.put(e.getKey(), String.valueOf(e.getValue()));
                out.add(new Case(name, (String) c.get("op"), params, st));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cases of one op ("conv2d", "max_pool2d", "avg_pool2d", "linear", "relu", ...). */
    public static List<Case> ofOp(String op) {
        return all().stream().filter(c -> c.op().equals(op)).toList();
    }

    public static Case named(String name) {
        return all().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no torch case " + name));
    }

    private static InputStream open(String resource) throws IOException {
        InputStream in = TorchCases.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) throw new IOException("test resource " + resource + " missing");
        return in;
    }
}
