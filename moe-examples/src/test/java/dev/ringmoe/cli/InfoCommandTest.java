package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.MoeModel;
import dev.ringmoe.ReferenceData;
import dev.ringmoe.config.ModelConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ringmoe info} and {@code ringmoe --version}: the numbers checked against the files
 * themselves (safetensors headers read here) and the minimum budgets against what {@code build()}
 * accepts.
 */
class InfoCommandTest {
  @TempDir Path tmp;

  private static JsonObject info(Path dir, String... extra) {
    String[] argv =
        Stream.concat(Stream.of("info", "--model", dir.toString(), "--json"), Stream.of(extra))
            .toArray(String[]::new);
    CliRun r = CliRun.run(argv);
    assertEquals(0, r.status(), r.err());
    return JsonParser.parseString(r.out()).getAsJsonObject();
  }

  /**
   * Bytes per safetensors dtype, summed from every shard's header, independently of the library.
   */
  private static Map<String, Long> storedBytes(Path dir) throws IOException {
    Map<String, Long> bytes = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f :
          (Iterable<Path>) files.filter(p -> p.toString().endsWith(".safetensors"))::iterator) {
        try (FileChannel ch = FileChannel.open(f)) {
          ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
          ch.read(len, 0);
          ByteBuffer header = ByteBuffer.allocate((int) len.getLong(0));
          ch.read(header, 8);
          JsonObject h =
              JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8))
                  .getAsJsonObject();
          for (Map.Entry<String, JsonElement> e : h.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
              continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
            JsonArray off = t.getAsJsonArray("data_offsets");
            bytes.merge(
                t.get("dtype").getAsString(),
                off.get(1).getAsLong() - off.get(0).getAsLong(),
                Long::sum);
          }
        }
      }
    }
    return bytes;
  }

  @Test
  void minimumBudgetsAreExactlyWhatBuildAccepts() throws IOException {
    Path dir = CliRun.synth(tmp.resolve("model"));
    for (int kv : new int[] {4096, 64}) {
      JsonObject o = info(dir, "--kv-positions", String.valueOf(kv));
      JsonObject budgets = o.getAsJsonObject("minimumBudget");
      JsonObject cacheInfo = o.getAsJsonObject("kvCache");
      assertEquals(
          Math.min(kv, ModelConfig.load(dir).maxPositions()),
          cacheInfo.get("positions").getAsInt());
      assertEquals(
          cacheInfo.get("bytesPerToken").getAsLong() * cacheInfo.get("positions").getAsLong(),
          budgets.get("includesKvBytes").getAsLong());
      for (JsonElement e : budgets.getAsJsonArray("ring")) {
        int k = e.getAsJsonObject().get("slots").getAsInt();
        long min = e.getAsJsonObject().get("bytes").getAsLong();
        assertEquals(Math.min(k, 2), e.getAsJsonObject().get("effectiveSlots").getAsInt());
        try (MoeModel m =
            MoeModel.builder()
                .checkpoint(dir)
                .deviceMemory(min)
                .ringSlots(k)
                .kvPositions(kv)
                .build()) {
          assertTrue(m.ringStats().isPresent());
        }
        IllegalArgumentException below =
            assertThrows(
                IllegalArgumentException.class,
                () ->
                    MoeModel.builder()
                        .checkpoint(dir)
                        .deviceMemory(min - 1)
                        .ringSlots(k)
                        .kvPositions(kv)
                        .build()
                        .close());
        assertTrue(below.getMessage().contains("minimum"), below.getMessage());
      }
      long cache = budgets.get("expertCache").getAsLong();
      try (MoeModel m =
          MoeModel.builder()
              .checkpoint(dir)
              .deviceMemory(cache)
              .expertCache(true)
              .kvPositions(kv)
              .build()) {
        assertTrue(m.ringStats().isPresent());
      }
      assertThrows(
          IllegalArgumentException.class,
          () ->
              MoeModel.builder()
                  .checkpoint(dir)
                  .deviceMemory(cache - 1)
                  .expertCache(true)
                  .kvPositions(kv)
                  .build()
                  .close());
    }
  }

  @Test
  void describesASynthesizedCheckpoint() throws IOException {
    Path dir = CliRun.synth(tmp.resolve("model"));
    JsonObject o = info(dir);
    ModelConfig config = ModelConfig.load(dir);
    assertEquals("MixtralForCausalLM", o.get("architecture").getAsString());
    assertEquals("Mixtral", o.get("family").getAsString());
    JsonObject shape = o.getAsJsonObject("shape");
    assertEquals(2, shape.get("layers").getAsInt());
    assertEquals(4, shape.get("experts").getAsInt());
    assertEquals(2, shape.get("topK").getAsInt());
    long total = config.manifest().parameters();
    JsonObject p = o.getAsJsonObject("parameters");
    assertEquals(total, p.get("total").getAsLong());
    // two of four experts idle per layer and token
    assertEquals(total - 2 * 2 * config.expertParameters(), p.get("activePerToken").getAsLong());
    Map<String, Long> stored = storedBytes(dir);
    assertEquals(
        stored.keySet(),
        o.getAsJsonObject("stored").keySet().stream()
            .filter(k -> !k.equals("totalBytes"))
            .collect(java.util.stream.Collectors.toSet()));
    for (Map.Entry<String, Long> e : stored.entrySet()) {
      assertEquals(
          e.getValue(),
          o.getAsJsonObject("stored").getAsJsonObject(e.getKey()).get("bytes").getAsLong(),
          e.getKey());
    }
    assertEquals("bfloat16", o.getAsJsonObject("held").get("dtype").getAsString());
    assertEquals(2 * total, o.getAsJsonObject("held").get("bytes").getAsLong());
    // float32 keys and values: 2 layers x 2 kv heads x head_dim 16 x 2 x 4 bytes
    assertEquals(512, o.getAsJsonObject("kvCache").get("bytesPerToken").getAsLong());
    assertEquals(config.kvCacheBytesPerToken(), 512);
    assertTrue(o.get("tokenizer").getAsBoolean());
    // the test JVM runs with the launcher's JavaCPP settings (the build's ringmoe.jvm.args)
    JsonObject jvm = o.getAsJsonObject("jvm");
    assertEquals(0, jvm.get("javacppMaxPhysicalBytes").getAsLong());
    assertTrue(jvm.get("residentFits").getAsBoolean());

    CliRun text = CliRun.run("info", "--model", dir.toString());
    assertEquals(0, text.status(), text.err());
    assertTrue(text.out().contains("MixtralForCausalLM (family Mixtral"), text.out());
    assertTrue(text.out().contains(String.format(java.util.Locale.ROOT, "%,d total", total)));
    assertTrue(text.out().contains("large-model settings in effect"), text.out());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "mixtral-tiny/f32",
        "mixtral-tiny/bf16",
        "qwen2_moe/f32",
        "qwen3_moe/bf16",
        "olmoe/f32",
        "deepseek_v2/f32",
        "deepseek_v3_fp8/block128/fp8",
        "gpt_oss_mxfp4/mxfp4",
        "switch_transformers/f32"
      })
  void describesEveryReferenceFamily(String variant) throws IOException {
    Path dir = ReferenceData.root().resolve(variant);
    JsonObject o = info(dir);
    ModelConfig config = ModelConfig.load(dir);
    assertEquals(config.architecture().name(), o.get("architecture").getAsString());
    assertEquals(
        config.manifest().parameters(), o.getAsJsonObject("parameters").get("total").getAsLong());
    Map<String, Long> stored = storedBytes(dir);
    long sum = 0;
    for (Map.Entry<String, Long> e : stored.entrySet()) {
      assertEquals(
          e.getValue(),
          o.getAsJsonObject("stored").getAsJsonObject(e.getKey()).get("bytes").getAsLong(),
          variant + " " + e.getKey());
      sum += e.getValue();
    }
    assertEquals(sum, o.getAsJsonObject("stored").get("totalBytes").getAsLong());
    assertEquals(
        config.kvCacheBytesPerToken(),
        o.getAsJsonObject("kvCache").get("bytesPerToken").getAsLong());
    JsonArray ring = o.getAsJsonObject("minimumBudget").getAsJsonArray("ring");
    assertEquals(4, ring.size());
    for (int k = 1; k < 4; k++) {
      assertTrue(
          ring.get(k).getAsJsonObject().get("bytes").getAsLong()
              >= ring.get(k - 1).getAsJsonObject().get("bytes").getAsLong());
    }
    CliRun text = CliRun.run("info", "--model", dir.toString());
    assertEquals(0, text.status(), text.err());
  }

  @Test
  void referenceF32CountsMatchTheFiles() throws IOException {
    Path dir = ReferenceData.mixtralF32();
    JsonObject o = info(dir);
    JsonObject index =
        JsonParser.parseString(Files.readString(dir.resolve("model.safetensors.index.json")))
            .getAsJsonObject();
    long totalSize = index.getAsJsonObject("metadata").get("total_size").getAsLong();
    assertEquals(totalSize, o.getAsJsonObject("stored").get("totalBytes").getAsLong());
    assertEquals(totalSize, 4 * o.getAsJsonObject("parameters").get("total").getAsLong());
    assertEquals(totalSize, o.getAsJsonObject("held").get("bytes").getAsLong());
    assertFalse(o.getAsJsonObject("stored").has("BF16"));
    // mixtral-tiny: 4 layers x 4 kv heads x head_dim 32 x (k + v) x 4 bytes; 2048 positions
    assertEquals(4096, o.getAsJsonObject("kvCache").get("bytesPerToken").getAsLong());
    assertEquals(2048, o.getAsJsonObject("kvCache").get("positions").getAsInt());
    // the expert cache: resident weights plus one expert, plus the KV cache; one byte less refused
    long cache = o.getAsJsonObject("minimumBudget").get("expertCache").getAsLong();
    try (MoeModel m =
        MoeModel.builder().checkpoint(dir).deviceMemory(cache).expertCache(true).build()) {
      assertEquals(
          16,
          m.generate(new int[] {1, 564, 916}, dev.ringmoe.generate.GenerationOptions.greedy(16))
              .generatedIds()
              .length);
    }
    assertThrows(
        IllegalArgumentException.class,
        () ->
            MoeModel.builder()
                .checkpoint(dir)
                .deviceMemory(cache - 1)
                .expertCache(true)
                .build()
                .close());
  }

  /**
   * In a JVM started without the large-model flags (JavaCPP's physical limit at 20 MB here), info
   * says the settings are not in effect, naming the flags, as build() would refuse.
   */
  @Test
  void saysWhenTheLargeModelSettingsAreMissing() throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
                java.toString(),
                "-Xmx256m",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=20000000",
                "-cp",
                classpath,
                RingMoeCli.class.getName(),
                "info",
                "--model",
                ReferenceData.mixtralF32().toString())
            .redirectErrorStream(true);
    pb.environment().put("RUST_FLAVOR", "cpu");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), output);
    assertTrue(output.contains("NOT in effect"), output);
    assertTrue(output.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=0"), output);
    assertTrue(
        output.contains("maxphysicalbytes 20.0 MB") || output.contains("maxphysicalbytes 19."),
        output);
  }

  @Test
  void refusesAMissingDirectoryNamingIt() {
    CliRun r = CliRun.run("info", "--model", tmp.resolve("nope").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("nope"), r.err());
  }

  @Test
  void versionNamesTheProjectNd4jAndJava() throws IOException {
    CliRun r = CliRun.run("--version");
    assertEquals(0, r.status(), r.err());
    String pom = Files.readString(Path.of("pom.xml"));
    // the parent's version, as written once in the pom (the module's <parent> names it)
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "<parent>.*?<version>([^<]+)</version>", java.util.regex.Pattern.DOTALL)
            .matcher(pom);
    assertTrue(m.find());
    String[] lines = r.out().split("\n");
    assertEquals("ringmoe " + m.group(1), lines[0]);
    assertTrue(lines[1].startsWith("ND4J 1.0.0-M2.1, backend "), lines[1]);
    assertTrue(lines[2].startsWith("Java " + Runtime.version()), lines[2]);
    assertEquals(r.out(), CliRun.run("version").out());
  }
}
