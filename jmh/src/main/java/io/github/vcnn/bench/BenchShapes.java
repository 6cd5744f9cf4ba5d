package io.github.vcnn.bench;

import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.PoolParams;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The convolution shapes of ../shared/anchors.md by name, so every benchmark measures the shapes
 * the oneDNN/PyTorch anchors were measured on, plus seeded random data for their operands.
 * Use the names as JMH {@code @Param} values, or any other conv shape written out ({@link #conv(String)}),
 * as {@code bench/peers/run-all} does with the shapes of {@code bench/peers/shapes.txt}.
 */
public final class BenchShapes {
    private BenchShapes() {
    }

    /** Every conv shape name of anchors.md, in its table order. */
    public static final List<String> CONV_NAMES = List.of(
            "lenet_c1", "lenet_c2", "r18_conv1", "r18_l1", "r18_l1_n8", "r18_l2", "r18_l3", "r18_l4", "r18_ds", "vgg_b");

    /**
     * The conv shape with that name (N,C,H,W -> K, RxS, stride, symmetric pad; no dilation, one group), or any
     * shape written out as {@code N,C,H,W,K,R,S,stride,pad[,groups]} (symmetric padding, no dilation).
     * JMH's command line splits {@code -p} values at commas, so there write the numbers with colons
     * ({@code -p shape=64:32:14:14:64:5:5:1:2}); {@code ./vcnn bench} turns a comma list of 9 or 10 numbers into that.
     *
     * @throws IllegalArgumentException for an unknown name or a malformed or impossible shape, naming the expected form
     */
    public static ConvParams conv(String name) {
        if (name == null) throw new IllegalArgumentException("conv shape is null: one of " + CONV_NAMES + " or " + SPEC_FORM);
        String trimmed = name.trim();
        if (!trimmed.isEmpty() && (Character.isDigit(trimmed.charAt(0)) || trimmed.charAt(0) == '-')) return convSpec(trimmed);
        return switch (trimmed.toLowerCase(Locale.ROOT)) {
            case "lenet_c1" -> ConvParams.of(64, 1, 28, 28, 32, 5, 5, 1, 2);
            case "lenet_c2" -> ConvParams.of(64, 32, 14, 14, 64, 5, 5, 1, 2);
            case "r18_conv1" -> ConvParams.of(1, 3, 224, 224, 64, 7, 7, 2, 3);
            case "r18_l1" -> ConvParams.of(1, 64, 56, 56, 64, 3, 3, 1, 1);
            case "r18_l1_n8" -> ConvParams.of(8, 64, 56, 56, 64, 3, 3, 1, 1);
            case "r18_l2" -> ConvParams.of(1, 128, 28, 28, 128, 3, 3, 1, 1);
            case "r18_l3" -> ConvParams.of(1, 256, 14, 14, 256, 3, 3, 1, 1);
            case "r18_l4" -> ConvParams.of(1, 512, 7, 7, 512, 3, 3, 1, 1);
            case "r18_ds" -> ConvParams.of(1, 64, 56, 56, 128, 1, 1, 2, 0);
            case "vgg_b" -> ConvParams.of(1, 64, 112, 112, 128, 3, 3, 1, 1);
            default -> throw new IllegalArgumentException("unknown conv shape '" + name + "': one of " + CONV_NAMES
                    + " or " + SPEC_FORM);
        };
    }

    /** How a shape that is not a name is written (the message of every rejected spec). */
    static final String SPEC_FORM = "N,C,H,W,K,R,S,stride,pad[,groups] (or the same with ':' between the numbers,"
            + " as JMH's -p needs), e.g. 64,32,14,14,64,5,5,1,2";

    private static final String[] SPEC_FIELDS = {"N", "C", "H", "W", "K", "R", "S", "stride", "pad", "groups"};

    private static ConvParams convSpec(String spec) {
        String[] parts = spec.split(spec.indexOf(':') >= 0 ? ":" : ",", -1);
        if (parts.length != 9 && parts.length != 10) {
            String hint = parts.length == 1 ? " (JMH's -p splits its value at commas: write the numbers with ':')" : "";
            throw new IllegalArgumentException("conv shape '" + spec + "' has " + parts.length + " numbers, expected 9 or 10"
                    + hint + ": " + SPEC_FORM);
        }
        int[] v = new int[10];
        v[9] = 1;
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("conv shape '" + spec + "': " + SPEC_FIELDS[i] + " = '" + parts[i]
                        + "' is not an integer; expected " + SPEC_FORM, e);
            }
            boolean ok = i == 8 ? v[i] >= 0 : v[i] > 0;
            if (!ok) {
                throw new IllegalArgumentException("conv shape '" + spec + "': " + SPEC_FIELDS[i] + " = " + v[i]
                        + (i == 8 ? " must be >= 0" : " must be > 0") + "; expected " + SPEC_FORM);
            }
        }
        try {
            return new ConvParams(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[7], v[8], v[8], v[8], v[8], 1, 1, v[9]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("conv shape '" + spec + "': " + e.getMessage(), e);
        }
    }

    /** Pooling shapes of anchors.md (1x64x112x112): "max2x2s2" and "avg3x3s2p1" (count_include_pad=false). */
    public static PoolParams pool(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "max2x2s2" -> PoolParams.of(1, 64, 112, 112, 2, 2, 0);
            case "avg3x3s2p1" -> PoolParams.of(1, 64, 112, 112, 3, 2, 1);
            default -> throw new IllegalArgumentException("unknown pool shape '" + name + "': max2x2s2 or avg3x3s2p1");
        };
    }

    /** A new array of {@code len} values uniform in [-1, 1), reproducible from {@code seed}. */
    public static float[] random(int len, long seed) {
        float[] a = new float[len];
        fill(a, seed);
        return a;
    }

    /** Fills {@code a} with values uniform in [-1, 1), reproducible from {@code seed}. */
    public static void fill(float[] a, long seed) {
        fill(a, seed, -1f, 1f);
    }

    /** Fills {@code a} with values uniform in [lo, hi), reproducible from {@code seed}. */
    public static void fill(float[] a, long seed, float lo, float hi) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float range = hi - lo;
        for (int i = 0; i < a.length; i++) a[i] = lo + range * (float) rnd.nextDouble();
    }

    /** GFLOP/s of a conv forward taking {@code nanosPerCall} (nominal FLOPs, anchors.md convention). */
    public static double gflops(ConvParams p, double nanosPerCall) {
        return p.flops() / nanosPerCall;
    }
}
