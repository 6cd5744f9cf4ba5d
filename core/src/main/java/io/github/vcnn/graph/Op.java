package io.github.vcnn.graph;

import java.util.Arrays;

/**
 * The operators of the graph IR, with ONNX semantics over logical row-major (NCHW) tensors. Inputs are referred to
 * by position in {@link Node#inputs()}; an omitted optional input is the empty string. Spatial operators take rank-3
 * ({@code [N, C, W]}) or rank-4 ({@code [N, C, H, W]}) inputs; their window parameters are always stored for two
 * spatial dimensions (height first), a rank-3 input using height 1.
 *
 * <p>The IR says nothing about memory layout: that is decided when a graph is lowered to kernel calls
 * ({@code Lowering}), the only place that knows the kernels' layouts.
 */
public sealed interface Op {

    /** The ONNX operator name, for messages. */
    String type();

    /** How padding is chosen (ONNX {@code auto_pad}). */
    enum AutoPad { NOTSET, SAME_UPPER, SAME_LOWER, VALID }

    /**
     * Convolution, inputs {@code [x, w, b?]}, {@code w [K][C/groups][kh][kw]}; {@code pads = {top, left, bottom, right}}
     * (used with {@link AutoPad#NOTSET}); {@code act} is applied after the bias (set by fusion). With {@code residual}
     * (set by {@link Passes#fuseResidualAdds}) a fourth input {@code r} of the output's shape is added before the
     * activation: {@code y = act(conv(x, w) + b + r)}, a residual Add (+ Relu) in the conv's epilogue.
     */
    record Conv(int[] kernel, int[] strides, int[] pads, int[] dilations, int groups, AutoPad autoPad, Act act, boolean residual) implements Op {
        /** A plain convolution (no residual input). */
        public Conv(int[] kernel, int[] strides, int[] pads, int[] dilations, int groups, AutoPad autoPad, Act act) {
            this(kernel, strides, pads, dilations, groups, autoPad, act, false);
        }

        public Conv withAct(Act a) {
            return new Conv(kernel, strides, pads, dilations, groups, autoPad, a, residual);
        }

        /** This convolution with the residual input (its fourth) added before {@code a}. */
        public Conv withResidual(Act a) {
            return new Conv(kernel, strides, pads, dilations, groups, autoPad, a, true);
        }

        @Override
        public String type() {
            return "Conv";
        }

        @Override
        public String toString() {
            return "Conv(kernel " + Arrays.toString(kernel) + ", strides " + Arrays.toString(strides) + ", pads " + Arrays.toString(pads)
                    + ", dilations " + Arrays.toString(dilations) + ", groups " + groups + ", auto_pad " + autoPad
                    + (residual ? ", + residual" : "") + (act.isNone() ? "" : ", " + act) + ")";
        }
    }

    /** Max or average pooling over windows, input {@code [x]}. */
    record Pool(boolean max, int[] kernel, int[] strides, int[] pads, int[] dilations, boolean ceilMode, boolean countIncludePad,
                AutoPad autoPad) implements Op {
        @Override
        public String type() {
            return max ? "MaxPool" : "AveragePool";
        }

        @Override
        public String toString() {
            return type() + "(kernel " + Arrays.toString(kernel) + ", strides " + Arrays.toString(strides) + ", pads " + Arrays.toString(pads)
                    + ", dilations " + Arrays.toString(dilations) + (ceilMode ? ", ceil" : "") + (countIncludePad ? ", count_include_pad" : "")
                    + ", auto_pad " + autoPad + ")";
        }
    }

    /** Mean or max over all spatial positions: {@code [N, C, ...] -> [N, C, 1, ...]}. */
    record GlobalPool(boolean max) implements Op {
        @Override
        public String type() {
            return max ? "GlobalMaxPool" : "GlobalAveragePool";
        }
    }

    /** {@code y = act(alpha * op(A) op(B) + beta * C)}, inputs {@code [A, B, C?]}, C broadcast to {@code [M, N]}. */
    record Gemm(float alpha, float beta, boolean transA, boolean transB, Act act) implements Op {
        public Gemm withAct(Act a) {
            return new Gemm(alpha, beta, transA, transB, a);
        }

        @Override
        public String type() {
            return "Gemm";
        }
    }

    /** numpy matmul: inputs {@code [A, B]}, batch dimensions broadcast, rank-1 operands promoted. */
    record MatMul() implements Op {
        @Override
        public String type() {
            return "MatMul";
        }
    }

    /** Elementwise {@code act(a + b)} or {@code act(a * b)} with numpy (multidirectional) broadcasting. */
    record Binary(boolean add, Act act) implements Op {
        public Binary withAct(Act a) {
            return new Binary(add, a);
        }

        @Override
        public String type() {
            return add ? "Add" : "Mul";
        }
    }

    /** An elementwise activation with constant parameters (Relu, LeakyRelu, Sigmoid, Clip with constant bounds). */
    record Unary(Act act, String onnxType) implements Op {
        @Override
        public String type() {
            return onnxType;
        }
    }

    /** Clip whose bounds are inputs: {@code [x, min?, max?]} (scalars; omitted means unbounded). */
    record Clip() implements Op {
        @Override
        public String type() {
            return "Clip";
        }
    }

    /** {@code [d0..dn] -> [d0*..*d(axis-1), d(axis)*..*dn]}; {@code axis} normalised to {@code [0, rank]}. */
    record Flatten(int axis) implements Op {
        @Override
        public String type() {
            return "Flatten";
        }
    }

    /** Inputs {@code [data, shape]}; the shape must be a constant int64 tensor ({@code 0} copies, {@code -1} infers). */
    record Reshape(boolean allowZero) implements Op {
        @Override
        public String type() {
            return "Reshape";
        }
    }

    /** Permutes the dimensions; {@code perm} null means reversed. */
    record Transpose(int[] perm) implements Op {
        @Override
        public String type() {
            return "Transpose";
        }

        @Override
        public String toString() {
            return "Transpose(" + Arrays.toString(perm) + ")";
        }
    }

    /**
     * Softmax or log-softmax. {@code coerce2d} (opset &lt; 13): the input is seen as a matrix
     * {@code [d0*..*d(axis-1), d(axis)*..*dn]} and each row normalised; otherwise along the one {@code axis}.
     */
    record Softmax(int axis, boolean log, boolean coerce2d) implements Op {
        @Override
        public String type() {
            return log ? "LogSoftmax" : "Softmax";
        }
    }

    /** Inference batch normalisation, inputs {@code [x, scale, bias, mean, var]} per channel (dimension 1). */
    record BatchNorm(float epsilon) implements Op {
        @Override
        public String type() {
            return "BatchNormalization";
        }
    }

    /** Concatenation along {@code axis} (may be negative until shape inference). */
    record Concat(int axis) implements Op {
        @Override
        public String type() {
            return "Concat";
        }
    }

    /** The input unchanged (also inference Dropout). */
    record Identity(String onnxType) implements Op {
        @Override
        public String type() {
            return onnxType;
        }
    }
}
