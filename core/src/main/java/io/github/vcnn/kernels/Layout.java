package io.github.vcnn.kernels;

/**
 * The memory order of a 4-D activation {@code [N][C][H][W]}.
 *
 * <ul>
 * <li>{@link #NCHW}: row-major, what frameworks hand over and every kernel entry point takes.</li>
 * <li>{@link #BLOCKED}: channel-blocked {@code nChw{L}c}, {@code [N][C/L][H][W][L]} with {@code L =}
 *     {@link ConvKernels#blockLanes()}: the L channels of one pixel are adjacent, one vector of the simd kernels, so a
 *     convolution reads and writes them without transposing. C must be a multiple of L (no padding lanes: the tensor
 *     has as many floats as in NCHW). Conversions: {@link BlockedLayouts}.</li>
 * </ul>
 */
public enum Layout {
    NCHW,
    BLOCKED;

    /** The oneDNN-style tag of this layout for L lanes: {@code nchw} or {@code nChw16c}. */
    public String tag(int lanes) {
        return this == NCHW ? "nchw" : "nChw" + lanes + "c";
    }
}
