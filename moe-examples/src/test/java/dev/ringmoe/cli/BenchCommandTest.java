package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ringmoe bench --json --plot} on the CLI tests' small checkpoint. */
class BenchCommandTest {
  @TempDir Path tmp;

  @Test
  void writesJsonAndPlotNextToTheTable() throws IOException {
    Path model = CliRun.synth(tmp.resolve("model"));
    Path json = tmp.resolve("out/bench.json");
    Path png = tmp.resolve("out/bench.png");
    CliRun b =
        CliRun.run(
            "bench",
            "--model",
            model.toString(),
            "--prompt-tokens",
            "8",
            "--decode-tokens",
            "4",
            "--repeats",
            "1",
            "--budgets",
            "70%,90%",
            "--stores",
            "ring,cache",
            "--prefetch",
            "none,oracle",
            "--json",
            json.toString(),
            "--plot",
            png.toString());
    assertEquals(0, b.status(), b.err());
    String out = b.out();
    for (String column :
        List.of("prefill t/s", "decode t/s", "x Belady", "unused %", "RSS +MB", "cache +MB")) {
      assertTrue(out.contains(column), out);
    }
    assertTrue(out.contains("CPU time of other processes during the measurements: "), out);
    Files.writeString(tmp.resolve("bench.out"), out); // kept only for a failing test's output

    JsonObject doc = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertEquals(1, doc.get("schema").getAsInt());
    JsonObject machine = doc.getAsJsonObject("machine");
    assertEquals(Runtime.getRuntime().availableProcessors(), machine.get("cores").getAsInt());
    assertTrue(machine.has("cpu_model"));
    JsonObject idle = machine.getAsJsonObject("idle_check");
    for (String f :
        List.of(
            "measured",
            "other_processes_fraction",
            "steal_fraction",
            "load_average_1m_at_start",
            "idle")) {
      assertTrue(idle.has(f), f);
    }
    JsonArray rows = doc.getAsJsonArray("rows");
    assertEquals(1 + 2 * 2 * 2, rows.size(), "resident plus budgets x stores x policies");
    JsonObject resident = rows.get(0).getAsJsonObject();
    assertEquals("resident", resident.get("store").getAsString());
    assertTrue(resident.get("budget").isJsonNull());
    assertTrue(resident.get("decode_tokens_per_s").getAsDouble() > 0);
    int cacheRows = 0;
    for (int i = 1; i < rows.size(); i++) {
      JsonObject r = rows.get(i).getAsJsonObject();
      for (String f :
          List.of(
              "name",
              "store",
              "budget",
              "budget_bytes",
              "policy",
              "slots",
              "prefill_tokens_per_s",
              "decode_tokens_per_s",
              "decode_stall_fraction",
              "bytes_per_decode_token",
              "hit_rate",
              "prefetch_unused_fraction",
              "peak_device_bytes",
              "peak_rss_bytes",
              "rss_growth_bytes",
              "page_cache_growth_bytes",
              "belady_storage_bytes_per_decode_token",
              "storage_over_belady",
              "store_stats")) {
        assertTrue(r.has(f), "row " + i + " lacks " + f);
      }
      JsonObject tiers = r.getAsJsonObject("bytes_per_decode_token");
      assertNotNull(tiers.get("storage_read"));
      assertNotNull(tiers.get("host_staged"));
      assertTrue(tiers.get("device_written").getAsDouble() >= 0);
      assertTrue(r.get("slots").getAsInt() >= 1);
      assertTrue(r.get("peak_device_bytes").getAsLong() > 0);
      if (r.get("store").getAsString().equals("cache")) {
        cacheRows++;
        double belady = r.get("belady_storage_bytes_per_decode_token").getAsDouble();
        assertTrue(belady >= 0, r.toString());
      } else {
        assertTrue(r.get("belady_storage_bytes_per_decode_token").isJsonNull(), r.toString());
      }
    }
    assertEquals(4, cacheRows);

    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, "not a PNG ImageIO can read");
    assertTrue(Files.size(png) > 0);
    assertEquals(BenchPlot.WIDTH, image.getWidth());
    assertEquals(2 * BenchPlot.CHART_HEIGHT, image.getHeight());
  }
}
