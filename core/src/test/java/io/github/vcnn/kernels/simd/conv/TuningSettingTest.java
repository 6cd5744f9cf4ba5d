package io.github.vcnn.kernels.simd.conv;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A tuning switch: unset means the default, a listed value (any case, spaces trimmed) itself, anything else the default. */
class TuningSettingTest {
    private static final String NAME = "vcnn.test.tuningSetting";

    @Test
    void listedValuesAreTakenAndOthersFallBackToTheDefault() {
        try {
            System.clearProperty(NAME);
            assertEquals("auto", TuningSetting.choice(NAME, "auto", "tiles", "channels"), "unset");
            System.setProperty(NAME, " Channels ");
            assertEquals("channels", TuningSetting.choice(NAME, "auto", "tiles", "channels"));
            System.setProperty(NAME, "tiles");
            assertEquals("tiles", TuningSetting.choice(NAME, "auto", "tiles", "channels"));
            System.setProperty(NAME, "both");
            assertEquals("auto", TuningSetting.choice(NAME, "auto", "tiles", "channels"), "a bad value warns and means the default");
        } finally {
            System.clearProperty(NAME);
        }
    }
}
