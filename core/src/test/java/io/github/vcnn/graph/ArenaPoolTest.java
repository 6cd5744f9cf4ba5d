package io.github.vcnn.graph;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The arena pool: bounded, and first come first served, so a caller that gives an arena back cannot take it again past a waiting one. */
class ArenaPoolTest {

    /** Repeated: a barging pool lets the returning caller win most rounds, but not necessarily every one. */
    @Test
    void aWaitingCallerIsServedBeforeOneThatArrivesLater() throws Exception {
        for (int round = 0; round < 20; round++) oneRound(round);
    }

    private static void oneRound(int round) throws Exception {
        ArenaPool<Object> pool = new ArenaPool<>(1, Object::new);
        List<String> order = new CopyOnWriteArrayList<>();
        Object mine = pool.take();
        Thread waiter = Thread.ofPlatform().start(() -> {
            Object a = pool.take();
            order.add("waiter");
            pool.give(a);
        });
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) Thread.onSpinWait();
        assertEquals(Thread.State.WAITING, waiter.getState(), "the second caller should be waiting for the only arena");
        // Give it back and ask again at once: a barging pool would hand it straight back to this thread.
        pool.give(mine);
        Object again = pool.take();
        order.add("returning caller");
        pool.give(again);
        waiter.join(10_000);
        assertEquals(List.of("waiter", "returning caller"), order, "round " + round);
        assertTrue(pool.created() <= 1, "at most one arena: " + pool.created());
    }
}
