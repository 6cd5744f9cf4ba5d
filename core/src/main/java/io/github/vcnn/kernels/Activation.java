package io.github.vcnn.kernels;

/** The elementwise functions a kernel can fuse into its epilogue (spec section 3, plus clip). */
public enum Activation {
    /** identity */
    NONE,
    /** max(0, x) */
    RELU,
    /** x if x &gt; 0 else alpha * x */
    LEAKY_RELU,
    /** 1 / (1 + e^-x) */
    SIGMOID,
    /** min(max(x, min), max) */
    CLIP
}
