package io.github.vcnn.kernels;

/**
 * What a kernel applies to each output value after the bias: {@code y = act(z)}.
 * One immutable value per layer; kernels read its fields and never allocate.
 *
 * <p>The backward pass is expressed through the <em>output</em> {@code y} so that a layer does
 * not have to keep the pre-activation {@code z}: ReLU and LeakyReLU (alpha &gt; 0) are sign-preserving,
 * sigmoid' = y(1-y), and clip passes the gradient where {@code min < y < max}.
 *
 * @param kind  the function
 * @param alpha negative slope of LEAKY_RELU (ignored otherwise)
 * @param min   lower bound of CLIP (ignored otherwise)
 * @param max   upper bound of CLIP (ignored otherwise)
 */
public record Epilogue(Activation kind, float alpha, float min, float max) {

    public static final Epilogue NONE = new Epilogue(Activation.NONE, 0f, 0f, 0f);
    public static final Epilogue RELU = new Epilogue(Activation.RELU, 0f, 0f, 0f);
    public static final Epilogue SIGMOID = new Epilogue(Activation.SIGMOID, 0f, 0f, 0f);

    public Epilogue {
        if (kind == null) throw new IllegalArgumentException("Epilogue.kind is null");
        if (kind == Activation.LEAKY_RELU && !(alpha > 0f && Float.isFinite(alpha))) {
            // alpha <= 0 would break the sign test used by the backward pass.
            throw new IllegalArgumentException("LeakyReLU alpha must be finite and > 0, got " + alpha);
        }
        if (kind == Activation.CLIP && (Float.isNaN(min) || Float.isNaN(max) || min > max)) {
            throw new IllegalArgumentException("clip needs min <= max and no NaN, got min=" + min + " max=" + max);
        }
    }

    public static Epilogue leakyRelu(float alpha) {
        return new Epilogue(Activation.LEAKY_RELU, alpha, 0f, 0f);
    }

    public static Epilogue clip(float min, float max) {
        return new Epilogue(Activation.CLIP, 0f, min, max);
    }

    /** The forward function on one value (the scalar reference). */
    public float apply(float z) {
        return switch (kind) {
            case NONE -> z;
            case RELU -> Math.max(z, 0f); // NaN stays NaN, as in PyTorch and the vector kernels
            case LEAKY_RELU -> z > 0f ? z : alpha * z;
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-z)));
            case CLIP -> Math.min(Math.max(z, min), max);
        };
    }

    /** dL/dz given the output y = apply(z) and dL/dy (the scalar reference). */
    public float backward(float y, float dy) {
        return switch (kind) {
            case NONE -> dy;
            case RELU -> y > 0f ? dy : 0f;
            case LEAKY_RELU -> y > 0f ? dy : alpha * dy;
            case SIGMOID -> dy * y * (1f - y);
            case CLIP -> (y > min && y < max) ? dy : 0f;
        };
    }

    public boolean isIdentity() {
        return kind == Activation.NONE;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky_relu(" + alpha + ")";
            case SIGMOID -> "sigmoid";
            case CLIP -> "clip(" + min + "," + max + ")";
        };
    }
}
