package io.github.vcnn.nn;

import java.util.Arrays;

/**
 * A map from {@code int} keys to values without boxing, so a lookup allocates nothing (Sequential's per-batch-size plans
 * are looked up on every forward and training step, which the allocation tests require to be allocation-free). Open
 * addressing with linear probing; not thread-safe.
 */
final class IntKeyMap<V> {
    private int[] keys = new int[8];
    private Object[] values = new Object[8];
    private boolean[] used = new boolean[8];
    private int size;

    /** The value of {@code key}, null when absent. */
    @SuppressWarnings("unchecked")
    V get(int key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); used[i]; i = (i + 1) & mask) {
            if (keys[i] == key) return (V) values[i];
        }
        return null;
    }

    /** Sets the value of {@code key} (non-null). */
    void put(int key, V value) {
        if (value == null) throw new IllegalArgumentException("value is null");
        if (2 * (size + 1) > keys.length) grow();
        int mask = keys.length - 1;
        int i = slot(key, mask);
        while (used[i]) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = key;
        values[i] = value;
        size++;
    }

    int size() {
        return size;
    }

    void clear() {
        Arrays.fill(used, false);
        Arrays.fill(values, null);
        size = 0;
    }

    private void grow() {
        int[] k = keys;
        Object[] v = values;
        boolean[] u = used;
        keys = new int[2 * k.length];
        values = new Object[2 * k.length];
        used = new boolean[2 * k.length];
        size = 0;
        for (int i = 0; i < k.length; i++) {
            if (u[i]) {
                @SuppressWarnings("unchecked")
                V value = (V) v[i];
                put(k[i], value);
            }
        }
    }

    private static int slot(int key, int mask) {
        return (key * 0x9E3779B9) >>> 16 & mask;
    }
}
