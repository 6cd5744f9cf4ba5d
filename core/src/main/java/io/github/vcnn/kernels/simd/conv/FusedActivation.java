package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.simd.SimdKernels;

/**
 * The fused activation of this package's kernels: the {@code simd} variant's activation kernel run in place
 * (same code, same semantics as the scalar {@link Epilogue#apply}, NaN included), so nothing is copied here.
 */
public final class FusedActivation {
    private FusedActivation() {
    }

    /** {@code a[off, off+len) = act(a[off, off+len))}; nothing to do for {@link Epilogue#isIdentity()}. */
    public static void applyInPlace(Epilogue act, float[] a, int off, int len) {
        if (act.isIdentity()) return;
        Holder.ACT.fwd(act, a, off, a, off, len);
    }

    /** Looked up on first use, so that loading this class never runs the simd provider's initialisation. */
    private static final class Holder {
        static final ActivationKernels ACT = SimdKernels.INSTANCE.activation();
    }
}
