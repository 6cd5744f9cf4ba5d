package org.example.forge;

import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PackAccess;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.kernels.PackedDenseWeights;
import io.github.vcnn.outside.PackForger;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user of the library (this package is outside {@code io.github.vcnn}) cannot forge packed weights nor reach their
 * arrays: the key is refused to it, a null key is refused by the constructors and accessors, and no public member of
 * the packs hands out an array without the key. What the kernels pack still works from here.
 */
class ForgedPackTest {
    private static final ConvParams CONV = ConvParams.of(1, 2, 5, 5, 3, 3, 3, 1, 1);
    private static final DenseParams DENSE = new DenseParams(2, 4, 3);

    @Test
    void theKeyIsRefusedOutsideTheKernels() {
        SecurityException e = assertThrows(SecurityException.class, () -> PackAccess.grant());
        assertTrue(e.getMessage().contains(ForgedPackTest.class.getName()) && e.getMessage().contains("ConvKernels.pack"), e.getMessage());
        // a package under io.github.vcnn that is not one of the kernels' is refused too
        e = assertThrows(SecurityException.class, () -> PackForger.tryGrant());
        assertTrue(e.getMessage().contains(PackForger.class.getName()), e.getMessage());
    }

    @Test
    void reflectionDoesNotLaunderTheCaller() throws Exception {
        Method grant = PackAccess.class.getMethod("grant");
        InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> grant.invoke(null));
        assertInstanceOf(SecurityException.class, e.getCause());
    }

    @Test
    void constructorsAndAccessorsRefuseANullKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PackedConvWeights(null, "scalar", CONV, new float[CONV.weightSize()], 1));
        assertTrue(e.getMessage().startsWith("access "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PackedDenseWeights(null, "scalar", DENSE, "[out][in]", 1, new float[12]));
        assertTrue(e.getMessage().startsWith("access "), e.getMessage());
        for (KernelProvider k : Kernels.available()) {
            PackedConvWeights c = k.conv().pack(CONV, new float[CONV.weightSize()], 0);
            PackedDenseWeights d = k.dense().pack(DENSE, new float[12], 0);
            e = assertThrows(IllegalArgumentException.class, () -> c.data(null));
            assertTrue(e.getMessage().startsWith("access "), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> d.data(null));
            assertTrue(e.getMessage().startsWith("access "), e.getMessage());
        }
    }

    /** Every public way to an array or to a new pack asks for the key. */
    @Test
    void noPublicMemberHandsOutAnArrayOrBuildsAPackWithoutTheKey() {
        for (Class<?> c : new Class<?>[]{PackedConvWeights.class, PackedDenseWeights.class}) {
            assertTrue(Modifier.isFinal(c.getModifiers()), c + " must be final");
            for (Constructor<?> ctor : c.getConstructors()) {
                assertEquals(PackAccess.class, ctor.getParameterTypes()[0], ctor.toString());
            }
            for (Method m : c.getMethods()) {
                if (m.getReturnType().isArray() || m.getReturnType() == c) {
                    assertTrue(Arrays.asList(m.getParameterTypes()).contains(PackAccess.class), m + " needs the key");
                }
            }
        }
        assertEquals(0, PackAccess.class.getConstructors().length, "PackAccess has no public constructor");
    }

    /** The library's own use, from a user's package: pack, repack and run in every variant. */
    @Test
    void packingThroughTheKernelsStillWorks() {
        float[] w = new float[CONV.weightSize()];
        Arrays.fill(w, 0.5f);
        float[] x = new float[CONV.inputSize()];
        Arrays.fill(x, 1f);
        for (KernelProvider k : Kernels.available()) {
            PackedConvWeights packed = k.conv().pack(CONV, new float[w.length], 0);
            k.conv().repack(CONV, w, 0, packed);
            float[] y = new float[CONV.outputSize()];
            k.conv().fwd(CONV, x, 0, packed, null, 0, Epilogue.NONE, y, 0);
            assertEquals(2 * 9 * 0.5f, y[CONV.outW() + 1], 1e-5f, k.name()); // an interior pixel sees all 2x3x3 taps
            assertTrue(packed.size() >= CONV.weightSize(), k.name());
        }
    }
}
