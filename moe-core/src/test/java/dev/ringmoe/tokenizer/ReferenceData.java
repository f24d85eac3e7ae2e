package dev.ringmoe.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates {@code shared/reference}: system property {@code ringmoe.reference.dir}, else {@code ../../shared/reference}. */
final class ReferenceData {
    private ReferenceData() {
    }

    static Path dir() {
        String prop = System.getProperty("ringmoe.reference.dir");
        Path p = prop != null && !prop.isBlank() ? Paths.get(prop) : Paths.get("..", "..", "shared", "reference");
        p = p.toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(p), "reference data not found at " + p
                + " (set -Dringmoe.reference.dir=/path/to/shared/reference)");
        return p;
    }
}
