package io.github.vcnn.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ONNX Runtime Java for {@code bench-onnx --vs-ort}, run as a separate JVM on the class path of the benchmark-only module
 * bench/peers/ort (its {@code OrtLatency} main), so that ONNX Runtime is never on vcnn's class path. The launcher builds
 * that module and passes its class path in {@value #CLASSPATH_PROPERTY}.
 */
final class OrtPeer {
    /** System property: the class path of bench/peers/ort (its classes and ONNX Runtime's jar). */
    static final String CLASSPATH_PROPERTY = "vcnn.ort.classpath";
    private static final String MAIN = "io.github.vcnn.peers.OrtLatency";

    private final String classpath;

    private OrtPeer(String classpath) {
        this.classpath = classpath;
    }

    /** The peer named by {@value #CLASSPATH_PROPERTY}, or null when it is not set. */
    static OrtPeer fromSystemProperty() {
        String cp = System.getProperty(CLASSPATH_PROPERTY);
        return cp == null || cp.isBlank() ? null : new OrtPeer(cp);
    }

    /** {@code sessionMs}: environment plus session creation (the ONNX Runtime counterpart of load + compile). */
    record Result(String version, double sessionMs, LatencyTimer.Result timing) {
    }

    /** Times {@code model} on input {@code x} (batch {@code batch}) with ONNX Runtime's intra-op threads set to {@code threads}. */
    Result run(Path model, float[] x, int batch, int threads, double warmup, double seconds) throws IOException {
        Path in = Files.createTempFile("vcnn-bench-onnx-", ".f32");
        try {
            ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(x);
            Files.write(in, b.array());
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", classpath, MAIN, model.toAbsolutePath().toString(), Integer.toString(batch),
                    Integer.toString(threads), Double.toString(seconds), in.toString(), Double.toString(warmup)));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc;
            try {
                rc = p.waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while ONNX Runtime ran");
            }
            if (rc != 0) throw new IOException("ONNX Runtime (" + MAIN + ") exited with " + rc + (out.isBlank() ? "" : ": " + out.strip()));
            return parse(out);
        } finally {
            Files.deleteIfExists(in);
        }
    }

    /** Reads OrtLatency's JSON line (flat, so a regex per field does). */
    static Result parse(String json) throws IOException {
        return new Result(text(json, "version"), number(json, "session_ms"), new LatencyTimer.Result((int) number(json, "calls"), number(json, "measured_s"),
                number(json, "median_ms"), number(json, "p99_ms"), number(json, "per_s")));
    }

    private static String text(String json, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + key + "\":\"([^\"]*)\"").matcher(json);
        if (!m.find()) throw new IOException("ONNX Runtime's output has no " + key + ": " + json.strip());
        return m.group(1);
    }

    private static double number(String json, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + key + "\":([-0-9.eE+]+)").matcher(json);
        if (!m.find()) throw new IOException("ONNX Runtime's output has no " + key + ": " + json.strip());
        return Double.parseDouble(m.group(1).toLowerCase(Locale.ROOT));
    }
}
