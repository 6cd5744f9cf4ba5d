package io.github.vcnn.kernels.simd.conv;

import jdk.incubator.vector.FloatVector;

/**
 * The register-tile choices of the SIMD convolution kernels, made once: how many vector registers the ISA has, and the
 * {@code -Dvcnn.conv.tile} override, read here for every kernel that honours it (the direct forward, its 1x1 pointwise
 * form and the weight gradient over channels).
 */
public final class RegisterTiles {
    /** 32 vector registers (AVX-512, NEON) rather than 16 (AVX2, SSE), told by the lane count and the architecture. */
    public static final boolean WIDE_REGISTER_FILE =
            FloatVector.SPECIES_PREFERRED.length() >= 16 || System.getProperty("os.arch", "").contains("aarch64");
    /** {@code -Dvcnn.conv.tile=5x2|6x2|14x2} as the tile's pixel count; 0 when unset or not one of those (then warned once). */
    public static final int FORCED_CONV_TILE = forcedConvTile();
    /**
     * Pixels of the direct convolution's 2-vector tile: 14 on 32 registers (28 accumulators), 5 on 16 (10: with 12, C2
     * keeps three broadcast temporaries live and spills an accumulator every step on AVX2), unless forced.
     */
    public static final int CONV_PAIR_TILE = FORCED_CONV_TILE != 0 ? FORCED_CONV_TILE : WIDE_REGISTER_FILE ? 14 : 5;

    /** The narrower tile of 32-register ISAs: 8 items (16 accumulators with two vectors). */
    public static final int NARROW_TILE = 8;

    private RegisterTiles() {
    }

    /**
     * Items per tile for {@code k} items on 32 registers: {@link #NARROW_TILE} where it computes fewer than {@code tile}
     * (K = 16: 16 against 28; 32: 32 against 42), else {@code tile}. Both tiles are bound by their FMAs, so the time goes
     * with the items computed.
     */
    public static int fewestComputed(int k, int tile) {
        return roundUp(k, NARROW_TILE) < roundUp(k, tile) ? NARROW_TILE : tile;
    }

    /** {@code v} rounded up to a multiple of {@code m} (the conv kernels' tiles and blocks). */
    public static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    private static int forcedConvTile() {
        String forced = System.getProperty("vcnn.conv.tile", "").trim();
        switch (forced) {
            case "5x2":
                return 5;
            case "6x2":
                return 6;
            case "14x2":
                return 14;
            case "":
                return 0;
            default:
                System.getLogger("io.github.vcnn").log(System.Logger.Level.WARNING,
                        "vcnn: ignoring -Dvcnn.conv.tile=" + forced + " (use 5x2, 6x2 or 14x2)");
                return 0;
        }
    }
}
