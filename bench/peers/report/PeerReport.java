import com.fasterxml.jackson.jr.ob.JSON;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The report of bench/peers/run-all, from the raw results in one output folder: report.md (GFLOP/s and img/s,
 * best of N with the spread, vcnn/peer ratios) and peers.png. Runs as a source file on the CLI's runtime class
 * path (jackson-jr, XChart): {@code java -cp 'cli/target/lib/*' bench/peers/report/PeerReport.java DIR}.
 *
 * <p>Inputs in DIR: meta.json, shapes.txt, onednn_{native|avx2}_{T}t_r{i}.jsonl, torch_{T}t_r{i}.json,
 * ort_{T}t_r{i}.jsonl, and JMH's -rf json files jmh_{fwd|bwd|train}[_avx2].json. A value per oneDNN / PyTorch run
 * is its median time (oneDNN) or its epoch throughput (PyTorch); a value per JMH fork is the mean of its measured
 * iterations. "Best" is the highest GFLOP/s or img/s of those values (the lowest latency for ORT).
 */
public final class PeerReport {
    record Shape(String name, String spec, double gflop, boolean bwd) {
    }

    /** engine: onednn, simd, auto, scalar; isa: native or avx2; pass: fwd, bwd_data, bwd_weights, fwd_wino. */
    record Key(String engine, String isa, int threads, String shape, String pass) {
    }

    static final class Values {
        final List<Double> v = new ArrayList<>();
        String impl = "";
        double bestImplValue = Double.NEGATIVE_INFINITY;

        void add(double x, String implName) {
            v.add(x);
            if (implName != null && x > bestImplValue) {
                bestImplValue = x;
                impl = implName;
            }
        }

        double best() {
            return Collections.max(v);
        }

        double min() {
            return Collections.min(v);
        }
    }

    static final String[] PASSES = {"fwd", "bwd_data", "bwd_weights"};
    static final Pattern RUN_FILE = Pattern.compile("(onednn_(native|avx2)|torch|ort)_(\\d+)t_r(\\d+)\\.jsonl?");

    final Path dir;
    final Map<String, Object> meta;
    final List<Shape> shapes = new ArrayList<>();
    final Map<Key, Values> conv = new LinkedHashMap<>();
    final Map<Key, String> unavailable = new LinkedHashMap<>();
    final Map<Integer, Values> torch = new TreeMap<>(), vcnnTrain = new TreeMap<>();
    final Map<String, Values> ort = new TreeMap<>();   // "model|batch|threads" -> median ms per run
    final Map<String, Double> ortP99 = new TreeMap<>();
    final Map<String, String> versions = new LinkedHashMap<>();
    final List<String> files = new ArrayList<>();

