package io.github.vcnn.codegen;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The checked-in generated tiles are what the generator writes today (no hand edits, no stale copy). */
class GeneratedTilesTest {
    @Test
    void convTilesAreUpToDate() throws Exception {
        Path file = ConvTileGenerator.TARGET;
        String onDisk = Files.readString(file, StandardCharsets.UTF_8);
        assertEquals(ConvTileGenerator.source(), onDisk,
                file + " is stale or edited by hand: run java src/test/java/io/github/vcnn/codegen/ConvTileGenerator.java in core/");
    }
}
