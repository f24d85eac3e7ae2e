package dev.ringmoe.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ringmoe.MoeModel;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.tokenizer.TokenizerException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible HTTP server for one {@link MoeModel}: {@code GET /v1/models}, {@code POST
 * /v1/completions}, {@code POST /v1/chat/completions} (whole responses or server-sent events),
 * {@code GET /health} and {@code GET /metrics} (Prometheus text). See docs/server.md.
 *
 * <pre>{@code
 * MoeModel model = MoeModel.builder().checkpoint(dir).requireTokenizer(true).build();
 * try (OpenAiServer server = OpenAiServer.start(model,
 *     ChatTemplate.fromCheckpoint(dir).orElse(null), OpenAiServer.Options.builder().port(0).build())) {
 *   System.out.println(server.url());   // http://127.0.0.1:PORT, the API under /v1
 *   server.awaitClose();
 * }
 * }</pre>
 *
 * <p>Requests are served one at a time, in arrival order, by one worker thread ({@code
 * ringmoe-server-worker}); up to {@link Options#queueCapacity()} more wait, and any beyond are
 * refused at once with 503 and {@code Retry-After}. A streaming client that disconnects cancels its
 * generation.
 *
 * <p>Ownership: once {@link #start} returns, the server owns the model and closes it in {@link
 * #close()} (if {@code start} throws, the caller still owns it). Thread-safety: every method may be
 * called from any thread; {@code close()} is idempotent and stops accepting requests, answers the
 * queued ones with 503, cancels the running generation, stops the HTTP server and closes the model.
 */
public final class OpenAiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);
  private static final String JSON = "application/json";

  /** Seconds a client refused with 503 is told to wait. */
  static final int RETRY_AFTER_SECONDS = 1;

  /**
   * Connection idle timeout: a queued request waits without I/O behind others' generations, which
   * on an offloaded model take minutes, so Jetty's 30 s default would drop it.
   */
  static final long IDLE_TIMEOUT_MILLIS = 60 * 60 * 1000L;

  /** How long stopping waits for responses still being written. */
  static final long STOP_TIMEOUT_MILLIS = 5_000;

  /** Largest request body: a long conversation's JSON, far above any model's context. */
  static final long MAX_REQUEST_BYTES = 16L << 20;

  private final MoeModel model;
  private final Options options;
  private final String modelName;
  private final long created = System.currentTimeMillis() / 1000;
  private final Metrics metrics = new Metrics();
  private final GenerationWorker worker;
  private final RequestParser parser;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Javalin app;
  private volatile int port; // kept: Jetty forgets it once stopped

  private OpenAiServer(MoeModel model, ChatTemplate template, Options options)
      throws TokenizerException {
    this.model = model;
    this.options = options;
    this.modelName =
        options.modelName() != null
            ? options.modelName()
            : String.valueOf(model.directory().toAbsolutePath().normalize().getFileName());
    this.parser =
        new RequestParser(
            modelName,
            model.tokenizer(),
            model.config().vocabSize(),
            model.maxPositions(), // fewer than max_position_embeddings under a device budget
            template);
    this.worker = new GenerationWorker(model, options.queueCapacity(), metrics);
    this.app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              config.jsonMapper(new GsonJsonMapper());
              config.http.maxRequestSize = MAX_REQUEST_BYTES;
              // Stopping waits for requests in flight (the 503s close() hands the queued ones) to
              // be written, instead of cutting their connections.
              config.jetty.modifyServer(
                  server -> {
                    server.setHandler(new GracefulHandler());
                    server.setStopTimeout(STOP_TIMEOUT_MILLIS);
                  });
              config.jetty.host = options.host();
              config.jetty.port = options.port();
              // After the endpoint and error handlers, before the response is written: a client
              // that got its answer finds it counted.
              config.routes.after(ctx -> metrics.request(ctx.path(), ctx.status().getCode()));
              config.routes.get("/health", this::health);
              config.routes.get("/metrics", this::metrics);
              config.routes.get("/v1/models", this::models);
              config.routes.get("/v1/models/{model}", this::model);
              config.routes.post(
                  "/v1/completions", ctx -> generate(ctx, CompletionRequest.Kind.COMPLETION));
              config.routes.post(
                  "/v1/chat/completions", ctx -> generate(ctx, CompletionRequest.Kind.CHAT));
              config.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e));
              // Javalin's own refusals (no such route, a body over the size limit) in OpenAI's
              // format too
              config.routes.exception(
                  HttpResponseException.class, (e, ctx) -> error(ctx, refusal(e, ctx)));
              config.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                    error(ctx, ApiException.internal("internal error: " + describe(e)));
                  });
              config.routes.error(
                  404,
                  ctx -> {
                    String type = ctx.res().getContentType();
                    if (type == null || !type.startsWith(JSON)) { // not one of our own 404s
                      error(ctx, unknownUrl(ctx));
                    }
                  });
            });
  }

  /**
   * Starts serving {@code model} as {@code options} say and returns once the port is bound.
   *
   * @param template the checkpoint's chat template, or null when it has none ({@code
   *     /v1/chat/completions} then answers 400)
   * @throws TokenizerException if the model has no tokenizer
   * @throws io.javalin.util.JavalinException if the port cannot be bound
   */
  public static OpenAiServer start(MoeModel model, ChatTemplate template, Options options)
      throws TokenizerException {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(options, "options");
    OpenAiServer server = new OpenAiServer(model, template, options);
    server.worker.start();
    try {
      server.app.start();
    } catch (RuntimeException e) {
      server.worker.close();
      throw e;
    }
    server.port = server.app.port();
    for (Connector c : server.app.jettyServer().server().getConnectors()) {
      if (c instanceof ServerConnector) {
        ((ServerConnector) c).setIdleTimeout(IDLE_TIMEOUT_MILLIS);
      }
    }
    LOG.info(
        "serving {} on {} (queue {}, chat template: {})",
        server.modelName,
        server.url(),
        options.queueCapacity(),
        template == null ? "none" : template.origin());
    return server;
  }

  /** The bound port (the one chosen when {@link Options#port()} is 0). */
  public int port() {
    return port;
  }

  /** {@code http://HOST:PORT}, the API under {@code /v1}. */
  public String url() {
    String host = options.host();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /** The model id clients must name ({@code model} in requests, {@code /v1/models}). */
  public String modelName() {
    return modelName;
  }

  /** Blocks until {@link #close()} has finished (from another thread or a shutdown hook). */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      try {
        closed.await(); // a second caller returns once the first has finished
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      worker.close(); // every job completed: no handler still waits on the model
      app.stop();
    } finally {
      try {
        model.close();
      } finally {
        closed.countDown();
        LOG.info("stopped serving {}", modelName);
      }
    }
  }

  /** Test hook: the worker waits for {@code latch} before it takes each next job. */
  void holdWorker(CountDownLatch latch) throws InterruptedException {
    worker.holdBeforeNextJob(latch);
  }

  int queueDepth() {
    return worker.queueDepth();
  }

  Metrics counters() {
    return metrics;
  }

  private void health(Context ctx) {
    JsonObject o = new JsonObject();
    o.addProperty("status", closing.get() ? "stopping" : "ok");
    ctx.status(closing.get() ? 503 : 200).json(o);
  }

  private void metrics(Context ctx) {
    ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(metrics.render(worker.queueDepth(), worker.queueCapacity(), worker.ringStats()));
  }

  private JsonObject modelObject() {
    JsonObject m = new JsonObject();
    m.addProperty("id", modelName);
    m.addProperty("object", "model");
    m.addProperty("created", created);
    m.addProperty("owned_by", "ringmoe");
    return m;
  }

  private void models(Context ctx) {
    JsonObject o = new JsonObject();
    o.addProperty("object", "list");
    JsonArray data = new JsonArray();
    data.add(modelObject());
    o.add("data", data);
    ctx.json(o);
  }

  private void model(Context ctx) {
    String id = ctx.pathParam("model");
    if (!id.equals(modelName)) {
      throw ApiException.notFound(
          "model",
          "model_not_found",
          "the model '" + id + "' does not exist; this server serves '" + modelName + "'");
    }
    ctx.json(modelObject());
  }

  private void generate(Context ctx, CompletionRequest.Kind kind) {
    if (closing.get()) {
      throw ApiException.unavailable("the server is shutting down");
    }
    CompletionRequest request =
        kind == CompletionRequest.Kind.CHAT
            ? parser.chat(RequestParser.parseBody(ctx.body()))
            : parser.completion(RequestParser.parseBody(ctx.body()));
    Responses.Header header = new Responses.Header(kind, modelName);
    if (!request.stream()) {
      Responses.Buffered out = new Responses.Buffered(header);
      run(new Job(request, out));
      if (out.status() == 0) { // every path of the worker answers; this would be a bug
        throw ApiException.internal("the request ended without a response");
      }
      ctx.status(out.status()).contentType(JSON).result(out.body());
      return;
    }
    Responses.Streamed out =
        new Responses.Streamed(
            header,
            request.includeUsage(),
            () -> {
              // On this request's thread (Streamed.pump), when the worker starts the generation.
              HttpServletResponse res = ctx.res();
              res.setStatus(200);
              res.setContentType("text/event-stream");
              res.setCharacterEncoding("utf-8");
              res.setHeader("Cache-Control", "no-cache");
              res.setHeader("X-Accel-Buffering", "no");
              return res.getOutputStream();
            });
    Job job = new Job(request, out);
    worker.submit(job);
    try {
      out.pump(job.done());
    } catch (InterruptedException e) {
      out.abort(); // the worker cancels at its next event
      job.done().join();
      Thread.currentThread().interrupt();
      return;
    }
    if (out.failedBeforeStart() != null) {
      throw out.failedBeforeStart();
    }
  }

  /** Queues {@code job} (503 at once when full) and waits until the worker has finished it. */
  private void run(Job job) {
    worker.submit(job);
    job.done().join();
  }

  private static ApiException unknownUrl(Context ctx) {
    return new ApiException(
        404,
        "invalid_request_error",
        null,
        "unknown_url",
        "unknown request URL: " + ctx.method() + " " + ctx.path());
  }

  private static ApiException refusal(HttpResponseException e, Context ctx) {
    int status = e.getStatus();
    if (status == 404) {
      return unknownUrl(ctx);
    }
    String message =
        status == 413
            ? "the request body is larger than " + (MAX_REQUEST_BYTES >> 20) + " MiB"
            : String.valueOf(e.getMessage());
    return new ApiException(
        status, status < 500 ? "invalid_request_error" : "server_error", null, null, message);
  }

  private static void error(Context ctx, ApiException e) {
    if (e.status() == 503) {
      ctx.header("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
    }
    ctx.status(e.status()).contentType(JSON).result(Responses.GSON.toJson(Responses.error(e)));
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ");
  }

  /**
   * Where and how the server listens and how many requests may wait. Immutable; build with {@link
   * #builder()}.
   */
  public static final class Options {
    private final String host;
    private final int port;
    private final int queueCapacity;
    private final String modelName;

    private Options(Builder b) {
      this.host = b.host;
      this.port = b.port;
      this.queueCapacity = b.queueCapacity;
      this.modelName = b.modelName;
    }

    public static Builder builder() {
      return new Builder();
    }

    /** The address to bind (default 127.0.0.1: this machine only). */
    public String host() {
      return host;
    }

    /** The port (default 8080; 0 picks a free one, see {@link OpenAiServer#port()}). */
    public int port() {
      return port;
    }

    /** Requests that may wait behind the running one (default 16). */
    public int queueCapacity() {
      return queueCapacity;
    }

    /** The model id, or null for the checkpoint directory's name. */
    public String modelName() {
      return modelName;
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
      /** Most requests that may wait: each holds an HTTP thread while it waits. */
      public static final int MAX_QUEUE = 200;

      private String host = "127.0.0.1";
      private int port = 8080;
      private int queueCapacity = 16;
      private String modelName;

      private Builder() {}

      public Builder host(String host) {
        if (host == null || host.isBlank()) {
          throw new IllegalArgumentException("host must not be blank");
        }
        this.host = host;
        return this;
      }

      public Builder port(int port) {
        if (port < 0 || port > 65535) {
          throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
        }
        this.port = port;
        return this;
      }

      public Builder queueCapacity(int n) {
        if (n < 1 || n > MAX_QUEUE) {
          throw new IllegalArgumentException(
              "queue capacity must be in [1, " + MAX_QUEUE + "], was " + n);
        }
        this.queueCapacity = n;
        return this;
      }

      /** The model id clients name; null (the default) uses the checkpoint directory's name. */
      public Builder modelName(String name) {
        if (name != null && name.isBlank()) {
          throw new IllegalArgumentException("model name must not be blank");
        }
        this.modelName = name;
        return this;
      }

      public Options build() {
        return new Options(this);
      }
    }
  }
}
