package dev.ringmoe.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code ringmoe bench --json}: every row in a stable machine-readable form, schema 1 (described in
 * docs/benchmarks.md). Fields are never left out: what was not measured is {@code null}.
 */
final class BenchReport {
  static final int SCHEMA = 1;

  private BenchReport() {}

  /** The report's top level; {@code rows} are added as they are. */
  static JsonObject document(
      JsonObject model,
      JsonObject settings,
      JsonObject machine,
      double rooflineTokensPerSecond,
      List<BenchRow> rows) {
    JsonObject o = new JsonObject();
    o.addProperty("schema", SCHEMA);
    o.addProperty("command", "bench");
    o.add("model", model);
    o.add("settings", settings);
    o.add("machine", machine);
    o.add("decode_roofline_tokens_per_s", number(rooflineTokensPerSecond));
    JsonArray array = new JsonArray();
    for (BenchRow r : rows) {
      array.add(row(r));
    }
    o.add("rows", array);
    return o;
  }

  /** The idle check's fields. */
  static JsonObject idle(
      Optional<MachineLoad.Interval> interval, Optional<Double> loadAverageAtStart) {
    JsonObject o = new JsonObject();
    o.addProperty("measured", interval.isPresent());
    o.add(
        "other_processes_fraction",
        interval.map(i -> number(i.others())).orElse(JsonNull.INSTANCE));
    o.add("steal_fraction", interval.map(i -> number(i.steal())).orElse(JsonNull.INSTANCE));
    o.add(
        "load_average_1m_at_start",
        loadAverageAtStart.map(BenchReport::number).orElse(JsonNull.INSTANCE));
    o.addProperty("idle", !MachineLoad.busy(interval, loadAverageAtStart));
    return o;
  }

  static JsonObject row(BenchRow r) {
    JsonObject o = new JsonObject();
    o.addProperty("name", r.name);
    o.addProperty("store", r.store);
    o.add("budget", r.budget == null ? JsonNull.INSTANCE : new JsonPrimitive(r.budget));
    o.add("budget_bytes", size(r.budgetBytes));
    o.add("policy", r.policy == null ? JsonNull.INSTANCE : new JsonPrimitive(r.policy));
    o.add("slots", r.stats == null ? JsonNull.INSTANCE : new JsonPrimitive(r.stats.slots()));
    o.add("prefill_tokens_per_s", number(r.prefill));
    o.add("decode_tokens_per_s", number(r.decode));
    o.add("decode_stall_fraction", number(r.decodeStall));
    JsonObject tiers = new JsonObject();
    tiers.add("storage_read", number(r.storageBytesPerToken));
    tiers.add("host_staged", number(r.hostBytesPerToken));
    tiers.add("device_written", number(r.deviceBytesPerToken));
    o.add("bytes_per_decode_token", tiers);
    o.add("hit_rate", r.stats == null ? JsonNull.INSTANCE : number(r.stats.hitRate()));
    o.add("prefetch_unused_fraction", number(r.unusedPrefetchFraction));
    o.add(
        "peak_device_bytes", r.stats == null ? JsonNull.INSTANCE : size(r.stats.peakDeviceBytes()));
    o.add("peak_rss_bytes", size(r.peakRss));
    o.add("rss_growth_bytes", size(r.rssGrowth));
    o.add("page_cache_growth_bytes", size(r.pageCacheGrowth));
    o.add("belady_storage_bytes_per_decode_token", number(r.beladyBytesPerToken));
    o.add("storage_over_belady", number(r.overBelady()));
    o.add(
        "store_stats",
        r.stats == null ? JsonNull.INSTANCE : JsonParser.parseString(r.stats.toJson()));
    return o;
  }

  static void write(Path file, JsonObject document) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(
        file,
        new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(document) + "\n",
        StandardCharsets.UTF_8);
  }

  /** A number, or null where not measured (NaN or infinite). */
  static JsonElement number(double v) {
    return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
  }

  /** A size, or null where not measured (negative). */
  static JsonElement size(long v) {
    return v < 0 ? JsonNull.INSTANCE : new JsonPrimitive(v);
  }
}
