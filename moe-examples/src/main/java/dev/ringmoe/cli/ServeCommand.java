package dev.ringmoe.cli;

import dev.ringmoe.MoeModel;
import dev.ringmoe.chat.ChatTemplate;
import dev.ringmoe.server.OpenAiServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code ringmoe serve}: an OpenAI-compatible HTTP server for one model (see docs/server.md), until
 * interrupted (Ctrl-C, SIGTERM), which stops it gracefully.
 */
final class ServeCommand implements Command {
  @Override
  public String name() {
    return "serve";
  }

  @Override
  public String summary() {
    return "serve a model over OpenAI's HTTP API (/v1/completions, /v1/chat/completions)";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe serve --model DIR [--host H] [--port P] [--queue N] [--model-name NAME]\n"
        + "                     [--device-memory SIZE|P% [--ring-slots K | --expert-cache] [--prefetch POLICY] [--direct-io]]\n\n"
        + ModelOptions.USAGE
        + "  --host H              address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: all)\n"
        + "  --port P              TCP port (default 8080; 0 picks a free one, printed at start)\n"
        + "  --queue N             requests that may wait behind the running one, 1.."
        + OpenAiServer.Options.Builder.MAX_QUEUE
        + " (default 16); beyond it\n"
        + "                        the server answers 503 with Retry-After\n"
        + "  --model-name NAME     the model id clients send (default the checkpoint directory's name)\n\n"
        + "Endpoints: GET /v1/models, POST /v1/completions, POST /v1/chat/completions (stream: true for\n"
        + "server-sent events), GET /health, GET /metrics. See docs/server.md.\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return ModelOptions.valuedWith("host", "port", "queue", "model-name");
  }

  @Override
  public Set<String> flags() {
    return ModelOptions.FLAGS;
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws Exception {
    OpenAiServer.Options options = options(args);
    if (args.has("stats-json")) {
      throw new UsageException(
          "ringmoe serve: --stats-json does not apply (GET /metrics has the ring's statistics)");
    }
    Path dir = ModelOptions.checkpointDir(args);
    ChatTemplate template = ChatTemplate.fromCheckpoint(dir).orElse(null);
    MoeModel model = ModelOptions.builder(args, "ringmoe serve").requireTokenizer(true).build();
    OpenAiServer server;
    try {
      server = OpenAiServer.start(model, template, options);
    } catch (RuntimeException | Error e) {
      model.close();
      throw e;
    }
    Thread hook = new Thread(server::close, "ringmoe-serve-shutdown");
    try {
      Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C, SIGTERM: a graceful stop
      out.println(
          "ringmoe serve: "
              + server.modelName()
              + " on "
              + server.url()
              + " (OpenAI API under /v1; "
              + (template == null ? "no chat template" : "chat template " + template.origin())
              + "); Ctrl-C stops");
      out.flush();
      server.awaitClose();
    } finally {
      server.close(); // also when this thread is interrupted
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run
      }
    }
    return 0;
  }

  static OpenAiServer.Options options(Args args) {
    OpenAiServer.Options.Builder b = OpenAiServer.Options.builder();
    int port = args.integer("port", 8080);
    if (port < 0 || port > 65535) {
      throw new UsageException("ringmoe serve: --port must be in 0..65535, was " + port);
    }
    int queue = args.integer("queue", 16);
    if (queue < 1 || queue > OpenAiServer.Options.Builder.MAX_QUEUE) {
      throw new UsageException(
          "ringmoe serve: --queue must be in 1.."
              + OpenAiServer.Options.Builder.MAX_QUEUE
              + ", was "
              + queue);
    }
    String host = args.string("host", "127.0.0.1").trim();
    if (host.isEmpty()) {
      throw new UsageException("ringmoe serve: --host must not be empty");
    }
    if (args.has("model-name") && args.required("model-name").isBlank()) {
      throw new UsageException("ringmoe serve: --model-name must not be blank");
    }
    return b.host(host)
        .port(port)
        .queueCapacity(queue)
        .modelName(args.has("model-name") ? args.required("model-name") : null)
        .build();
  }
}
