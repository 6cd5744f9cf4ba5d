package io.github.vcnn.onnx;

import com.google.protobuf.ByteString;
import io.github.vcnn.onnx.proto.OnnxProto.AttributeProto;
import io.github.vcnn.onnx.proto.OnnxProto.GraphProto;
import io.github.vcnn.onnx.proto.OnnxProto.ModelProto;
import io.github.vcnn.onnx.proto.OnnxProto.NodeProto;
import io.github.vcnn.onnx.proto.OnnxProto.OperatorSetIdProto;
import io.github.vcnn.onnx.proto.OnnxProto.TensorProto;
import io.github.vcnn.onnx.proto.OnnxProto.TensorShapeProto;
import io.github.vcnn.onnx.proto.OnnxProto.TypeProto;
import io.github.vcnn.onnx.proto.OnnxProto.ValueInfoProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Small ONNX models built in tests with the generated protobuf classes. */
public final class OnnxBuilder {
    private final GraphProto.Builder g = GraphProto.newBuilder().setName("test");
    private long opset = 13;
    private long ir = 7;

    public static OnnxBuilder model() {
        return new OnnxBuilder();
    }

    public OnnxBuilder opset(long v) {
        opset = v;
        return this;
    }

    public OnnxBuilder ir(long v) {
        ir = v;
        return this;
    }

    /** A float32 input; a dimension of -1 is symbolic ("N"). */
    public OnnxBuilder input(String name, long... dims) {
        g.addInput(value(name, TensorProto.DataType.FLOAT_VALUE, dims));
        return this;
    }

    public OnnxBuilder input(ValueInfoProto v) {
        g.addInput(v);
        return this;
    }

    public OnnxBuilder output(String name, long... dims) {
        g.addOutput(value(name, TensorProto.DataType.FLOAT_VALUE, dims));
        return this;
    }

    public static ValueInfoProto value(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N") : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    /** A float initializer in raw_data (little-endian). */
    public OnnxBuilder init(String name, int[] dims, float... v) {
        g.addInitializer(floats(name, dims, v, true));
        return this;
    }

    /** A float initializer in float_data. */
    public OnnxBuilder initTyped(String name, int[] dims, float... v) {
        g.addInitializer(floats(name, dims, v, false));
        return this;
    }

    public OnnxBuilder initLongs(String name, int[] dims, long... v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
        for (int d : dims) t.addDims(d);
        for (long x : v) t.addInt64Data(x);
        g.addInitializer(t);
        return this;
    }

    public OnnxBuilder init(TensorProto t) {
        g.addInitializer(t);
        return this;
    }

    public static TensorProto floats(String name, int[] dims, float[] v, boolean raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (int d : dims) t.addDims(d);
        if (raw) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            t.setRawData(ByteString.copyFrom(b.array()));
        } else {
            for (float x : v) t.addFloatData(x);
        }
        return t.build();
    }

    public OnnxBuilder node(String op, List<String> in, List<String> out, AttributeProto... attrs) {
        return node(op, op.toLowerCase() + g.getNodeCount(), in, out, attrs);
    }

    public OnnxBuilder node(String op, String name, List<String> in, List<String> out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addAllOutput(out);
        for (AttributeProto a : attrs) n.addAttribute(a);
        g.addNode(n);
        return this;
    }

    public OnnxBuilder node(NodeProto n) {
        g.addNode(n);
        return this;
    }

    public static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    public static AttributeProto i(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static AttributeProto f(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    public static AttributeProto s(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    public static AttributeProto t(String name, TensorProto v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(v).build();
    }

    public ModelProto build() {
        return ModelProto.newBuilder().setIrVersion(ir).setProducerName("vcnn-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }

    public byte[] bytes() {
        return build().toByteArray();
    }
}
