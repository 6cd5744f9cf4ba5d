package io.github.vcnn.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Assigns arena offsets to buffers with known lifetimes so that buffers alive at the same time never overlap:
 * greedy by size (largest first, each at the lowest offset that fits between the already placed buffers whose
 * lifetimes intersect its own). Offsets are multiples of {@link #ALIGN} floats (64 bytes).
 */
final class BufferPlanner {
    static final int ALIGN = 16;

    private BufferPlanner() {
    }

    /**
     * @param size  floats per buffer
     * @param first the first step (node index) at which each buffer is written
     * @param last  the last step at which it is read (inclusive)
     * @return the offsets, and in the last element the arena size
     */
    static int[] plan(int[] size, int[] first, int[] last) {
        int n = size.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -size[i]).thenComparingInt(i -> first[i]));
        int[] off = new int[n + 1];
        List<Integer> placed = new ArrayList<>();
        long arena = 0;
        for (int idx : order) {
            List<int[]> busy = new ArrayList<>();
            for (int p : placed) {
                if (first[p] <= last[idx] && first[idx] <= last[p]) busy.add(new int[]{off[p], off[p] + size[p]});
            }
            busy.sort(Comparator.comparingInt(a -> a[0]));
            long at = 0;
            for (int[] b : busy) {
                if (at + size[idx] <= b[0]) break;
                at = Math.max(at, align(b[1]));
            }
            if (at + size[idx] > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("intermediate tensors exceed a Java array (" + (at + size[idx]) + " floats)");
            off[idx] = (int) at;
            arena = Math.max(arena, at + size[idx]);
            placed.add(idx);
        }
        off[n] = (int) align(arena);
        return off;
    }

    private static long align(long x) {
        return (x + ALIGN - 1) / ALIGN * ALIGN;
    }
}
