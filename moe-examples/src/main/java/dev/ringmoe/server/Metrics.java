package dev.ringmoe.server;

import dev.ringmoe.RingStats;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters, rendered in Prometheus' text exposition format (version 0.0.4).
 * Thread-safe: counters are updated from the HTTP threads and the worker.
 */
final class Metrics {
  /** The endpoints counted by name; any other path is counted as {@code other}. */
  static final Set<String> ENDPOINTS =
      Set.of("/v1/models", "/v1/completions", "/v1/chat/completions", "/health", "/metrics");

  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> generations = new ConcurrentHashMap<>();
  private final LongAdder promptTokens = new LongAdder();
  private final LongAdder generatedTokens = new LongAdder();

  void request(String path, int status) {
    String endpoint = ENDPOINTS.contains(path) ? path : "other";
    requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
  }

  /** One generation ended: finish reason ("stop", "length", "cancelled", "error") and tokens. */
  void generation(String finishReason, int prompt, int generated) {
    generations.computeIfAbsent(finishReason, k -> new LongAdder()).increment();
    promptTokens.add(prompt);
    generatedTokens.add(generated);
  }

  long generations(String finishReason) {
    LongAdder a = generations.get(finishReason);
    return a == null ? 0 : a.sum();
  }

  long generatedTokens() {
    return generatedTokens.sum();
  }

  String render(int queueDepth, int queueCapacity, Optional<RingStats> ring) {
    StringBuilder b = new StringBuilder();
    header(b, "ringmoe_http_requests_total", "counter", "HTTP requests by endpoint and status");
    new TreeMap<>(requests)
        .forEach(
            (key, n) -> {
              String[] parts = key.split("\u0000");
              b.append("ringmoe_http_requests_total{endpoint=\"")
                  .append(parts[0])
                  .append("\",status=\"")
                  .append(parts[1])
                  .append("\"} ")
                  .append(n.sum())
                  .append('\n');
            });
    header(b, "ringmoe_queue_depth", "gauge", "requests waiting for the worker");
    sample(b, "ringmoe_queue_depth", queueDepth);
    header(b, "ringmoe_queue_capacity", "gauge", "most requests that may wait (--queue)");
    sample(b, "ringmoe_queue_capacity", queueCapacity);
    header(
        b,
        "ringmoe_generations_total",
        "counter",
        "generations by finish reason (stop, length, cancelled, error)");
    new TreeMap<>(generations)
        .forEach(
            (reason, n) ->
                b.append("ringmoe_generations_total{finish_reason=\"")
                    .append(reason)
                    .append("\"} ")
                    .append(n.sum())
                    .append('\n'));
    header(b, "ringmoe_prompt_tokens_total", "counter", "prompt tokens of finished generations");
    sample(b, "ringmoe_prompt_tokens_total", promptTokens.sum());
    header(b, "ringmoe_generated_tokens_total", "counter", "tokens generated");
    sample(b, "ringmoe_generated_tokens_total", generatedTokens.sum());
    header(
        b,
        "ringmoe_ring_enabled",
        "gauge",
        "1 when weights stream through a device budget (the ring statistics below), 0 when resident");
    sample(b, "ringmoe_ring_enabled", ring.isPresent() ? 1 : 0);
    if (ring.isPresent()) {
      RingStats s = ring.get();
      counter(
          b,
          "ringmoe_ring_storage_bytes_read_total",
          "bytes read from the checkpoint files",
          s.storageBytesRead());
      counter(
          b,
          "ringmoe_ring_host_bytes_staged_total",
          "bytes staged through host buffers",
          s.hostBytesStaged());
      counter(
          b,
          "ringmoe_ring_device_bytes_written_total",
          "bytes copied into device memory",
          s.deviceBytesWritten());
      counter(b, "ringmoe_ring_copies_total", "weight section copies", s.copies());
      counter(
          b,
          "ringmoe_ring_stall_seconds_total",
          "time compute waited for copies",
          s.stallNanos() / 1e9);
      counter(
          b,
          "ringmoe_ring_compute_seconds_total",
          "wall time of forward passes",
          s.computeNanos() / 1e9);
      counter(
          b, "ringmoe_ring_prefetch_hits_total", "routed experts already loaded", s.prefetchHits());
      counter(
          b,
          "ringmoe_ring_prefetch_misses_total",
          "routed experts loaded on demand",
          s.prefetchMisses());
      gauge(b, "ringmoe_ring_hit_rate", "prefetch hits over routed experts, 0..1", s.hitRate());
      gauge(
          b,
          "ringmoe_ring_stall_fraction",
          "share of forward-pass time spent stalled, 0..1",
          s.stallFraction());
      gauge(
          b,
          "ringmoe_ring_peak_device_bytes",
          "most device bytes in use at any time",
          s.peakDeviceBytes());
      gauge(
          b, "ringmoe_ring_device_budget_bytes", "the device memory budget", s.deviceBudgetBytes());
      gauge(
          b,
          "ringmoe_ring_resident_bytes",
          "device bytes of weights that never move",
          s.residentBytes());
      gauge(b, "ringmoe_ring_slots", "ring slots", s.slots());
    }
    return b.toString();
  }

  private static void counter(StringBuilder b, String name, String help, double value) {
    header(b, name, "counter", help);
    sample(b, name, value);
  }

  private static void gauge(StringBuilder b, String name, String help, double value) {
    header(b, name, "gauge", help);
    sample(b, name, value);
  }

  private static void header(StringBuilder b, String name, String type, String help) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder b, String name, double value) {
    b.append(name).append(' ');
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      b.append((long) value);
    } else {
      b.append(String.format(Locale.ROOT, "%.6g", value));
    }
    b.append('\n');
  }
}
