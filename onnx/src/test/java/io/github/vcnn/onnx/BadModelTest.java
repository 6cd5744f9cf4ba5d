package io.github.vcnn.onnx;

import io.github.vcnn.graph.Graph;
import io.github.vcnn.onnx.proto.OnnxProto.StringStringEntryProto;
import io.github.vcnn.onnx.proto.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.github.vcnn.onnx.OnnxBuilder.i;
import static io.github.vcnn.onnx.OnnxBuilder.ints;
import static io.github.vcnn.onnx.OnnxBuilder.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models vcnn cannot import fail with one exception that names the node, the op and what is unsupported. */
class BadModelTest {

    private static OnnxBuilder conv() {
        return OnnxBuilder.model().input("x", 1, 2, 5, 5).output("y", 1, 3, 5, 5)
                .init("w", new int[]{3, 2, 3, 3}, new float[54]);
    }

    private static OnnxImportException rejected(byte[] model) {
        return assertThrows(OnnxImportException.class, () -> OnnxImporter.read(model, "bad.onnx", Map.of()));
    }

    private static void mentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }

    @Test
    void goodModelImports() throws Exception {
        Graph g = OnnxImporter.read(conv().node("Conv", "c1", List.of("x", "w"), List.of("y"), ints("pads", 1, 1, 1, 1)).bytes(), "ok.onnx", Map.of());
        assertEquals(1, g.nodes().size());
    }

    @Test
    void unsupportedOperator() {
        var e = rejected(conv().node("Resize", "up1", List.of("x"), List.of("y")).bytes());
        mentions(e, "bad.onnx", "node 'up1' (Resize)", "operator Resize is not supported");
        assertEquals("up1", e.node());
        assertEquals("Resize", e.op());
    }

    @Test
    void operatorOfAnotherDomain() {
        byte[] m = conv().node(io.github.vcnn.onnx.proto.OnnxProto.NodeProto.newBuilder().setOpType("FusedConv").setName("f").setDomain("com.microsoft")
                .addInput("x").addInput("w").addOutput("y").build()).bytes();
        mentions(rejected(m), "node 'f' (FusedConv)", "domain 'com.microsoft'");
    }

    @Test
    void badAttributeValue() {
        var e = rejected(conv().node("Conv", "c1", List.of("x", "w"), List.of("y"), s("auto_pad", "SAME_SIDEWAYS")).bytes());
        mentions(e, "node 'c1' (Conv)", "auto_pad", "SAME_SIDEWAYS");
    }

    @Test
    void unknownAttribute() {
        mentions(rejected(conv().node("Conv", "c1", List.of("x", "w"), List.of("y"), i("winograd", 1)).bytes()),
                "node 'c1' (Conv)", "attribute 'winograd' is not supported");
    }

    @Test
    void attributeOfTheWrongType() {
        mentions(rejected(conv().node("Conv", "c1", List.of("x", "w"), List.of("y"), i("strides", 2)).bytes()),
                "node 'c1' (Conv)", "'strides' must be INTS");
    }

    @Test
    void negativePads() {
        mentions(rejected(conv().node("Conv", "c1", List.of("x", "w"), List.of("y"), ints("pads", -1, 0, 0, 0)).bytes()),
                "node 'c1' (Conv)", "'pads'", ">= 0");
    }

    @Test
    void threeDimensionalConvolution() {
        mentions(rejected(conv().node("Conv", "c1", List.of("x", "w"), List.of("y"), ints("kernel_shape", 3, 3, 3)).bytes()),
                "node 'c1' (Conv)", "3-D");
    }

    @Test
    void unsupportedOpset() {
        mentions(rejected(conv().opset(99).node("Relu", List.of("x"), List.of("y")).bytes()), "opset 99 is not supported");
    }

    @Test
    void unsupportedDataType() {
        TensorProto d = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.DOUBLE_VALUE).addDims(1).addDoubleData(1.0).build();
        byte[] m = OnnxBuilder.model().input("x", 1, 4).output("y", 1, 4).init(d).node("Add", List.of("x", "w"), List.of("y")).bytes();
        mentions(rejected(m), "initializer 'w'", "DOUBLE", "not supported");
    }

    @Test
    void unsupportedInputType() {
        byte[] m = OnnxBuilder.model().input(OnnxBuilder.value("x", TensorProto.DataType.FLOAT16_VALUE, 1, 4)).output("y", 1, 4)
                .node("Relu", List.of("x"), List.of("y")).bytes();
        mentions(rejected(m), "graph input 'x'", "FLOAT16");
    }

    @Test
    void dynamicSpatialShape() {
        byte[] m = OnnxBuilder.model().input("x", 1, 2, -1, 5).output("y", 1, 2, 5, 5).node("Relu", List.of("x"), List.of("y")).bytes();
        mentions(rejected(m), "graph input 'x'", "dynamic dimension 2");
    }

    @Test
    void symbolicBatchIsFine() throws Exception {
        byte[] m = OnnxBuilder.model().input("x", -1, 2, 5, 5).output("y", -1, 2, 5, 5).node("Relu", List.of("x"), List.of("y")).bytes();
        Graph g = OnnxImporter.read(m, "ok.onnx", Map.of());
        assertTrue(g.inputs().get(0).symbolicBatch());
    }

    @Test
    void runTimeReshapeTarget() {
        byte[] m = OnnxBuilder.model().input("x", 2, 6).input(OnnxBuilder.value("shape", TensorProto.DataType.INT64_VALUE, 2)).output("y", 3, 4)
                .node("Reshape", "r", List.of("x", "shape"), List.of("y")).bytes();
        var e = rejected(m);
        mentions(e, "'shape'", "INT64", "bind");
    }

    @Test
    void runTimeReshapeTargetBound() throws Exception {
        byte[] m = OnnxBuilder.model().input("x", 2, 6).input(OnnxBuilder.value("shape", TensorProto.DataType.INT64_VALUE, 2)).output("y", 3, 4)
                .node("Reshape", "r", List.of("x", "shape"), List.of("y")).bytes();
        Graph g = OnnxImporter.read(m, "ok.onnx", Map.of("shape", io.github.vcnn.graph.Tensor.ofLongs(new int[]{2}, 3, 4)));
        assertEquals(1, g.inputs().size());
    }

    @Test
    void externalData() {
        TensorProto ext = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(3).addDims(2).addDims(3).addDims(3)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0")).build();
        byte[] m = OnnxBuilder.model().input("x", 1, 2, 5, 5).output("y", 1, 3, 3, 3).init(ext).node("Conv", List.of("x", "w"), List.of("y")).bytes();
        mentions(rejected(m), "initializer 'w'", "external file 'weights.bin'", "not supported");
    }

    @Test
    void shapesThatDoNotFit() {
        byte[] m = conv().node("Gemm", "fc", List.of("x", "w"), List.of("y")).bytes();
        mentions(rejected(m), "node 'fc' (Gemm)", "matrices");
    }

    @Test
    void usedSecondOutput() {
        byte[] m = OnnxBuilder.model().input("x", 1, 1, 4, 4).output("y", 1, 1, 2, 2).output("idx", 1, 1, 2, 2)
                .node("MaxPool", "mp", List.of("x"), List.of("y", "idx"), ints("kernel_shape", 2, 2), ints("strides", 2, 2)).bytes();
        mentions(rejected(m), "node 'mp' (MaxPool)", "output #1 ('idx')");
    }

    @Test
    void declaredOutputShapeMismatch() {
        byte[] m = OnnxBuilder.model().input("x", 1, 4).output("y", 1, 5).node("Relu", List.of("x"), List.of("y")).bytes();
        mentions(rejected(m), "graph output 'y'", "[1, 5]", "[1, 4]");
    }

    @Test
    void undefinedInput() {
        byte[] m = OnnxBuilder.model().input("x", 1, 4).output("y", 1, 4).node("Add", "a", List.of("x", "nowhere"), List.of("y")).bytes();
        mentions(rejected(m), "'nowhere' is not defined");
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws IOException {
        byte[] good = conv().init("b", new int[]{3}, 1f, 2f, 3f).node("Conv", List.of("x", "w", "b"), List.of("y"), ints("pads", 1, 1, 1, 1)).bytes();
        Path f = dir.resolve("cut.onnx");
        Files.write(f, Arrays.copyOf(good, good.length * 2 / 3));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.load(f));
        mentions(e, "cut.onnx", "not a readable ONNX model");
    }

    @Test
    void emptyAndGarbageFiles(@TempDir Path dir) throws IOException {
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        mentions(assertThrows(OnnxFormatException.class, () -> OnnxImporter.load(empty)), "empty.onnx", "no graph");
        Path junk = dir.resolve("junk.onnx");
        Files.writeString(junk, "this is not a model at all, just text\n".repeat(10));
        assertThrows(OnnxFormatException.class, () -> OnnxImporter.load(junk));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> OnnxImporter.load(dir.resolve("missing.onnx")));
    }
}