    PeerReport(Path dir) throws IOException {
        this.dir = dir;
        Path m = dir.resolve("meta.json");
        meta = Files.exists(m) ? JSON.std.mapFrom(Files.readString(m)) : Map.of();
        readShapes(dir.resolve("shapes.txt"));
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) read(p);
        }
    }

    void readShapes(Path p) throws IOException {
        for (String line : Files.readAllLines(p)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            String[] f = t.split("\\s+");
            long[] v = new long[10];
            for (int i = 0; i < 10; i++) v[i] = Long.parseLong(f[i + 1]);
            long ho = (v[2] + 2 * v[8] - v[5]) / v[7] + 1, wo = (v[3] + 2 * v[8] - v[6]) / v[7] + 1;
            double gflop = 2.0 * v[0] * v[4] * (v[1] / v[9]) * v[5] * v[6] * ho * wo * 1e-9;
            StringBuilder spec = new StringBuilder();
            for (int i = 0; i < 10; i++) spec.append(i == 0 ? "" : ":").append(v[i]);
            shapes.add(new Shape(f[0], spec.toString(), gflop, "1".equals(f[11])));
        }
    }

    Shape shapeOf(String param) {
        for (Shape s : shapes) {
            if (s.name.equalsIgnoreCase(param) || s.spec.equals(param) || (s.spec.endsWith(":1")
                    && s.spec.substring(0, s.spec.length() - 2).equals(param))) return s;
        }
        return null;
    }

    void read(Path p) throws IOException {
        String f = p.getFileName().toString();
        Matcher m = RUN_FILE.matcher(f);
        if (m.matches()) {
            files.add(f);
            int threads = Integer.parseInt(m.group(3));
            for (String line : Files.readAllLines(p)) {
                if (line.isBlank() || !line.startsWith("{")) continue;
                Map<String, Object> r = JSON.std.mapFrom(line);
                if (m.group(1).startsWith("onednn")) oneDnn(r, m.group(2), threads);
                else if (f.startsWith("torch")) {
                    torch.computeIfAbsent(threads, k -> new Values()).add(num(r.get("images_per_s")), null);
                    versions.put("PyTorch", r.get("version") + " with " + blasName(r.get("blas")));
                } else {
                    String k = r.get("model") + "|" + r.get("batch") + "|" + threads;
                    ort.computeIfAbsent(k, x -> new Values()).add(-num(r.get("median_ms")), null);
                    ortP99.merge(k, num(r.get("p99_ms")), Math::min);
                    versions.put("ONNX Runtime", String.valueOf(r.get("version")));
                }
            }
        } else if (f.startsWith("jmh_") && f.endsWith(".json")) {
            files.add(f);
            String isa = f.contains("_avx2") ? "avx2" : "native";
            String text = Files.readString(p).strip();
            if (text.isEmpty()) return;
            for (Object o : JSON.std.listFrom(text)) jmh(uncheckedMap(o), isa);
        } else if (f.endsWith(".png") || f.endsWith(".md")) {
            return;
        } else {
            files.add(f);
        }
    }

    void oneDnn(Map<String, Object> r, String isa, int threads) {
        String pass = String.valueOf(r.get("pass"));
        if (pass.equals("meta")) {
            versions.put("oneDNN" + (isa.equals("avx2") ? " (ONEDNN_MAX_CPU_ISA=AVX2)" : ""),
                    r.get("version") + ", ISA in effect " + String.valueOf(r.get("isa")).replace("cpu_isa_", ""));
            return;
        }
        String name = String.valueOf(r.get("name"));
        String impl = String.valueOf(r.get("impl"));
        if (pass.endsWith("@alt")) pass = "alt:" + pass.substring(0, pass.length() - 4);
        else if (pass.equals("fwd_auto")) pass = "alt:fwd";
        Key k = new Key("onednn", isa, threads, name, pass);
        if (r.get("gflops") == null) {
            unavailable.put(k, impl);
            return;
        }
        conv.computeIfAbsent(k, x -> new Values()).add(num(r.get("gflops")), impl);
    }

    void jmh(Map<String, Object> r, String isa) {
        String bench = String.valueOf(r.get("benchmark"));
        String method = bench.substring(bench.lastIndexOf('.') + 1);
        Map<String, Object> params = r.get("params") == null ? Map.of() : uncheckedMap(r.get("params"));
        int threads = params.get("threads") == null ? 1 : Integer.parseInt(String.valueOf(params.get("threads")));
        Map<String, Object> pm = uncheckedMap(r.get("primaryMetric"));
        List<Double> forks = new ArrayList<>();
        for (Object fork : (List<?>) pm.get("rawData")) {
            double sum = 0;
            int n = 0;
            for (Object it : (List<?>) fork) {
                sum += num(it);
                n++;
            }
            if (n > 0) forks.add(sum / n);
        }
        versions.putIfAbsent("JMH", String.valueOf(r.get("jmhVersion")));
        if (bench.endsWith("TrainStepBench.step")) {
            if (!"simd".equals(params.get("kernels"))) return;
            for (double f : forks) vcnnTrain.computeIfAbsent(threads, k -> new Values()).add(f, null);
            return;
        }
        Shape s = shapeOf(String.valueOf(params.get("shape")));
        if (s == null) return;
        String engine, pass;
        if (method.endsWith("BwdData")) pass = "bwd_data";
        else if (method.endsWith("BwdWeights")) pass = "bwd_weights";
        else pass = "fwd";
        engine = method.replace("BwdData", "").replace("BwdWeights", "");
        String unit = String.valueOf(pm.get("scoreUnit"));
        double toMicros = switch (unit) {
            case "us/op" -> 1;
            case "ms/op" -> 1e3;
            case "ns/op" -> 1e-3;
            case "s/op" -> 1e6;
            default -> throw new IllegalArgumentException(bench + ": unexpected JMH unit " + unit + " (use -bm avgt)");
        };
        Values v = conv.computeIfAbsent(new Key(engine, isa, threads, s.name, pass), x -> new Values());
        for (double f : forks) v.add(s.gflop / (f * toMicros * 1e-6), null);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> uncheckedMap(Object o) {
        return (Map<String, Object>) o;
    }

    static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(o));
    }

    static String blasName(Object libs) {
        if (!(libs instanceof List<?> l) || l.isEmpty()) return "no BLAS library loaded";
        for (Object o : l) {
            String s = String.valueOf(o);
            if (s.contains("openblas")) return "OpenBLAS";
        }
        String s = String.valueOf(l.get(0));
        return s.substring(s.lastIndexOf('/') + 1) + (s.contains("/blas/") ? " (Debian's reference BLAS: slow)" : "");
    }

    // ------------------------------------------------------------------ Markdown

    static String f1(double x) {
        return x >= 100 ? String.format(Locale.ROOT, "%.0f", x) : x >= 10 ? String.format(Locale.ROOT, "%.1f", x)
                : String.format(Locale.ROOT, "%.2f", x);
    }

    static String cell(Values v) {
        if (v == null || v.v.isEmpty()) return "—";
        return v.v.size() == 1 ? f1(v.best()) : f1(v.best()) + " (" + f1(v.min()) + "–" + f1(v.best()) + ")";
    }

    static String ratio(Values a, Values b) {
        if (a == null || b == null || a.v.isEmpty() || b.v.isEmpty()) return "—";
        return String.format(Locale.ROOT, "**%.2f**", a.best() / b.best());
    }

    List<Integer> threadCounts() {
        List<Integer> t = new ArrayList<>();
        if (meta.get("threads") instanceof List<?> l) for (Object o : l) t.add((int) num(o));
        for (Key k : conv.keySet()) if (!t.contains(k.threads)) t.add(k.threads);
        for (int k : torch.keySet()) if (!t.contains(k)) t.add(k);
        Collections.sort(t);
        return t;
    }

    String meta(String k) {
        Object o = meta.get(k);
        return o == null ? "?" : String.valueOf(o);
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        int runs = meta.get("runs") == null ? 1 : (int) num(meta.get("runs"));
        md.append("# vcnn and its peers on this machine\n\n");
        md.append("- CPU: ").append(meta("cpu_model")).append(" (family ").append(meta("cpu_family")).append(", model ")
                .append(meta("cpu_model_number")).append("), ").append(meta("cpus")).append(" CPUs, AVX-512: ")
                .append(Boolean.TRUE.equals(meta.get("avx512")) ? "yes" : "no").append('\n');
        md.append("- JDK: ").append(meta("jdk")).append(" (").append(meta("jdk_vendor")).append("); vcnn commit ")
                .append(meta("commit")).append('\n');
        for (var e : versions.entrySet()) md.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        md.append("- Date: ").append(meta("started")).append(" to ").append(meta("finished")).append('\n');
        md.append("- Load average (1, 5, 15 min) at start: ").append(meta("load_start")).append("; at end: ")
                .append(meta("load_end")).append(Files.exists(dir.resolve("load.txt")) ? " (before each part: load.txt)" : "")
                .append('\n');
        md.append("- Command: `").append(meta("command")).append("`; best of ").append(runs)
                .append(" (oneDNN / PyTorch runs, JMH forks), spread min–max in brackets")
                .append(Boolean.TRUE.equals(meta.get("quick")) ? "; **--quick: short iterations, indicative only**" : "")
                .append("\n\n");

        md.append("Convolution: nominal GFLOP/s = 2·N·K·(C/g)·R·S·Ho·Wo / time. oneDNN: its default algorithm and "
                + "preferred blocked layouts, fwd with bias + fused ReLU (as ConvForwardBench), median of its timed calls per run. "
                + "vcnn: JMH average time per fork. Ratio = best vcnn simd / best oneDNN (above 1: vcnn faster).\n\n");
        boolean vcnnMultiMissing = false;
        for (int t : threadCounts()) {
            boolean any = conv.keySet().stream().anyMatch(k -> k.threads == t && k.isa.equals("native"));
            if (!any) continue;
            md.append("## Convolution, ").append(t).append(t == 1 ? " thread" : " threads").append("\n\n");
            md.append("| shape | pass | GFLOP | oneDNN | oneDNN impl | vcnn simd | vcnn auto | vcnn scalar | simd / oneDNN |\n");
            md.append("|---|---|---:|---:|---|---:|---:|---:|---:|\n");
            for (Shape s : shapes) {
                for (String pass : PASSES) {
                    Values o = conv.get(new Key("onednn", "native", t, s.name, pass));
                    Values simd = conv.get(new Key("simd", "native", t, s.name, pass));
                    Values auto = conv.get(new Key("auto", "native", t, s.name, pass));
                    Values scalar = conv.get(new Key("scalar", "native", t, s.name, pass));
                    if (o == null && simd == null && auto == null && scalar == null) continue;
                    if (t > 1 && simd == null) vcnnMultiMissing = true;
                    md.append("| ").append(s.name).append(" | ").append(pass).append(" | ")
                            .append(String.format(Locale.ROOT, "%.3f", s.gflop)).append(" | ").append(cell(o)).append(" | ")
                            .append(o == null ? "" : o.impl).append(" | ").append(cell(simd)).append(" | ")
                            .append(cell(auto)).append(" | ").append(cell(scalar)).append(" | ").append(ratio(simd, o))
                            .append(" |\n");
                }
            }
            md.append('\n');
        }
        if (vcnnMultiMissing) {
            md.append("Multi-thread rows without vcnn: the conv benchmarks of this build have no `threads` parameter "
                    + "(or that JMH run failed); run-all passes `-p threads` whenever ConvForwardBench declares one.\n\n");
        }
        if (threadCounts().stream().anyMatch(t -> t > 1 && conv.containsKey(new Key("simd", "native", t, shapes.get(0).name, "fwd")))) {
            md.append("vcnn auto and scalar have no intra-op threads: they are measured at one thread only.\n\n");
        }

        boolean avx2 = conv.keySet().stream().anyMatch(k -> k.isa.equals("avx2"));
        if (avx2) {
            md.append("## Convolution at AVX2 (oneDNN `ONEDNN_MAX_CPU_ISA=AVX2`, vcnn `-XX:UseAVX=2`)\n\n");
            md.append("| threads | shape | pass | oneDNN AVX2 | vcnn simd AVX2 | ratio |\n|---:|---|---|---:|---:|---:|\n");
            for (int t : threadCounts()) {
                for (Shape s : shapes) {
                    for (String pass : PASSES) {
                        Values o = conv.get(new Key("onednn", "avx2", t, s.name, pass));
                        Values v = conv.get(new Key("simd", "avx2", t, s.name, pass));
                        if (o == null && v == null) continue;
                        md.append("| ").append(t).append(" | ").append(s.name).append(" | ").append(pass).append(" | ")
                                .append(cell(o)).append(" | ").append(cell(v)).append(" | ").append(ratio(v, o)).append(" |\n");
                    }
                }
            }
            md.append('\n');
        } else if (!Boolean.TRUE.equals(meta.get("avx512")) && !conv.isEmpty()) {
            md.append("No separate AVX2 columns: this CPU has no AVX-512, so the figures above are the AVX2 ones "
                    + "(`--avx2 yes` runs them anyway).\n\n");
        }

        // oneDNN's other algorithms, for the record.
        StringBuilder alt = new StringBuilder();
        boolean anyWino = conv.keySet().stream().anyMatch(k -> k.pass.equals("fwd_wino"));
        boolean anyAlt = conv.keySet().stream().anyMatch(k -> k.pass.startsWith("alt:"));
        for (int t : threadCounts()) {
            for (String isa : List.of("native", "avx2")) {
                for (Shape s : shapes) {
                    Values w = conv.get(new Key("onednn", isa, t, s.name, "fwd_wino"));
                    String wu = unavailable.get(new Key("onednn", isa, t, s.name, "fwd_wino"));
                    StringBuilder others = new StringBuilder();
                    boolean anyOther = false;
                    for (String pass : PASSES) {
                        Values a = conv.get(new Key("onednn", isa, t, s.name, "alt:" + pass));
                        anyOther |= a != null;
                        others.append(" | ").append(a != null ? f1(a.bestImplValue) + " (" + a.impl + ")" : "—");
                    }
                    if (w == null && !anyOther && wu == null) continue;
                    alt.append("| ").append(t).append(" | ").append(isa).append(" | ").append(s.name).append(" | ")
                            .append(w != null ? cell(w) + " (" + w.impl + ")" : "none").append(others).append(" |\n");
                }
            }
        }
        if (!anyWino && !anyAlt && !unavailable.isEmpty()) {
            md.append("oneDNN offered no Winograd forward for any shape here (its f32 Winograd is AVX-512-only in 2.x)"
                    + (Boolean.TRUE.equals(meta.get("quick")) ? "; --quick does not time its other implementations" : "")
                    + ".\n\n");
        } else if (!alt.isEmpty()) {
            md.append("## oneDNN's other algorithms (not in the ratios)\n\n");
            md.append("Winograd forward (`convolution_winograd`; f32 is AVX-512-only in oneDNN 2.x) and, per pass, the best "
                    + "of the other non-reference implementations oneDNN offers (best run), GFLOP/s.\n\n");
            md.append("| threads | ISA | shape | fwd Winograd | other fwd | other bwd_data | other bwd_weights |\n"
                    + "|---:|---|---|---|---|---|---|\n");
            md.append(alt).append('\n');
        }

        if (!torch.isEmpty() || !vcnnTrain.isEmpty()) {
            md.append("## Training step: LeNet-FM, batch 64, Adam (images/s)\n\n");
            md.append("PyTorch: `bench/peers/torch/train_step.py` (one epoch of Fashion-MNIST batches after a warm-up). "
                    + "vcnn: JMH `TrainStepBench -p kernels=simd` (one fixed batch).\n\n");
            md.append("| threads | PyTorch | vcnn simd | vcnn / PyTorch |\n|---:|---:|---:|---:|\n");
            for (int t : threadCounts()) {
                Values p = torch.get(t), v = vcnnTrain.get(t);
                if (p == null && v == null) continue;
                md.append("| ").append(t).append(" | ").append(cell(p)).append(" | ").append(cell(v)).append(" | ")
                        .append(ratio(v, p)).append(" |\n");
            }
            md.append('\n');
        }

        if (!ort.isEmpty()) {
            md.append("## ONNX Runtime Java, whole model per call (no vcnn column yet)\n\n");
            md.append("| model | batch | threads | median ms | p99 ms (best run) | img/s |\n|---|---:|---:|---:|---:|---:|\n");
            for (var e : ort.entrySet()) {
                String[] k = e.getKey().split("\\|");
                Values v = e.getValue();
                double best = -v.best(), worst = -v.min();
                md.append("| ").append(k[0]).append(" | ").append(k[1]).append(" | ").append(k[2]).append(" | ")
                        .append(v.v.size() == 1 ? f1(best) : f1(best) + " (" + f1(best) + "–" + f1(worst) + ")")
                        .append(" | ").append(f1(ortP99.get(e.getKey()))).append(" | ")
                        .append(f1(Integer.parseInt(k[1]) * 1000 / best)).append(" |\n");
            }
            md.append('\n');
        }
        md.append("Raw results in this folder: ").append(String.join(", ", files)).append(". Chart: peers.png.\n");
        return md.toString();
    }

    // ------------------------------------------------------------------ chart

    BufferedImage convChart() {
        List<String> cats = new ArrayList<>();
        List<String[]> keys = new ArrayList<>();
        for (Shape s : shapes) {
            for (String pass : PASSES) {
                boolean any = conv.keySet().stream().anyMatch(k -> k.shape.equals(s.name) && k.pass.equals(pass)
                        && k.isa.equals("native"));
                if (!any) continue;
                cats.add(s.name + " " + pass.replace("bwd_data", "bwd_d").replace("bwd_weights", "bwd_w"));
                keys.add(new String[]{s.name, pass});
            }
        }
        if (cats.isEmpty()) return null;
        CategoryChart c = new CategoryChartBuilder().width(Math.max(900, 70 * cats.size() + 200)).height(520)
                .title("Convolution, nominal GFLOP/s (best of runs / forks)").yAxisTitle("GFLOP/s").build();
        style(c);
        c.getStyler().setXAxisLabelRotation(35);
        for (int t : threadCounts()) {
            for (String engine : List.of("onednn", "simd")) {
                List<Double> ys = new ArrayList<>();
                boolean any = false;
                for (String[] k : keys) {
                    Values v = conv.get(new Key(engine, "native", t, k[0], k[1]));
                    ys.add(v == null ? 0.0 : v.best());
                    any |= v != null;
                }
                if (any) {
                    c.addSeries((engine.equals("onednn") ? "oneDNN " : "vcnn simd ") + t + "T", cats, ys)
                            .setFillColor(shade(engine.equals("onednn") ? ONEDNN_COLOR : VCNN_COLOR, t));
                }
            }
        }
        return BitmapEncoder.getBufferedImage(c);
    }

    BufferedImage trainChart() {
        List<String> cats = new ArrayList<>();
        for (int t : threadCounts()) if (torch.containsKey(t) || vcnnTrain.containsKey(t)) cats.add(t + (t == 1 ? " thread" : " threads"));
        if (cats.isEmpty()) return null;
        CategoryChart c = new CategoryChartBuilder().width(560).height(520)
                .title("LeNet-FM training step, images/s").yAxisTitle("images/s").build();
        style(c);
        for (var e : List.of(Map.entry("PyTorch", torch), Map.entry("vcnn simd", vcnnTrain))) {
            if (e.getValue().isEmpty()) continue;
            List<Double> ys = new ArrayList<>();
            for (int t : threadCounts()) {
                if (!torch.containsKey(t) && !vcnnTrain.containsKey(t)) continue;
                Values v = e.getValue().get(t);
                ys.add(v == null ? 0.0 : v.best());
            }
            c.addSeries(e.getKey(), cats, ys).setFillColor(e.getKey().equals("PyTorch") ? TORCH_COLOR : VCNN_COLOR);
        }
        return BitmapEncoder.getBufferedImage(c);
    }

    static final Color ONEDNN_COLOR = new Color(0x1f4e9c), TORCH_COLOR = new Color(0x6a3d9a), VCNN_COLOR = new Color(0xd95f02);

    /** One hue per engine, lighter for each further thread count. */
    static Color shade(Color c, int threads) {
        double f = Math.min(0.6, 0.3 * (Integer.numberOfTrailingZeros(Integer.highestOneBit(threads))));
        return new Color((int) (c.getRed() + (255 - c.getRed()) * f), (int) (c.getGreen() + (255 - c.getGreen()) * f),
                (int) (c.getBlue() + (255 - c.getBlue()) * f));
    }

    static void style(CategoryChart c) {
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setAvailableSpaceFill(0.8);
        c.getStyler().setOverlapped(false);
        c.getStyler().setYAxisMin(0.0);
    }

    void writeChart(Path png) throws IOException {
        BufferedImage a = convChart(), b = trainChart();
        if (a == null && b == null) return;
        int w = (a == null ? 0 : a.getWidth()) + (b == null ? 0 : b.getWidth());
        int h = Math.max(a == null ? 0 : a.getHeight(), b == null ? 0 : b.getHeight()) + 28;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.DARK_GRAY);
        g.drawString(meta("cpu_model") + " (family " + meta("cpu_family") + ", model " + meta("cpu_model_number") + "), JDK "
                + meta("jdk") + ", " + meta("started") + ", load " + meta("load_start") + " -> " + meta("load_end")
                + (Boolean.TRUE.equals(meta.get("quick")) ? ", --quick (indicative only)" : ""), 10, 18);
        if (a != null) g.drawImage(a, 0, 28, null);
        if (b != null) g.drawImage(b, a == null ? 0 : a.getWidth(), 28, null);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: PeerReport DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        PeerReport r = new PeerReport(dir);
        Files.writeString(dir.resolve("report.md"), r.markdown());
        r.writeChart(dir.resolve("peers.png"));
        System.err.println("PeerReport: wrote " + dir.resolve("report.md") + " and peers.png");
    }
}
