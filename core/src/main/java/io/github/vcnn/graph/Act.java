package io.github.vcnn.graph;

import io.github.vcnn.kernels.Activation;
import io.github.vcnn.kernels.Epilogue;

/**
 * An elementwise activation of the graph: ReLU, LeakyReLU (any slope), sigmoid or clip. Unlike the kernels'
 * {@link Epilogue} it takes every value the ONNX operators allow (a LeakyRelu slope of 0 or below, infinite clip
 * bounds); {@link #epilogue()} says whether a kernel can fuse it.
 */
public record Act(Activation kind, float alpha, float min, float max) {
    public static final Act NONE = new Act(Activation.NONE, 0f, 0f, 0f);
    public static final Act RELU = new Act(Activation.RELU, 0f, 0f, 0f);
    public static final Act SIGMOID = new Act(Activation.SIGMOID, 0f, 0f, 0f);

    public Act {
        if (kind == null) throw new IllegalArgumentException("activation kind is null");
        if (kind == Activation.CLIP && (Float.isNaN(min) || Float.isNaN(max))) {
            throw new IllegalArgumentException("clip bounds must not be NaN, got min=" + min + " max=" + max);
        }
    }

    public static Act leakyRelu(float alpha) {
        return new Act(Activation.LEAKY_RELU, alpha, 0f, 0f);
    }

    public static Act clip(float min, float max) {
        return new Act(Activation.CLIP, 0f, min, max);
    }

    public boolean isNone() {
        return kind == Activation.NONE;
    }

    /** The kernel epilogue computing this activation, or null when no kernel can (LeakyRelu slope not finite and &gt; 0, or min &gt; max). */
    public Epilogue epilogue() {
        return switch (kind) {
            case NONE -> Epilogue.NONE;
            case RELU -> Epilogue.RELU;
            case SIGMOID -> Epilogue.SIGMOID;
            case LEAKY_RELU -> alpha > 0f && Float.isFinite(alpha) ? Epilogue.leakyRelu(alpha) : null;
            case CLIP -> min <= max ? Epilogue.clip(min, max) : null;
        };
    }

    /** The function on one value (ONNX semantics: clip with min &gt; max gives max, as min(max(x, lo), hi)). */
    public float apply(float x) {
        return switch (kind) {
            case NONE -> x;
            case RELU -> Math.max(x, 0f);
            case LEAKY_RELU -> x > 0f ? x : alpha * x;
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
            case CLIP -> Math.min(Math.max(x, min), max);
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky_relu(" + alpha + ")";
            case SIGMOID -> "sigmoid";
            case CLIP -> "clip(" + min + ", " + max + ")";
        };
    }
}
