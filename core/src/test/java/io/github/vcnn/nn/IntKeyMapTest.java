package io.github.vcnn.nn;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Sequential's plan cache: the same answers as a HashMap, through growth and clearing. */
class IntKeyMapTest {
    @Test
    void behavesLikeAHashMap() {
        IntKeyMap<String> m = new IntKeyMap<>();
        Map<Integer, String> ref = new HashMap<>();
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 5000; i++) {
            int k = r.nextInt(3) == 0 ? r.nextInt() : r.nextInt(300) - 20;
            String v = "v" + i;
            m.put(k, v);
            ref.put(k, v);
        }
        assertEquals(ref.size(), m.size());
        for (Map.Entry<Integer, String> e : ref.entrySet()) assertEquals(e.getValue(), m.get(e.getKey()));
        assertNull(m.get(Integer.MIN_VALUE + 7));
        m.clear();
        assertEquals(0, m.size());
        assertNull(m.get(64));
        m.put(64, "again");
        assertEquals("again", m.get(64));
    }
}
