package io.github.vcnn.spark;

import io.github.vcnn.graph.CompiledModel;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Scores a DataFrame column with a vcnn model: a Spark ML {@link Transformer} for batch inference.
 *
 * <p>Input column ({@link #inputCol()}): binary (PNG/JPEG/BMP/GIF bytes, e.g. the {@code content} of
 * {@code spark.read.format("binaryFile")}, or serialized ONNX TensorProtos), a struct of Spark's "image" data source, or
 * {@code array<float>} / {@code array<double>} of the model's per-sample input size. Images are prepared as
 * {@code vcnn infer} prepares them ({@link ImagePreprocessing}: {@link #resize()}, {@link #mean()}, {@link #std()}).
 * Outputs: {@link #outputCol()} the model's output per row ({@code array<float>}; empty name: none), and with
 * {@link #topK()} > 0 the k best classes ({@link #topClassesCol()}, {@code array<int>}) and their scores
 * ({@link #topScoresCol()}, {@code array<float>}). A null input gives null outputs.
 *
 * <p>The model ({@link #modelPath()}: {@code .onnx} or a vcnn {@code .safetensors}, any Hadoop file system path) is read
 * and compiled on the driver when {@code transform} is called, so a missing or unusable model is one
 * IllegalArgumentException there, before any task runs. Its bytes are broadcast; each executor JVM compiles it once
 * ({@link ModelCache}) and its tasks share it. Each task runs its partition in batches of {@link #batchSize()} with
 * {@link #threadsPerTask()} intra-op threads. The scores are bit-identical to {@link CompiledModel#predict} on one
 * machine, whatever the partitioning.
 *
 * <p>Saved and loaded with a {@link org.apache.spark.ml.Pipeline} ({@link DefaultParamsWritable}, {@link #read()}).
 */
public final class VcnnScorer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelPath, inputCol, outputCol, topClassesCol, topScoresCol, binaryFormat;
    private final IntParam batchSize, threadsPerTask, topK, resize;
    private final DoubleArrayParam mean, std;

    public VcnnScorer() {
        this(Identifiable$.MODULE$.randomUID("vcnnScorer"));
    }

    public VcnnScorer(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "the model: .onnx, or a .safetensors saved by vcnn (any Hadoop file system path)");
        inputCol = new Param<>(this, "inputCol", "input column: binary (image bytes or a TensorProto), an image struct, or array<float>");
        outputCol = new Param<>(this, "outputCol", "output column of the model's output per row, array<float> (empty: none)");
        topClassesCol = new Param<>(this, "topClassesCol", "output column of the topK class indices, array<int> (when topK > 0)");
        topScoresCol = new Param<>(this, "topScoresCol", "output column of the topK scores, array<float> (when topK > 0)");
        binaryFormat = new Param<>(this, "binaryFormat", "binary input: auto (by the leading bytes), image or tensorproto",
                ParamValidators.inArray(new String[]{"auto", "image", "tensorproto"}));
        batchSize = new IntParam(this, "batchSize", "samples per model call (>= 1; a model of fixed batch uses its own)", ParamValidators.inRange(1, 65536));
        threadsPerTask = new IntParam(this, "threadsPerTask", "intra-op threads per model call, 1 to 256", ParamValidators.inRange(1, 256));
        topK = new IntParam(this, "topK", "classes per row in the top-k columns (0: no top-k columns)", ParamValidators.inRange(0, 100000));
        resize = new IntParam(this, "resize", "images: shorter side before the center crop (0: as vcnn infer, 256/224 of the input for RGB)",
                ParamValidators.gtEq(0));
        mean = new DoubleArrayParam(this, "mean", "images: per-channel mean after scaling to [0,1] (empty: ImageNet's for RGB, 0 for grey)");
        std = new DoubleArrayParam(this, "std", "images: per-channel divisor (empty: ImageNet's for RGB, 1 for grey)");
        setDefault(inputCol, "content");
        setDefault(outputCol, "scores");
        setDefault(topClassesCol, "topClasses");
        setDefault(topScoresCol, "topScores");
        setDefault(binaryFormat, "auto");
        setDefault(batchSize, 32);
        setDefault(threadsPerTask, 1);
        setDefault(topK, 0);
        setDefault(resize, 0);
        setDefault(mean, new double[0]);
        setDefault(std, new double[0]);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- params (the accessor's name is the param's name: Spark finds them by reflection) -------------------------

    public Param<String> modelPath() { return modelPath; }
    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> topClassesCol() { return topClassesCol; }
    public Param<String> topScoresCol() { return topScoresCol; }
    public Param<String> binaryFormat() { return binaryFormat; }
    public IntParam batchSize() { return batchSize; }
    public IntParam threadsPerTask() { return threadsPerTask; }
    public IntParam topK() { return topK; }
    public IntParam resize() { return resize; }
    public DoubleArrayParam mean() { return mean; }
    public DoubleArrayParam std() { return std; }

    public VcnnScorer setModelPath(String v) { set(modelPath, v); return this; }
    public VcnnScorer setInputCol(String v) { set(inputCol, v); return this; }
    public VcnnScorer setOutputCol(String v) { set(outputCol, v); return this; }
    public VcnnScorer setTopClassesCol(String v) { set(topClassesCol, v); return this; }
    public VcnnScorer setTopScoresCol(String v) { set(topScoresCol, v); return this; }
    public VcnnScorer setBinaryFormat(String v) { set(binaryFormat, v == null ? null : v.toLowerCase(Locale.ROOT)); return this; }
    public VcnnScorer setBatchSize(int v) { set(batchSize, v); return this; }
    public VcnnScorer setThreadsPerTask(int v) { set(threadsPerTask, v); return this; }
    public VcnnScorer setTopK(int v) { set(topK, v); return this; }
    public VcnnScorer setResize(int v) { set(resize, v); return this; }
    public VcnnScorer setMean(double... v) { set(mean, v); return this; }
    public VcnnScorer setStd(double... v) { set(std, v); return this; }

    public String getModelPath() { return isDefined(modelPath) ? $(modelPath) : null; }
    public String getInputCol() { return $(inputCol); }
    public String getOutputCol() { return $(outputCol); }
    public String getTopClassesCol() { return $(topClassesCol); }
    public String getTopScoresCol() { return $(topScoresCol); }
    public String getBinaryFormat() { return $(binaryFormat); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public int getThreadsPerTask() { return (Integer) $(threadsPerTask); }
    public int getTopK() { return (Integer) $(topK); }
    public int getResize() { return (Integer) $(resize); }
    public double[] getMean() { return $(mean); }
    public double[] getStd() { return $(std); }

    // ---- schema --------------------------------------------------------------------------------------------------

    /** The input schema with the output columns; IllegalArgumentException naming the column for an input of the wrong type. */
    @Override
    public StructType transformSchema(StructType schema) {
        kind(schema);
        StructType out = schema;
        Set<String> added = new LinkedHashSet<>();
        for (String c : outputColumns()) {
            if (Arrays.asList(schema.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("VcnnScorer: output column '" + c + "' already exists in the input " + schema.simpleString());
            }
            if (!added.add(c)) throw new IllegalArgumentException("VcnnScorer: output column '" + c + "' is named twice");
        }
        if (!getOutputCol().isEmpty()) out = out.add(getOutputCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true);
        if (getTopK() > 0) {
            out = out.add(getTopClassesCol(), DataTypes.createArrayType(DataTypes.IntegerType, false), true);
            out = out.add(getTopScoresCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true);
        }
        if (out == schema) throw new IllegalArgumentException("VcnnScorer: no output: outputCol is empty and topK is 0");
        return out;
    }

    private java.util.List<String> outputColumns() {
        java.util.List<String> c = new java.util.ArrayList<>();
        if (!getOutputCol().isEmpty()) c.add(getOutputCol());
        if (getTopK() > 0) {
            c.add(getTopClassesCol());
            c.add(getTopScoresCol());
        }
        return c;
    }

    private ScoringTask.Kind kind(StructType schema) {
        String col = getInputCol();
        if (!Arrays.asList(schema.fieldNames()).contains(col)) {
            throw new IllegalArgumentException("VcnnScorer: input column '" + col + "' does not exist; the columns are " + Arrays.toString(schema.fieldNames()));
        }
        DataType t = schema.apply(col).dataType();
        if (t instanceof BinaryType) return ScoringTask.Kind.BINARY;
        if (t instanceof ArrayType a && (a.elementType() instanceof FloatType || a.elementType() instanceof DoubleType)) return ScoringTask.Kind.FLOATS;
        if (t instanceof StructType s && isImageStruct(s)) return ScoringTask.Kind.IMAGE_STRUCT;
        throw new IllegalArgumentException("VcnnScorer: input column '" + col + "' is " + t.simpleString()
                + "; it must be binary (image bytes or a TensorProto), array<float> (or array<double>), or an image struct"
                + " (height, width, nChannels: int, data: binary) of the \"image\" data source");
    }

    private static boolean isImageStruct(StructType s) {
        return has(s, "height", DataTypes.IntegerType) && has(s, "width", DataTypes.IntegerType) && has(s, "nChannels", DataTypes.IntegerType)
                && has(s, "data", DataTypes.BinaryType);
    }

    private static boolean has(StructType s, String name, DataType type) {
        for (StructField f : s.fields()) if (f.name().equals(name)) return f.dataType().equals(type);
        return false;
    }

    // ---- transform -----------------------------------------------------------------------------------------------

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType in = dataset.schema();
        StructType out = transformSchema(in);
        ScoringTask.Kind kind = kind(in);
        String path = getModelPath();
        if (path == null || path.isBlank()) throw new IllegalArgumentException("VcnnScorer: modelPath is not set");
        SparkSession spark = dataset.sparkSession();

        // the driver reads and compiles the model first: a missing or broken model is one exception here, not a failing task
        byte[] bytes = readModel(spark, path);
        ModelCache.Key key = ModelCache.key(path, bytes, getThreadsPerTask());
        CompiledModel model = ModelCache.get(key, () -> bytes);
        if (model.inputCount() != 1 || model.outputCount() != 1) {
            throw new IllegalArgumentException("VcnnScorer: model " + path + " has " + model.inputCount() + " inputs and " + model.outputCount()
                    + " outputs; it scores single-input, single-output models");
        }
        int[] shape = model.inputShape(0);
        ImagePreprocessing images = null;
        String notImage = null;
        if (shape.length == 4 && (shape[1] == 1 || shape[1] == 3)) {
            try {
                images = new ImagePreprocessing(shape[1], shape[2], shape[3], getResize(), floats(getMean()), floats(getStd()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("VcnnScorer: " + e.getMessage() + " (model " + path + ", input " + Arrays.toString(shape) + ")", e);
            }
        } else {
            notImage = "the model's input '" + model.inputName(0) + "' " + Arrays.toString(shape) + " is not an image batch [N, 1 or 3, H, W]";
        }
        ScoringTask.BinaryFormat format = ScoringTask.BinaryFormat.valueOf(getBinaryFormat().toUpperCase(Locale.ROOT));
        boolean wantsImages = kind == ScoringTask.Kind.IMAGE_STRUCT || (kind == ScoringTask.Kind.BINARY && format == ScoringTask.BinaryFormat.IMAGE);
        if (wantsImages && images == null) throw new IllegalArgumentException("VcnnScorer: input column '" + getInputCol() + "' holds images, but " + notImage);
        int outSize = model.outputSize();
        if (getTopK() > outSize) {
            throw new IllegalArgumentException("VcnnScorer: topK " + getTopK() + " is more than the model's " + outSize + " outputs per sample");
        }

        int pathIndex = -1;
        for (String p : new String[]{"path", "origin"}) {
            if (pathIndex < 0 && Arrays.asList(in.fieldNames()).contains(p) && in.apply(p).dataType().equals(DataTypes.StringType)) pathIndex = in.fieldIndex(p);
        }
        Broadcast<byte[]> blob = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bytes);
        ScoringTask task = new ScoringTask(key, blob, kind, format, images, notImage, in.fieldIndex(getInputCol()), pathIndex, getBatchSize(),
                !getOutputCol().isEmpty(), getTopK());
        return dataset.toDF().mapPartitions(task, Encoders.row(out));
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** The model file's bytes through the Hadoop file system of its path (local, HDFS, S3, ...). */
    static byte[] readModel(SparkSession spark, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) throw new IllegalArgumentException("VcnnScorer: modelPath " + path + ": no such file");
            FileStatus st = fs.getFileStatus(p);
            if (st.isDirectory()) throw new IllegalArgumentException("VcnnScorer: modelPath " + path + ": is a folder, not a model file");
            if (st.getLen() > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("VcnnScorer: modelPath " + path + ": " + st.getLen() + " bytes is too large");
            byte[] b = new byte[(int) st.getLen()];
            try (FSDataInputStream s = fs.open(p)) {
                s.readFully(0, b);
            }
            return b;
        } catch (IOException | IllegalStateException e) {
            throw new IllegalArgumentException("VcnnScorer: modelPath " + path + ": cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public VcnnScorer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** For {@link org.apache.spark.ml.Pipeline} and {@link org.apache.spark.ml.PipelineModel} loading. */
    public static MLReader<VcnnScorer> read() {
        return new DefaultParamsReader<>();
    }

    public static VcnnScorer load(String path) {
        return read().load(path);
    }
}
