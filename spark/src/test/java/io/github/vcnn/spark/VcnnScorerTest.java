package io.github.vcnn.spark;

import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.nn.Model;
import io.github.vcnn.onnx.OnnxImporter;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VcnnScorerTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path model;
    static CompiledModel local;

    @BeforeAll
    static void setUp() throws Exception {
        spark = TestData.spark();
        model = TestData.leNetSafetensors(tmp);
        local = CompiledModel.compile(Model.load(model));
    }

    /** (id, x) rows of random inputs; row 5 has a null input. */
    static Dataset<Row> floatRows(int n, int size, long seed, Map<Long, float[]> inputs) {
        Random r = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            float[] x = i == 5 ? null : TestData.randomFloats(r, size);
            if (x != null) inputs.put(i, x);
            rows.add(RowFactory.create(i, x));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, false), true);
        return spark.createDataFrame(rows, schema);
    }

    static float[] floats(Row r, String col) {
        List<Object> l = r.getList(r.fieldIndex(col));
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) f[i] = (Float) l.get(i);
        return f;
    }

    static int[] ints(Row r, String col) {
        List<Object> l = r.getList(r.fieldIndex(col));
        int[] f = new int[l.size()];
        for (int i = 0; i < f.length; i++) f[i] = (Integer) l.get(i);
        return f;
    }

    /** Every row's scores equal CompiledModel.predict of its input alone and within one batch of all rows, bit for bit. */
    static void assertMatchesLocal(CompiledModel m, List<Row> rows, Map<Long, float[]> inputs) {
        int n = inputs.size(), in = m.inputSize(), out = m.outputSize();
        long[] ids = inputs.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        float[] all = new float[n * in];
        for (int i = 0; i < n; i++) System.arraycopy(inputs.get(ids[i]), 0, all, i * in, in);
        float[] batched = m.predict(all);
        Map<Long, Integer> pos = new HashMap<>();
        for (int i = 0; i < n; i++) pos.put(ids[i], i);
        int seen = 0;
        for (Row r : rows) {
            long id = r.getLong(r.fieldIndex("id"));
            if (!inputs.containsKey(id)) {
                assertTrue(r.isNullAt(r.fieldIndex("scores")), "null input -> null scores");
                continue;
            }
            float[] got = floats(r, "scores");
            assertArrayEquals(m.predict(inputs.get(id)), got, "row " + id + " against predict of that input alone");
            int p = pos.get(id);
            assertArrayEquals(java.util.Arrays.copyOfRange(batched, p * out, (p + 1) * out), got, "row " + id + " against the batched predict");
            seen++;
        }
        assertEquals(n, seen);
    }

    @Test
    void floatArraysMatchLocalPredictBeforeAndAfterRepartition() {
        Map<Long, float[]> inputs = new HashMap<>();
        Dataset<Row> df = floatRows(23, local.inputSize(), 1, inputs);
        VcnnScorer s = new VcnnScorer().setModelPath(model.toString()).setInputCol("x").setBatchSize(4);
        assertMatchesLocal(local, s.transform(df).collectAsList(), inputs);
        Dataset<Row> re = df.repartition(3);
        assertEquals(3, re.rdd().getNumPartitions());
        assertMatchesLocal(local, s.setBatchSize(5).transform(re).collectAsList(), inputs);
    }

    @Test
    void onnxLeNetMatchesLocalPredictWithTopK() throws Exception {
        Path onnx = TestData.sharedOnnxLeNet();
        CompiledModel m = CompiledModel.compile(OnnxImporter.load(onnx));
        Map<Long, float[]> inputs = new HashMap<>();
        Dataset<Row> df = floatRows(17, m.inputSize(), 2, inputs).repartition(3);
        VcnnScorer s = new VcnnScorer().setModelPath(onnx.toString()).setInputCol("x").setBatchSize(m.anyBatch() ? 3 : m.declaredBatch()).setTopK(3);
        List<Row> rows = s.transform(df).collectAsList();
        assertMatchesLocal(m, rows, inputs);
        for (Row r : rows) {
            if (r.isNullAt(r.fieldIndex("scores"))) {
                assertNull(r.get(r.fieldIndex("topClasses")));
                continue;
            }
            float[] y = floats(r, "scores");
            int[] top = ints(r, "topClasses");
            float[] ts = floats(r, "topScores");
            assertEquals(3, top.length);
            for (int k = 0; k < 3; k++) {
                assertEquals(Float.floatToIntBits(y[top[k]]), Float.floatToIntBits(ts[k]));
                for (int c = 0; c < y.length; c++) {
                    boolean inTop = false;
                    for (int t = 0; t <= k; t++) inTop |= top[t] == c;
                    if (!inTop) assertTrue(y[c] <= ts[k], "class " + c + " beats top " + k);
                }
            }
        }
    }

    @Test
    void imagesFromBinaryFilesMatchLocalPreprocessingAndPredict() throws Exception {
        Path dir = tmp.resolve("images");
        TestData.writeImages(dir, 12, 7);
        Dataset<Row> files = spark.read().format("binaryFile").load(dir.toString()).repartition(3);
        VcnnScorer s = new VcnnScorer().setModelPath(model.toString()).setBatchSize(5).setTopK(2);
        List<Row> rows = s.transform(files).collectAsList();
        assertEquals(12, rows.size());
        ImagePreprocessing prep = new ImagePreprocessing(1, 28, 28, 0, null, null);
        for (Row r : rows) {
            Path f = Path.of(java.net.URI.create(r.getString(r.fieldIndex("path"))));
            float[] x = new float[prep.size()];
            prep.apply(ImageIO.read(f.toFile()), x, 0);
            assertArrayEquals(local.predict(x), floats(r, "scores"), f.toString());
            assertEquals(2, ints(r, "topClasses").length);
        }
        // the "image" data source gives the same pixels (BGR bytes) and so the same scores
        Dataset<Row> images = spark.read().format("image").load(dir.toString());
        List<Row> viaStruct = s.setInputCol("image").transform(images).collectAsList();
        assertEquals(12, viaStruct.size());
        Map<String, float[]> byPath = new HashMap<>();
        for (Row r : rows) byPath.put(Path.of(java.net.URI.create(r.getString(r.fieldIndex("path")))).toString(), floats(r, "scores"));
        for (Row r : viaStruct) {
            String origin = Path.of(java.net.URI.create(r.getStruct(r.fieldIndex("image")).getString(0))).toString();
            assertArrayEquals(byPath.get(origin), floats(r, "scores"), origin);
        }
    }

    @Test
    void pipelineSaveAndLoadGivesTheSameOutput() throws Exception {
        Map<Long, float[]> inputs = new HashMap<>();
        Dataset<Row> df = floatRows(9, local.inputSize(), 3, inputs);
        VcnnScorer s = new VcnnScorer().setModelPath(model.toString()).setInputCol("x").setBatchSize(2).setTopK(4)
                .setThreadsPerTask(2).setOutputCol("logits").setMean(0.5).setStd(0.25).setResize(30);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[]{s}).fit(df);
        Path saved = tmp.resolve("pipeline");
        fitted.write().overwrite().save(saved.toString());
        PipelineModel loaded = PipelineModel.load(saved.toString());
        VcnnScorer back = (VcnnScorer) loaded.stages()[0];
        assertEquals(s.uid(), back.uid());
        assertEquals(model.toString(), back.getModelPath());
        assertEquals(2, back.getBatchSize());
        assertEquals(4, back.getTopK());
        assertEquals(2, back.getThreadsPerTask());
        assertEquals(30, back.getResize());
        assertArrayEquals(new double[]{0.5}, back.getMean());
        assertArrayEquals(new double[]{0.25}, back.getStd());
        assertEquals("logits", back.getOutputCol());
        List<Row> a = fitted.transform(df).orderBy("id").collectAsList();
        List<Row> b = loaded.transform(df).orderBy("id").collectAsList();
        assertEquals(a, b);
        assertEquals(9, b.size());
        // and a scorer alone
        s.write().overwrite().save(tmp.resolve("scorer").toString());
        assertEquals(a, VcnnScorer.load(tmp.resolve("scorer").toString()).transform(df).orderBy("id").collectAsList());
    }

    @Test
    void aMissingModelIsOneClearErrorAtTransformOnTheDriver() {
        Dataset<Row> df = floatRows(4, local.inputSize(), 4, new HashMap<>());
        String missing = tmp.resolve("no-such-model.onnx").toString();
        VcnnScorer s = new VcnnScorer().setModelPath(missing).setInputCol("x");
        long jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.transform(df));
        assertEquals("VcnnScorer: modelPath " + missing + ": no such file", e.getMessage());
        assertEquals(jobsBefore, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length, "no Spark job ran");

        IllegalArgumentException unset = assertThrows(IllegalArgumentException.class, () -> new VcnnScorer().setInputCol("x").transform(df));
        assertEquals("VcnnScorer: modelPath is not set", unset.getMessage());
    }

    @Test
    void aCorruptModelIsOneClearErrorAtTransform() throws Exception {
        Path bad = tmp.resolve("corrupt.onnx");
        Files.write(bad, new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9});
        Dataset<Row> df = floatRows(2, local.inputSize(), 5, new HashMap<>());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VcnnScorer().setModelPath(bad.toString()).setInputCol("x").transform(df));
        assertTrue(e.getMessage().startsWith("model " + bad + " cannot be used: "), e.getMessage());
    }

    @Test
    void aWrongInputColumnIsAClearErrorAtTransformSchema() {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("name", DataTypes.StringType)
                .add("ints", DataTypes.createArrayType(DataTypes.IntegerType));
        VcnnScorer s = new VcnnScorer().setModelPath(model.toString()).setInputCol("name");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.transformSchema(schema));
        assertTrue(e.getMessage().startsWith("VcnnScorer: input column 'name' is string; it must be binary"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.setInputCol("ints").transformSchema(schema));
        assertTrue(e.getMessage().startsWith("VcnnScorer: input column 'ints' is array<int>;"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.setInputCol("nope").transformSchema(schema));
        assertEquals("VcnnScorer: input column 'nope' does not exist; the columns are [id, name, ints]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.setInputCol("id").transformSchema(schema));
        assertTrue(e.getMessage().startsWith("VcnnScorer: input column 'id' is bigint;"), e.getMessage());

        StructType ok = new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType));
        StructType out = new VcnnScorer().setInputCol("x").setTopK(5).transformSchema(ok);
        assertEquals("struct<x:array<float>,scores:array<float>,topClasses:array<int>,topScores:array<float>>", out.simpleString());
        e = assertThrows(IllegalArgumentException.class, () -> new VcnnScorer().setInputCol("x").setOutputCol("x").transformSchema(ok));
        assertTrue(e.getMessage().contains("output column 'x' already exists"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VcnnScorer().setBatchSize(0));
    }

    @Test
    void aWrongSizedInputRowFailsNamingTheRow() {
        List<Row> rows = List.of(RowFactory.create(0L, new float[]{1f, 2f, 3f}));
        StructType schema = new StructType().add("id", DataTypes.LongType).add("x", DataTypes.createArrayType(DataTypes.FloatType));
        Dataset<Row> df = spark.createDataFrame(rows, schema);
        Exception e = assertThrows(Exception.class, () -> new VcnnScorer().setModelPath(model.toString()).setInputCol("x").transform(df).collectAsList());
        assertTrue(SparkScoreJob.rootMessage(e).contains("the input array has 3 values, the model's input 'input' needs 784 per sample"), SparkScoreJob.rootMessage(e));
    }
}
