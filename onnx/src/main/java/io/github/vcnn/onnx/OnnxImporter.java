package io.github.vcnn.onnx;

import io.github.vcnn.graph.Act;
import io.github.vcnn.graph.Graph;
import io.github.vcnn.graph.Node;
import io.github.vcnn.graph.Op;
import io.github.vcnn.graph.ShapeInference;
import io.github.vcnn.graph.Shapes;
import io.github.vcnn.graph.Tensor;
import io.github.vcnn.onnx.proto.OnnxProto.AttributeProto;
import io.github.vcnn.onnx.proto.OnnxProto.GraphProto;
import io.github.vcnn.onnx.proto.OnnxProto.ModelProto;
import io.github.vcnn.onnx.proto.OnnxProto.NodeProto;
import io.github.vcnn.onnx.proto.OnnxProto.OperatorSetIdProto;
import io.github.vcnn.onnx.proto.OnnxProto.TensorProto;
import io.github.vcnn.onnx.proto.OnnxProto.TensorShapeProto;
import io.github.vcnn.onnx.proto.OnnxProto.TypeProto;
import io.github.vcnn.onnx.proto.OnnxProto.ValueInfoProto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an ONNX model ({@code .onnx}, a serialized {@code ModelProto}) into vcnn's graph IR ({@link Graph}).
 *
 * <p>Operators (default domain, opsets {@value #MIN_OPSET}..{@value #MAX_OPSET}): Conv, MaxPool, AveragePool (1-D and
 * 2-D), GlobalAveragePool, GlobalMaxPool, Relu, LeakyRelu, Sigmoid, Clip, Gemm, MatMul, Add, Mul, Flatten, Reshape,
 * Transpose, Softmax, LogSoftmax, BatchNormalization and Dropout (inference), Concat, Identity, Constant. Initializers
 * in {@code raw_data} or typed fields. Shapes are inferred statically when the model is read.
 *
 * <p>Anything else fails the whole import with one exception, never a partial model: {@link OnnxFormatException} (an
 * IOException) when the bytes are not a readable model, {@link OnnxImportException} (an IllegalArgumentException) for an
 * unsupported operator, attribute value, opset, data type, dynamic shape or external data, naming the file, the node and
 * its operator.
 */
public final class OnnxImporter {
    /** Oldest default-domain opset read. */
    public static final int MIN_OPSET = 1;
    /** Newest default-domain opset read (ONNX 1.17). */
    public static final int MAX_OPSET = 22;
    /** IR versions read (ONNX 1.0 to 1.18). */
    public static final int MIN_IR = 3, MAX_IR = 11;

    private final String source;
    private final int opset;
    private final Map<String, Tensor> constants = new LinkedHashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Set<String> used = new HashSet<>();
    /** Shapes of graph inputs and initializers known while importing (for rank decisions). */
    private final Map<String, int[]> knownShapes = new HashMap<>();

    private OnnxImporter(String source, int opset) {
        this.source = source;
        this.opset = opset;
    }

    /** Reads {@code file}; integer graph inputs (e.g. a Reshape target fed as an input) must be bound, see {@link #load(Path, Map)}. */
    public static Graph load(Path file) throws IOException {
        return load(file, Map.of());
    }

    /**
     * Reads {@code file} with some graph inputs replaced by constants ({@link Graph#bind}): how integer inputs that
     * decide shapes become static.
     */
    public static Graph load(Path file, Map<String, Tensor> bindings) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such ONNX model");
        if (Files.isDirectory(file)) throw new OnnxFormatException(file + " is a directory, not an .onnx file");
        return read(Files.readAllBytes(file), file.toString(), bindings);
    }

    /** Parses the bytes of an .onnx file; {@code source} names it in messages. */
    public static Graph read(byte[] bytes, String source, Map<String, Tensor> bindings) throws OnnxFormatException {
        return read(bytes, source, bindings, false);
    }

    /** {@code wiringOnly}: skip shape inference (to list the inputs of a model whose integer inputs are not bound yet). */
    static Graph read(byte[] bytes, String source, Map<String, Tensor> bindings, boolean wiringOnly) throws OnnxFormatException {
        ModelProto m;
        try {
            // aliasing: the initializers' raw_data stay slices of the file's bytes (read once into floats) instead of copies
            com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(bytes);
            in.enableAliasing(true);
            m = ModelProto.parseFrom(in);
        } catch (java.io.IOException e) {   // an InvalidProtocolBufferException: the stream reads memory
            throw new OnnxFormatException(source + " is not a readable ONNX model (truncated or not protobuf): " + e.getMessage(), e);
        } catch (AssertionError e) {
            // protobuf's UTF-8 decoder checks an internal invariant with `assert`: under -ea (tests, fuzzing) a malformed
            // string at the end of a buffer trips it, where without -ea it is refused as invalid UTF-8 (found by fuzzing)
            throw new OnnxFormatException(source + " is not a readable ONNX model (malformed UTF-8 string in the protobuf)", e);
        }
        if (!m.hasGraph() || m.getGraph().getNodeCount() == 0 && m.getGraph().getOutputCount() == 0) {
            throw new OnnxFormatException(source + " is not an ONNX model: it holds no graph" + (bytes.length == 0 ? " (the file is empty)" : ""));
        }
        if (m.getIrVersion() < MIN_IR || m.getIrVersion() > MAX_IR) {
            throw new OnnxImportException(source + ": IR version " + m.getIrVersion() + " is not supported (" + MIN_IR + ".." + MAX_IR + ")", "", "");
        }
        int opset = -1;
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) opset = (int) o.getVersion();
        }
        if (opset < 0) throw new OnnxImportException(source + ": the model imports no version of the default operator set (ai.onnx)", "", "");
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new OnnxImportException(source + ": opset " + opset + " is not supported (ai.onnx " + MIN_OPSET + ".." + MAX_OPSET + ")", "", "");
        }
        OnnxImporter imp = new OnnxImporter(source, opset);
        return imp.graph(m.getGraph(), bindings == null ? Map.of() : bindings, wiringOnly);
    }

    // ---- graph ---------------------------------------------------------------------------------------------------

    private OnnxImportException fail(String msg) {
        return new OnnxImportException(source + ": " + msg, "", "");
    }

    private Graph graph(GraphProto g, Map<String, Tensor> bindings, boolean wiringOnly) {
        if (g.getSparseInitializerCount() > 0) throw fail("sparse initializers are not supported");
        for (TensorProto t : g.getInitializerList()) {
            if (t.getName().isEmpty()) throw fail("an initializer has no name");
            Tensor v;
            try {
                v = TensorProtos.toTensor(t, "initializer '" + t.getName() + "'");
            } catch (OnnxImportException e) {
                throw fail(e.getMessage());
            }
            constants.put(t.getName(), v);
            knownShapes.put(t.getName(), v.shape());
        }
        for (NodeProto n : g.getNodeList()) used.addAll(n.getInputList());
        for (ValueInfoProto o : g.getOutputList()) used.add(o.getName());

        List<Graph.Input> inputs = new ArrayList<>();
        for (ValueInfoProto vi : g.getInputList()) {
            if (constants.containsKey(vi.getName())) continue; // IR < 4: initializers are listed as inputs too
            Graph.Input in = input(vi);
            inputs.add(in);
            knownShapes.put(in.name(), in.shape());
        }
        for (int i = 0; i < g.getNodeCount(); i++) node(g.getNode(i), i);
        List<String> outputs = new ArrayList<>();
        for (ValueInfoProto vi : g.getOutputList()) {
            if (vi.hasType() && vi.getType().hasTensorType()) {
                int et = vi.getType().getTensorType().getElemType();
                if (et != 0 && et != TensorProto.DataType.FLOAT_VALUE) {
                    throw fail("graph output '" + vi.getName() + "' is " + TensorProtos.typeName(et) + ": only float32 outputs are supported");
                }
            } else if (vi.hasType()) {
                throw fail("graph output '" + vi.getName() + "' is not a tensor (sequences, maps and optionals are not supported)");
            }
            outputs.add(vi.getName());
        }
        Graph graph;
        try {
            graph = new Graph(inputs, nodes, constants, outputs);
            for (Map.Entry<String, Tensor> b : bindings.entrySet()) graph = graph.bind(b.getKey(), b.getValue());
        } catch (OnnxImportException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }
        if (wiringOnly) return graph;
        Shapes s;
        try {
            s = ShapeInference.infer(graph);
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }
        for (ValueInfoProto vi : g.getOutputList()) checkDeclared(vi, s);
        return graph;
    }

    /** A declared static output shape must be the inferred one (catches models whose metadata disagrees with their ops). */
    private void checkDeclared(ValueInfoProto vi, Shapes s) {
        if (!vi.hasType() || !vi.getType().getTensorType().hasShape()) return;
        TensorShapeProto sh = vi.getType().getTensorType().getShape();
        int[] inferred = s.shape(vi.getName());
        if (sh.getDimCount() != inferred.length) {
            throw fail("graph output '" + vi.getName() + "' is declared with rank " + sh.getDimCount() + " but the graph computes " + Arrays.toString(inferred));
        }
        for (int i = 0; i < inferred.length; i++) {
            TensorShapeProto.Dimension d = sh.getDim(i);
            if (d.hasDimValue() && d.getDimValue() > 0 && d.getDimValue() != inferred[i]) {
                throw fail("graph output '" + vi.getName() + "' is declared " + dims(sh) + " but the graph computes " + Arrays.toString(inferred));
            }
        }
    }

    private static String dims(TensorShapeProto sh) {
        List<String> l = new ArrayList<>();
        for (TensorShapeProto.Dimension d : sh.getDimList()) l.add(d.hasDimValue() ? "" + d.getDimValue() : d.hasDimParam() ? d.getDimParam() : "?");
        return l.toString();
    }

    private Graph.Input input(ValueInfoProto vi) {
        String name = vi.getName();
        if (!vi.hasType() || !vi.getType().hasTensorType()) {
            throw fail("graph input '" + name + "' is not a tensor (sequences, maps, optionals and sparse tensors are not supported)");
        }
        TypeProto.Tensor tt = vi.getType().getTensorType();
        Tensor.Type type = switch (tt.getElemType()) {
            case TensorProto.DataType.FLOAT_VALUE -> Tensor.Type.FLOAT;
            case TensorProto.DataType.INT64_VALUE -> Tensor.Type.INT64;
            default -> throw fail("graph input '" + name + "' is " + TensorProtos.typeName(tt.getElemType())
                    + ": only float32 inputs are supported (int64 ones only as constants bound at load)");
        };
        if (!tt.hasShape()) throw fail("graph input '" + name + "' has no shape: dynamic shapes are not supported");
        TensorShapeProto sh = tt.getShape();
        int[] shape = new int[sh.getDimCount()];
        boolean symbolic = false;
        for (int i = 0; i < shape.length; i++) {
            TensorShapeProto.Dimension d = sh.getDim(i);
            if (d.hasDimValue() && d.getDimValue() > 0) {
                if (d.getDimValue() > Integer.MAX_VALUE) throw fail("graph input '" + name + "' has dimension " + d.getDimValue());
                shape[i] = (int) d.getDimValue();
            } else if (i == 0 && type == Tensor.Type.FLOAT && shape.length > 1) {
                symbolic = true; // a symbolic batch ("N", "batch_size"): any batch size
                shape[i] = 1;
            } else {
                throw fail("graph input '" + name + "' has a dynamic dimension " + i + " (" + (d.hasDimParam() ? "'" + d.getDimParam() + "'" : "unknown")
                        + ") in " + dims(sh) + ": only dimension 0 (the batch) may be symbolic");
            }
        }
        return new Graph.Input(name, shape, symbolic, type);
    }

    // ---- nodes ---------------------------------------------------------------------------------------------------

    /** One node's attributes: typed getters, and a check that every attribute was understood. */
    private final class Attrs {
        final NodeProto n;
        final String label;
        final Map<String, AttributeProto> byName = new LinkedHashMap<>();
        final Set<String> read = new HashSet<>();

        Attrs(NodeProto n, String label) {
            this.n = n;
            this.label = label;
            for (AttributeProto a : n.getAttributeList()) {
                if (!a.getRefAttrName().isEmpty()) throw err("attribute '" + a.getName() + "' refers to a function attribute, which is not supported");
                if (byName.put(a.getName(), a) != null) throw err("attribute '" + a.getName() + "' is given twice");
            }
        }

        OnnxImportException err(String msg) {
            return new OnnxImportException(source + ": " + label + ": " + msg, nodeName(n), n.getOpType());
        }

        boolean has(String name) {
            return byName.containsKey(name);
        }

        private AttributeProto get(String name, AttributeProto.AttributeType type) {
            read.add(name);
            AttributeProto a = byName.get(name);
            if (a == null) return null;
            AttributeProto.AttributeType t = a.getType();
            if (t == AttributeProto.AttributeType.UNDEFINED) t = guessType(a);
            if (t != type) throw err("attribute '" + name + "' must be " + type + ", got " + t);
            return a;
        }

        long i(String name, long dflt) {
            AttributeProto a = get(name, AttributeProto.AttributeType.INT);
            return a == null ? dflt : a.getI();
        }

        float f(String name, float dflt) {
            AttributeProto a = get(name, AttributeProto.AttributeType.FLOAT);
            return a == null ? dflt : a.getF();
        }

        String s(String name, String dflt) {
            AttributeProto a = get(name, AttributeProto.AttributeType.STRING);
            return a == null ? dflt : a.getS().toStringUtf8();
        }

        long[] ints(String name) {
            AttributeProto a = get(name, AttributeProto.AttributeType.INTS);
            if (a == null) return null;
            long[] r = new long[a.getIntsCount()];
            for (int k = 0; k < r.length; k++) r[k] = a.getInts(k);
            return r;
        }

        float[] floats(String name) {
            AttributeProto a = get(name, AttributeProto.AttributeType.FLOATS);
            if (a == null) return null;
            float[] r = new float[a.getFloatsCount()];
            for (int k = 0; k < r.length; k++) r[k] = a.getFloats(k);
            return r;
        }

        TensorProto t(String name) {
            AttributeProto a = get(name, AttributeProto.AttributeType.TENSOR);
            return a == null ? null : a.getT();
        }

        /** Fails on any attribute no getter asked for. */
        void done() {
            for (String name : byName.keySet()) {
                if (!read.contains(name)) {
                    throw err("attribute '" + name + "' is not supported" + (opset < 7 ? " (legacy attribute of opset " + opset + ")" : ""));
                }
            }
        }

        boolean bool(String name, boolean dflt) {
            long v = i(name, dflt ? 1 : 0);
            if (v != 0 && v != 1) throw err("attribute '" + name + "' must be 0 or 1, got " + v);
            return v == 1;
        }
    }

    private static AttributeProto.AttributeType guessType(AttributeProto a) {
        if (a.getIntsCount() > 0) return AttributeProto.AttributeType.INTS;
        if (a.getFloatsCount() > 0) return AttributeProto.AttributeType.FLOATS;
        if (a.getStringsCount() > 0) return AttributeProto.AttributeType.STRINGS;
        if (a.hasT()) return AttributeProto.AttributeType.TENSOR;
        if (a.hasG()) return AttributeProto.AttributeType.GRAPH;
        if (!a.getS().isEmpty()) return AttributeProto.AttributeType.STRING;
        if (a.getF() != 0f) return AttributeProto.AttributeType.FLOAT;
        return AttributeProto.AttributeType.INT;
    }

    private static String nodeName(NodeProto n) {
        return !n.getName().isEmpty() ? n.getName() : n.getOutputCount() > 0 ? n.getOutput(0) : "";
    }

    private void node(NodeProto n, int index) {
        String name = nodeName(n);
        String label = "node '" + (name.isEmpty() ? "#" + index : name) + "' (" + n.getOpType() + ")";
        Attrs at = new Attrs(n, label);
        String domain = n.getDomain();
        if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
            throw at.err("operator " + n.getOpType() + " of domain '" + domain + "' is not supported (only the default ai.onnx operators)");
        }
        if (n.getOutputCount() == 0 || n.getOutput(0).isEmpty()) throw at.err("has no output");
        List<String> in = n.getInputList();
        String op = n.getOpType();
        // Only the first output is computed; the optional others (MaxPool Indices, Dropout mask, BatchNorm running stats) must be unused.
        for (int k = 1; k < n.getOutputCount(); k++) {
            if (!n.getOutput(k).isEmpty() && used.contains(n.getOutput(k))) {
                throw at.err("output #" + k + " ('" + n.getOutput(k) + "') is used, but only the first output of " + op + " is supported (inference)");
            }
        }
        List<String> out = List.of(n.getOutput(0));
        switch (op) {
            case "Constant" -> {
                constants.put(n.getOutput(0), constant(at));
                knownShapes.put(n.getOutput(0), constants.get(n.getOutput(0)).shape());
                at.done();
                return;
            }
            case "Conv" -> add(n, conv(at, in), in, 2, 3, out);
            case "MaxPool", "AveragePool" -> add(n, pool(at, op.equals("MaxPool")), in, 1, 1, out);
            case "GlobalAveragePool", "GlobalMaxPool" -> add(n, new Op.GlobalPool(op.equals("GlobalMaxPool")), in, 1, 1, out);
            case "Relu" -> add(n, new Op.Unary(Act.RELU, op), in, 1, 1, out);
            case "Sigmoid" -> add(n, new Op.Unary(Act.SIGMOID, op), in, 1, 1, out);
            case "LeakyRelu" -> {
                float alpha = at.f("alpha", 0.01f);
                if (!Float.isFinite(alpha)) throw at.err("attribute 'alpha' must be finite, got " + alpha);
                add(n, new Op.Unary(Act.leakyRelu(alpha), op), in, 1, 1, out);
            }
            case "Clip" -> {
                if (opset < 11) {
                    float lo = at.f("min", -Float.MAX_VALUE), hi = at.f("max", Float.MAX_VALUE);
                    if (Float.isNaN(lo) || Float.isNaN(hi)) throw at.err("clip bounds must not be NaN");
                    add(n, new Op.Unary(Act.clip(lo, hi), op), in, 1, 1, out);
                } else {
                    add(n, new Op.Clip(), in, 1, 3, out);
                }
            }
            case "Gemm" -> {
                float alpha = at.f("alpha", 1f), beta = at.f("beta", 1f);
                boolean ta = at.bool("transA", false), tb = at.bool("transB", false);
                if (opset < 7 && at.has("broadcast")) at.i("broadcast", 0); // superseded by numpy broadcasting
                add(n, new Op.Gemm(alpha, beta, ta, tb, Act.NONE), in, 2, 3, out);
            }
            case "MatMul" -> add(n, new Op.MatMul(), in, 2, 2, out);
            case "Add", "Mul" -> {
                if (opset < 7 && at.i("broadcast", 0) != 0) {
                    throw at.err("attribute 'broadcast' = 1 (the legacy broadcasting of opset < 7) is not supported");
                }
                if (opset < 7 && at.has("axis")) throw at.err("attribute 'axis' (legacy broadcasting of opset < 7) is not supported");
                add(n, new Op.Binary(op.equals("Add"), Act.NONE), in, 2, 2, out);
            }
            case "Flatten" -> {
                long axis = at.i("axis", 1);
                add(n, new Op.Flatten((int) axis), in, 1, 1, out);
            }
            case "Reshape" -> {
                List<String> ins = in;
                if (opset < 5) {
                    long[] shape = at.ints("shape");
                    if (shape == null) throw at.err("attribute 'shape' is missing");
                    String cname = n.getOutput(0) + "#shape";
                    constants.put(cname, Tensor.ofLongs(new int[]{shape.length}, shape));
                    ins = List.of(in.isEmpty() ? "" : in.get(0), cname);
                }
                boolean allowZero = opset >= 14 && at.bool("allowzero", false);
                add(n, new Op.Reshape(allowZero), ins, 2, 2, out);
            }
            case "Transpose" -> {
                long[] p = at.ints("perm");
                add(n, new Op.Transpose(p == null ? null : toInts(at, "perm", p)), in, 1, 1, out);
            }
            case "Softmax", "LogSoftmax" -> {
                long axis = at.i("axis", opset < 13 ? 1 : -1);
                add(n, new Op.Softmax((int) axis, op.equals("LogSoftmax"), opset < 13), in, 1, 1, out);
            }
            case "BatchNormalization" -> {
                float eps = at.f("epsilon", 1e-5f);
                at.f("momentum", 0.9f); // running-statistics update: training only
                if (opset < 7) at.i("is_test", 1);
                if (opset < 9 && at.i("spatial", 1) != 1) throw at.err("attribute 'spatial' = 0 (per-element statistics) is not supported");
                if (opset >= 14 && at.i("training_mode", 0) != 0) throw at.err("attribute 'training_mode' = 1 is not supported (inference only)");
                if (!(eps >= 0f) || !Float.isFinite(eps)) throw at.err("attribute 'epsilon' must be finite and >= 0, got " + eps);
                add(n, new Op.BatchNorm(eps), in, 5, 5, out);
            }
            case "Dropout" -> {
                if (opset < 12) at.f("ratio", 0.5f);
                else at.i("seed", 0);
                if (opset < 7) at.i("is_test", 0);
                if (in.size() > 2 && !in.get(2).isEmpty()) {
                    Tensor mode = constants.get(in.get(2));
                    if (mode == null) throw at.err("input 'training_mode' ('" + in.get(2) + "') is computed at run time: only inference (a constant false) is supported");
                    if (mode.floatAt(0) != 0f) throw at.err("training_mode is true: only inference dropout is supported");
                }
                add(n, new Op.Identity(op), in.isEmpty() ? in : List.of(in.get(0)), 1, 1, out);
            }
            case "Concat" -> {
                if (opset >= 4 && !at.has("axis")) throw at.err("attribute 'axis' is required");
                long axis = at.i("axis", 1);
                add(n, new Op.Concat((int) axis), in, 1, Integer.MAX_VALUE, out);
            }
            case "Identity" -> add(n, new Op.Identity(op), in, 1, 1, out);
            default -> throw at.err("operator " + op + " is not supported (supported: Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, "
                    + "Relu, LeakyRelu, Sigmoid, Clip, Gemm, MatMul, Add, Mul, Flatten, Reshape, Transpose, Softmax, LogSoftmax, "
                    + "BatchNormalization, Dropout, Concat, Identity, Constant)");
        }
        at.done();
    }

    private void add(NodeProto n, Op op, List<String> in, int minIn, int maxIn, List<String> out) {
        int count = in.size();
        while (count > 0 && in.get(count - 1).isEmpty()) count--; // trailing omitted optional inputs
        if (count < minIn || count > maxIn) {
            throw new OnnxImportException(source + ": node '" + nodeName(n) + "' (" + n.getOpType() + ") has " + count + " inputs, "
                    + (minIn == maxIn ? "expected " + minIn : "expected " + minIn + ".." + (maxIn == Integer.MAX_VALUE ? "n" : maxIn)), nodeName(n), n.getOpType());
        }
        for (int k = 0; k < minIn; k++) {
            if (in.get(k).isEmpty()) {
                throw new OnnxImportException(source + ": node '" + nodeName(n) + "' (" + n.getOpType() + ") lacks required input #" + k, nodeName(n), n.getOpType());
            }
        }
        nodes.add(new Node(n.getName(), op, in.subList(0, count), out));
    }

    private int[] toInts(Attrs at, String name, long[] v) {
        int[] r = new int[v.length];
        for (int k = 0; k < v.length; k++) {
            if (v[k] < Integer.MIN_VALUE || v[k] > Integer.MAX_VALUE) throw at.err("attribute '" + name + "' value " + v[k] + " out of range");
            r[k] = (int) v[k];
        }
        return r;
    }

    private Op.AutoPad autoPad(Attrs at) {
        String s = at.s("auto_pad", "NOTSET");
        return switch (s) {
            case "NOTSET", "" -> Op.AutoPad.NOTSET;
            case "SAME_UPPER" -> Op.AutoPad.SAME_UPPER;
            case "SAME_LOWER" -> Op.AutoPad.SAME_LOWER;
            case "VALID" -> Op.AutoPad.VALID;
            default -> throw at.err("attribute 'auto_pad' = '" + s + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        };
    }

    /** Spatial attributes made two-dimensional (height first): a 1-D op gets height 1. */
    private int[] spatial(Attrs at, String name, long[] v, int rank, int dflt, int min) {
        if (v == null) return new int[]{dflt, dflt};
        if (v.length != rank) throw at.err("attribute '" + name + "' " + Arrays.toString(v) + " must have " + rank + " values for " + rank + "-D windows");
        int[] r = toInts(at, name, v);
        for (int x : r) if (x < min) throw at.err("attribute '" + name + "' " + Arrays.toString(v) + " must be >= " + min);
        return rank == 1 ? new int[]{1, r[0]} : r;
    }

    private int[] pads(Attrs at, long[] v, int rank) {
        if (v == null) return new int[4];
        if (v.length != 2 * rank) throw at.err("attribute 'pads' " + Arrays.toString(v) + " must have " + 2 * rank + " values (begins, then ends)");
        int[] r = toInts(at, "pads", v);
        for (int x : r) if (x < 0) throw at.err("attribute 'pads' " + Arrays.toString(v) + " must be >= 0");
        return rank == 1 ? new int[]{0, r[0], 0, r[1]} : new int[]{r[0], r[1], r[2], r[3]};
    }

    private static boolean allZero(long[] v) {
        if (v == null) return true;
        for (long x : v) if (x != 0) return false;
        return true;
    }

    private int spatialRank(Attrs at, long[]... candidates) {
        for (long[] c : candidates) {
            if (c != null) {
                if (c.length < 1 || c.length > 2) {
                    throw at.err(c.length + "-D windows are not supported (1-D and 2-D only)");
                }
                return c.length;
            }
        }
        return -1;
    }

    private Op conv(Attrs at, List<String> in) {
        Op.AutoPad ap = autoPad(at);
        long[] k = at.ints("kernel_shape"), st = at.ints("strides"), d = at.ints("dilations"), p = at.ints("pads");
        long g = at.i("group", 1);
        if (g < 1 || g > Integer.MAX_VALUE) throw at.err("attribute 'group' must be >= 1, got " + g);
        int rank = spatialRank(at, k, st, d);
        if (rank < 0 && p != null) rank = p.length / 2;
        if (rank < 0 && in.size() > 1 && knownShapes.containsKey(in.get(1))) rank = knownShapes.get(in.get(1)).length - 2;
        if (rank < 0) rank = 2;
        if (rank < 1 || rank > 2) throw at.err(rank + "-D convolution is not supported (1-D and 2-D only)");
        if (ap != Op.AutoPad.NOTSET && !allZero(p)) throw at.err("attribute 'pads' cannot be combined with auto_pad " + ap);
        int[] kernel = k == null ? null : spatial(at, "kernel_shape", k, rank, 1, 1);
        return new Op.Conv(kernel, spatial(at, "strides", st, rank, 1, 1), pads(at, p, rank), spatial(at, "dilations", d, rank, 1, 1),
                (int) g, ap, Act.NONE);
    }

    private Op pool(Attrs at, boolean max) {
        Op.AutoPad ap = autoPad(at);
        long[] k = at.ints("kernel_shape"), st = at.ints("strides"), p = at.ints("pads");
        long[] d = (max && opset >= 10) || (!max && opset >= 19) ? at.ints("dilations") : null;
        if (k == null) throw at.err("attribute 'kernel_shape' is required");
        int rank = spatialRank(at, k);
        boolean ceil = opset >= 10 && at.bool("ceil_mode", false);
        boolean countPad = !max && opset >= 7 && at.bool("count_include_pad", false);
        if (max && opset >= 8 && at.i("storage_order", 0) != 0) throw at.err("attribute 'storage_order' = 1 (column-major indices) is not supported");
        if (ap != Op.AutoPad.NOTSET && !allZero(p)) throw at.err("attribute 'pads' cannot be combined with auto_pad " + ap);
        return new Op.Pool(max, spatial(at, "kernel_shape", k, rank, 1, 1), spatial(at, "strides", st, rank, 1, 1), pads(at, p, rank),
                spatial(at, "dilations", d, rank, 1, 1), ceil, countPad, ap);
    }

    private Tensor constant(Attrs at) {
        for (String unsupported : List.of("sparse_value", "value_string", "value_strings")) {
            if (at.has(unsupported)) throw at.err("attribute '" + unsupported + "' is not supported (float and integer constants only)");
        }
        List<Tensor> found = new ArrayList<>();
        TensorProto t = at.t("value");
        if (t != null) {
            try {
                found.add(TensorProtos.toTensor(t, "the value"));
            } catch (OnnxImportException e) {
                throw at.err(e.getMessage());
            }
        }
        if (opset >= 12) {
            if (at.has("value_float")) found.add(Tensor.of(new int[0], at.f("value_float", 0f)));
            float[] fs = at.floats("value_floats");
            if (fs != null) found.add(Tensor.of(new int[]{fs.length}, fs));
            if (at.has("value_int")) found.add(Tensor.ofLongs(new int[0], at.i("value_int", 0)));
            long[] is = at.ints("value_ints");
            if (is != null) found.add(Tensor.ofLongs(new int[]{is.length}, is));
        }
        if (found.size() != 1) throw at.err("needs exactly one value attribute, got " + found.size());
        return found.get(0);
    }
}
