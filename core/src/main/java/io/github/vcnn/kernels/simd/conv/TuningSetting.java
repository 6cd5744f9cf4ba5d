package io.github.vcnn.kernels.simd.conv;

import java.util.Locale;

/** The kernels' tuning switches ({@code -Dvcnn....}): a bad value warns once and means the default, never an error. */
public final class TuningSetting {
    private TuningSetting() {
    }

    /**
     * The system property {@code name}, trimmed and lower-cased, when it is one of {@code allowed}; else (a warning
     * naming the allowed values) {@code allowed[0]}, which is also its value when unset.
     */
    public static String choice(String name, String... allowed) {
        String v = System.getProperty(name, allowed[0]).trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) if (a.equals(v)) return v;
        System.getLogger("io.github.vcnn").log(System.Logger.Level.WARNING,
                "vcnn: -D" + name + "=" + v + " is not one of " + String.join(", ", allowed) + "; using " + allowed[0]);
        return allowed[0];
    }
}
