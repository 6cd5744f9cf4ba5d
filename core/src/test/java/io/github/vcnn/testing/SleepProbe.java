package io.github.vcnn.testing;

/** A child JVM that never finishes on its own: proves {@link ForkedJvm}'s timeout fires. */
public final class SleepProbe {
    private SleepProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("sleeping");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
