package io.github.vcnn.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sizes of the parameter records are computed in long: large but valid shapes give exact sizes, overflow is refused. */
class ParamsSizeTest {

    @Test
    void paddedExtentsBeyondIntStillGiveTheExactOutputSize() {
        // H + padTop + padBottom = 3 * 2^30 overflows an int; the output is 4 x 4
        int big = 1 << 30;
        ConvParams p = new ConvParams(1, 1, big, 1, 1, 1, 1, big, 1, big, 0, big, 0, 1, 1, 1);
        assertEquals(3, p.outH());
        assertEquals(1, p.outW());
        assertEquals(3, p.outputSize());
        assertEquals(big, p.inputSize());
        PoolParams q = new PoolParams(1, 1, big, 1, 2, 1, big, 1, 1, 0, 1, 0, false, false);
        assertEquals(((long) big + 2 - 2) / big + 1, q.outH());
        assertEquals(q.outH() * q.outW(), q.outputSize());
    }

    @Test
    void elementCountsAndProductsNeverOverflow() {
        assertEquals(Long.MAX_VALUE, Checks.product(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals(0, Checks.product(Integer.MAX_VALUE, 0, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals(24, Checks.elementCount("t", new int[]{2, 3, 4}));
        assertEquals(1, Checks.elementCount("scalar", new int[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checks.elementCount("t", new int[]{1 << 20, 1 << 20, 1 << 20, 1 << 20}));
        assertTrue(e.getMessage().startsWith("t of ") && e.getMessage().contains("too large for a Java array"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Checks.elementCount("t", new int[]{2, -1}));
        assertTrue(e.getMessage().contains("negative dimension"), e.getMessage());
    }
}
