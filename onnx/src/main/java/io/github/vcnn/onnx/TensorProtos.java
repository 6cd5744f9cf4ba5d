package io.github.vcnn.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.github.vcnn.graph.Tensor;
import io.github.vcnn.onnx.proto.OnnxProto.TensorProto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * ONNX {@code TensorProto}s (initializers, Constant values, the {@code input_K.pb}/{@code output_K.pb} files of the
 * backend tests) to and from {@link Tensor}: float32 ({@code raw_data} or {@code float_data}), int64 and int32
 * ({@code raw_data} or their typed fields), bool (as int64 0/1). Other element types and external data are rejected.
 */
public final class TensorProtos {
    private TensorProtos() {
    }

    /** ONNX element type names by TensorProto.DataType number, for messages. */
    static String typeName(int dataType) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
        return t == null ? "data type " + dataType : t.name();
    }

    /** Reads a serialized TensorProto file. */
    public static Tensor read(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such tensor file");
        TensorProto t;
        try {
            t = TensorProto.parseFrom(Files.readAllBytes(file));
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException(file + " is not a serialized ONNX TensorProto: " + e.getMessage(), e);
        } catch (AssertionError e) {   // protobuf's UTF-8 decoder under -ea (see OnnxImporter.read)
            throw new OnnxFormatException(file + " is not a serialized ONNX TensorProto (malformed UTF-8 string)", e);
        }
        try {
            return toTensor(t, "tensor '" + t.getName() + "' in " + file);
        } catch (OnnxImportException e) {
            throw new OnnxFormatException(e.getMessage(), e);
        }
    }

    /** The name stored in a TensorProto file (may be empty). */
    public static String readName(Path file) throws IOException {
        try {
            return TensorProto.parseFrom(Files.readAllBytes(file)).getName();
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException(file + " is not a serialized ONNX TensorProto: " + e.getMessage(), e);
        } catch (AssertionError e) {   // protobuf's UTF-8 decoder under -ea (see OnnxImporter.read)
            throw new OnnxFormatException(file + " is not a serialized ONNX TensorProto (malformed UTF-8 string)", e);
        }
    }

    /** Writes {@code data} of {@code shape} as a float32 TensorProto with raw data. */
    public static void write(Path file, String name, int[] shape, float[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        TensorProto.Builder b = TensorProto.newBuilder().setName(name == null ? "" : name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(buf.array()));
        for (int d : shape) b.addDims(d);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, b.build().toByteArray());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Converts one TensorProto; {@code what} names it in messages. OnnxImportException for unsupported types and
     * external data, and for values that do not match the shape.
     */
    static Tensor toTensor(TensorProto t, String what) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            String location = "";
            for (var e : t.getExternalDataList()) if (e.getKey().equals("location")) location = e.getValue();
            throw new OnnxImportException(what + " keeps its data in an external file" + (location.isEmpty() ? "" : " '" + location + "'")
                    + ": external data is not supported (save the model with all tensors inside the .onnx file, e.g. onnx.save(model, path,"
                    + " save_as_external_data=False))", "", "");
        }
        if (t.hasSegment()) throw new OnnxImportException(what + " is a segment of a larger tensor, which is not supported", "", "");
        int[] shape = new int[t.getDimsCount()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw new OnnxImportException(what + " has dimension " + d + " in " + t.getDimsList(), "", "");
            shape[i] = (int) d;
            n *= d;
            if (n > Integer.MAX_VALUE - 64) throw new OnnxImportException(what + " is too large for a Java array: " + t.getDimsList(), "", "");
        }
        if (n == 0) throw new OnnxImportException(what + " is empty (shape " + Arrays.toString(shape) + "); zero-size tensors are not supported", "", "");
        int count = (int) n;
        ByteString raw = t.getRawData();
        boolean hasRaw = !raw.isEmpty();
        switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                float[] v = new float[count];
                if (hasRaw) {
                    checkCount(what, raw.size(), (long) count * 4, "bytes of raw_data");
                    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                } else {
                    checkCount(what, t.getFloatDataCount(), count, "float_data values");
                    for (int i = 0; i < count; i++) v[i] = t.getFloatData(i);
                }
                return Tensor.wrap(shape, v);
            }
            case TensorProto.DataType.INT64_VALUE -> {
                long[] v = new long[count];
                if (hasRaw) {
                    checkCount(what, raw.size(), (long) count * 8, "bytes of raw_data");
                    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
                } else {
                    checkCount(what, t.getInt64DataCount(), count, "int64_data values");
                    for (int i = 0; i < count; i++) v[i] = t.getInt64Data(i);
                }
                return Tensor.wrapLongs(shape, v);
            }
            case TensorProto.DataType.INT32_VALUE -> {
                long[] v = new long[count];
                if (hasRaw) {
                    checkCount(what, raw.size(), (long) count * 4, "bytes of raw_data");
                    var ib = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
                    for (int i = 0; i < count; i++) v[i] = ib.get(i);
                } else {
                    checkCount(what, t.getInt32DataCount(), count, "int32_data values");
                    for (int i = 0; i < count; i++) v[i] = t.getInt32Data(i);
                }
                return Tensor.wrapLongs(shape, v);
            }
            case TensorProto.DataType.BOOL_VALUE -> {
                long[] v = new long[count];
                if (hasRaw) {
                    checkCount(what, raw.size(), count, "bytes of raw_data");
                    for (int i = 0; i < count; i++) v[i] = raw.byteAt(i) != 0 ? 1 : 0;
                } else {
                    checkCount(what, t.getInt32DataCount(), count, "int32_data values");
                    for (int i = 0; i < count; i++) v[i] = t.getInt32Data(i) != 0 ? 1 : 0;
                }
                return Tensor.wrapLongs(shape, v);
            }
            default -> throw new OnnxImportException(what + " has element type " + typeName(t.getDataType())
                    + ", which is not supported (float32 for data; int64, int32 or bool for shapes and flags)", "", "");
        }
    }

    private static void checkCount(String what, long have, long need, String unit) {
        if (have != need) throw new OnnxImportException(what + " has " + have + " " + unit + " but its shape needs " + need, "", "");
    }
}
