package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared reference checkpoints ({@code shared/reference}) for tests. */
final class ReferenceData {
    private ReferenceData() {
    }

    static Path dir() {
        String prop = System.getProperty("ringmoe.reference.dir");
        Path dir = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("../../shared/reference");
        if (!Files.isRegularFile(dir.resolve("README.md"))) {
            fail("reference data not found at " + dir.toAbsolutePath()
                    + "; set -Dringmoe.reference.dir to the shared/reference folder");
        }
        return dir;
    }

    static Path mixtralF32() {
        return dir().resolve("mixtral-tiny/f32");
    }

    static Path mixtralBf16() {
        return dir().resolve("mixtral-tiny/bf16");
    }

    static Path moeText16x() {
        return dir().resolve("moe-text-16x");
    }
}
