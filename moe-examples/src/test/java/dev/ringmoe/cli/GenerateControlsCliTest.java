package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.MoeModel;
import dev.ringmoe.generate.GenerationOptions;
import dev.ringmoe.generate.GenerationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code generate}'s stop, penalty and min-p options on moe-text-16x, the trained reference model:
 * the command prints what the library generates with the same options.
 */
class GenerateControlsCliTest {
  private static final String PROMPT = "The Python interpreter";

  private static Path model() {
    Path dir = Path.of(System.getProperty("ringmoe.reference.dir", "../../shared/reference"));
    Path model = dir.resolve("moe-text-16x");
    assertTrue(Files.isDirectory(model), "reference model not found at " + model.toAbsolutePath());
    return model;
  }

  private static GenerationResult library(GenerationOptions options) throws Exception {
    try (MoeModel m = MoeModel.builder().checkpoint(model()).build()) {
      return m.generate(PROMPT, options);
    }
  }

  private static CliRun generate(String... extra) {
    String[] argv = new String[6 + extra.length];
    System.arraycopy(
        new String[] {
          "generate", "--model", model().toString(), "--prompt", PROMPT, "--max-new-tokens"
        },
        0,
        argv,
        0,
        6);
    System.arraycopy(extra, 0, argv, 6, extra.length);
    CliRun r = CliRun.run(argv);
    assertEquals(0, r.status(), r.err());
    return r;
  }

  @Test
  void stopEndsTheOutputBeforeTheStopText() throws Exception {
    CliRun plain = generate("40");
    CliRun stopped = generate("40", "--stop", "interpreter.");
    GenerationResult expected =
        library(GenerationOptions.builder().maxNewTokens(40).stop("interpreter.").build());
    assertEquals(GenerationResult.StopReason.STOP_SEQUENCE, expected.stopReason());
    assertEquals(PROMPT + expected.text() + System.lineSeparator(), stopped.out());
    assertTrue(plain.out().startsWith(PROMPT + expected.text() + "interpreter."), plain.out());
    assertTrue(stopped.err().contains("(STOP_SEQUENCE)"), stopped.err());
  }

  @Test
  void stopIsRepeatableAndTheEarliestMatchWins() throws Exception {
    CliRun stopped = generate("40", "--stop", "never appears", "--stop", "interpreter.");
    GenerationResult expected =
        library(
            GenerationOptions.builder()
                .maxNewTokens(40)
                .stop("never appears", "interpreter.")
                .build());
    assertEquals(GenerationResult.StopReason.STOP_SEQUENCE, expected.stopReason());
    assertEquals(PROMPT + expected.text() + System.lineSeparator(), stopped.out());
  }

  @Test
  void aSingleValuedOptionGivenTwiceIsRefused() {
    CliRun r =
        CliRun.run("generate", "--model", "m", "--prompt", "x", "--min-p", "0.1", "--min-p", "0.2");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("--min-p is given more than once"), r.err());
  }

  @Test
  void penaltiesAndMinPReachTheSampler() throws Exception {
    CliRun plain = generate("24");
    CliRun penalised =
        generate(
            "24",
            "--repetition-penalty",
            "1.5",
            "--presence-penalty",
            "0.5",
            "--frequency-penalty",
            "1");
    GenerationResult expected =
        library(
            GenerationOptions.builder()
                .maxNewTokens(24)
                .repetitionPenalty(1.5)
                .presencePenalty(0.5)
                .frequencyPenalty(1)
                .build());
    assertEquals(PROMPT + expected.text() + System.lineSeparator(), penalised.out());
    assertNotEquals(plain.out(), penalised.out());
    CliRun minP = generate("24", "--temperature", "1.5", "--min-p", "0.3", "--seed", "4");
    GenerationResult sampled =
        library(
            GenerationOptions.builder()
                .maxNewTokens(24)
                .temperature(1.5)
                .minP(0.3)
                .seed(4)
                .build());
    assertEquals(PROMPT + sampled.text() + System.lineSeparator(), minP.out());
  }

  @Test
  void badValuesAreUsageErrorsNamingTheOption() {
    String[][] bad = {
      {"--stop", ""},
      {"--repetition-penalty", "0"},
      {"--repetition-penalty", "x"},
      {"--presence-penalty", "3"},
      {"--frequency-penalty", "-2.5"},
      {"--min-p", "1.5"},
      {"--greedy", "--min-p", "0.1"},
    };
    for (String[] options : bad) {
      String[] argv = new String[5 + options.length];
      System.arraycopy(new String[] {"generate", "--model", "m", "--prompt", "x"}, 0, argv, 0, 5);
      System.arraycopy(options, 0, argv, 5, options.length);
      CliRun r = CliRun.run(argv);
      assertEquals(2, r.status(), String.join(" ", argv) + ": " + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      String option = options[options.length - 2].equals("--greedy") ? "--greedy" : options[0];
      assertTrue(r.err().contains(option), r.err());
    }
    CliRun help = CliRun.run("generate", "--help");
    for (String option :
        new String[] {
          "--stop TEXT",
          "--repetition-penalty P",
          "--presence-penalty P",
          "--frequency-penalty P",
          "--min-p P"
        }) {
      assertTrue(help.out().contains(option) || help.err().contains(option), option);
    }
  }
}
