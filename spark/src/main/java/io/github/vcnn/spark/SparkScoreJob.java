package io.github.vcnn.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lower;

/**
 * {@code vcnn spark-score}: scores a folder of images (png/jpg) or TensorProtos (.pb) with a model on Spark and writes
 * one row per input (path, top-k class indices, their scores) to Parquet. Every option is checked before Spark starts;
 * a mistake is one line on stderr with exit code 2, failed work one line with exit code 1.
 */
@Command(name = "spark-score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Scores a folder of images (.png, .jpg, .jpeg) or ONNX TensorProtos (.pb) with a model on Apache Spark and writes "
                + "one row per input (path, classes: the top-k class indices, scores: their model outputs) to Parquet.",
                "Exit 0 on success, 1 if the work fails (a corrupt model or input), 2 for a usage mistake."})
public final class SparkScoreJob implements Callable<Integer> {
    static final String LOG_CONFIG = "io/github/vcnn/spark/log4j2-quiet.properties";

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "the model: .onnx, or a .safetensors saved by vcnn")
    String model;

    @Option(names = "--input", required = true, paramLabel = "DIR", description = "folder of .png/.jpg/.jpeg images or .pb TensorProtos")
    String input;

    @Option(names = "--output", required = true, paramLabel = "OUT.parquet", description = "Parquet output (a folder, as Spark writes it)")
    String output;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: spark-submit's, else local[*])")
    String master;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5", description = "classes per input (default ${DEFAULT-VALUE}; 0: all outputs, in a 'scores' column)")
    int topK;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32", description = "samples per model call (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "1", description = "intra-op threads per task, 1 to 256 (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--partitions", paramLabel = "P", description = "repartition the inputs into P partitions (default: as Spark reads them)")
    Integer partitions;

    @Option(names = "--resize", paramLabel = "S", description = "images: shorter side before the center crop (default as vcnn infer)")
    Integer resize;

    @Option(names = "--mean", paramLabel = "M,..", split = ",", description = "images: per-channel mean (default as vcnn infer)")
    double[] mean;

    @Option(names = "--std", paramLabel = "S,..", split = ",", description = "images: per-channel divisor (default as vcnn infer)")
    double[] std;

    @Option(names = "--overwrite", description = "replace OUT.parquet when it exists")
    boolean overwrite;

    @Option(names = "--verbose", description = "stack traces with errors")
    boolean verbose;

    /** Set by {@link #call()}: rows written. */
    long written;

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        System.exit(commandLine().execute(args));
    }

    /** The command with the error policy: one line per mistake (exit 2) or failure (exit 1). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SparkScoreJob());
        cl.setOptionsCaseInsensitive(true);
        cl.setCommandName("vcnn spark-score");
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("vcnn spark-score: " + oneLine(ex.getMessage()) + " (see 'vcnn spark-score --help')");
            err.flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            PrintWriter err = c.getErr();
            err.println("vcnn spark-score: " + oneLine(rootMessage(ex)));
            if (((SparkScoreJob) c.getCommand()).verbose) ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        check();
        // a session that exists already (a test, a notebook) is used and left running; one started here is stopped
        SparkSession existing = SparkSession.getActiveSession().getOrElse(() -> SparkSession.getDefaultSession().getOrElse(() -> null));
        SparkSession.Builder b = SparkSession.builder().appName("vcnn spark-score").config("spark.ui.enabled", "false");
        if (master != null) b.master(master);
        else if (System.getProperty("spark.master") == null) b.master("local[*]");
        SparkSession spark = b.getOrCreate();
        try {
            spark.sparkContext().setLogLevel("WARN");
            long t0 = System.nanoTime();
            Dataset<Row> files = spark.read().format("binaryFile").load(input)
                    .where(lower(col("path")).rlike("\\.(png|jpe?g|pb)$")).select("path", "content");
            if (partitions != null) files = files.repartition(partitions);
            VcnnScorer scorer = new VcnnScorer().setModelPath(model).setInputCol("content").setBatchSize(batch).setThreadsPerTask(threads);
            if (resize != null) scorer.setResize(resize);
            if (mean != null) scorer.setMean(mean);
            if (std != null) scorer.setStd(std);
            Dataset<Row> scored;
            if (topK > 0) {
                scorer.setTopK(topK).setOutputCol("");
                scored = scorer.transform(files).select(col("path"), col("topClasses").as("classes"), col("topScores").as("scores"));
            } else {
                scored = scorer.transform(files).select("path", "scores");
            }
            boolean existed = local(output) && Files.exists(Path.of(output));
            try {
                scored.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
            } catch (Exception e) {   // SparkException is checked, thrown without a declaration
                quiesce(spark);
                if (local(output) && !existed) deleteTree(Path.of(output));   // what a failed job leaves (_temporary) would block the next run
                throw e;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            written = spark.read().parquet(output).count();
            PrintWriter out = spec.commandLine().getOut();
            out.println(String.format(Locale.ROOT, "wrote %,d rows to %s in %.1f s (%.1f inputs/s; master %s, batch %d, %d thread(s) per task)",
                    written, output, s, written / s, spark.sparkContext().master(), batch, threads));
            out.flush();
            return 0;
        } finally {
            if (existing == null) spark.stop();
        }
    }

    /** Every option, before Spark starts; local paths (no URI scheme) are checked on this file system. */
    private void check() throws IOException {
        if (topK < 0) throw usage("--top-k", topK, "must be >= 0");
        if (batch < 1 || batch > 65536) throw usage("--batch", batch, "must be between 1 and 65536");
        if (threads < 1 || threads > 256) throw usage("--threads", threads, "must be between 1 and 256");
        if (partitions != null && (partitions < 1 || partitions > 100000)) throw usage("--partitions", partitions, "must be between 1 and 100000");
        if (resize != null && resize < 1) throw usage("--resize", resize, "must be >= 1");
        if (mean != null) for (double v : mean) if (!Double.isFinite(v)) throw usage("--mean", null, "values must be finite");
        if (std != null) for (double v : std) if (!Double.isFinite(v) || v == 0) throw usage("--std", null, "values must be finite and non-zero");
        if (master != null && master.isBlank()) throw usage("--master", "''", "is empty");
        if (local(model)) {
            Path m = Path.of(model);
            if (!Files.exists(m)) throw usage("--model", model, "no such file");
            if (!Files.isRegularFile(m)) throw usage("--model", model, "is not a file");
            if (!Files.isReadable(m)) throw usage("--model", model, "cannot be read");
        }
        if (local(input)) {
            Path d = Path.of(input);
            if (!Files.isDirectory(d)) throw usage("--input", input, Files.exists(d) ? "is not a folder" : "no such folder");
            try (Stream<Path> s = Files.list(d)) {
                if (s.noneMatch(p -> Files.isRegularFile(p) && p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g|pb)"))) {
                    throw usage("--input", input, "has no .png, .jpg, .jpeg or .pb files");
                }
            }
        }
        if (local(output)) {
            Path o = Path.of(output).toAbsolutePath();
            if (Files.exists(o) && !overwrite) throw usage("--output", output, "exists (add --overwrite to replace it)");
            Path parent = o.getParent();
            if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) throw usage("--output", output, parent + " is not a folder");
        }
    }

    /**
     * After a failed job, waits (at most 30 s) for the other tasks of its stage, which Spark lets run on, to end: stopping
     * Spark under them would print their failures (a missing broadcast block, a shutdown in progress) after ours.
     */
    private static void quiesce(SparkSession spark) throws InterruptedException {
        spark.sparkContext().cancelAllJobs();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            int running = 0;
            for (var e : spark.sparkContext().statusTracker().getExecutorInfos()) running += e.numRunningTasks();
            if (running == 0) return;
            Thread.sleep(50);
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // best effort: the error being reported matters more
        }
    }

    private static boolean local(String p) {
        return !p.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*");
    }

    private ParameterException usage(String option, Object value, String what) {
        return new ParameterException(spec.commandLine(), option + (value == null ? "" : " " + value) + ": " + what);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /**
     * The message of a failure: of the outermost IllegalArgumentException or IOException among its causes, else the first
     * line of the deepest cause's, where Spark's "Job aborted due to stage failure: ... (TID n) (host executor id): " and
     * the exception's class name are dropped, leaving the task's own message.
     */
    static String rootMessage(Throwable t) {
        Throwable best = null, last = t;
        for (Throwable c = t; c != null && best == null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof IllegalArgumentException || c instanceof IOException) best = c;
            last = c;
        }
        if (best != null && best.getMessage() != null) return best.getMessage();
        String m = last.getMessage() == null ? last.toString() : last.getMessage().lines().findFirst().orElse("");
        int task = m.indexOf("): ");
        if (m.startsWith("Job aborted due to stage failure") && task >= 0) m = m.substring(task + 3);
        return m.replaceFirst("^(java\\.[a-z.]+\\.)?[A-Za-z.]*(Exception|Error): ", "");
    }
}
