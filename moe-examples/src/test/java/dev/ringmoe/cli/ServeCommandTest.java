package dev.ringmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringmoe serve} from the command line: it serves until stopped, and refuses bad options.
 */
class ServeCommandTest {
  @TempDir Path tmp;

  @Test
  void servesOnTheChosenPortUntilStopped() throws Exception {
    Path dir = CliRun.synth(tmp.resolve("m"));
    ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    int[] status = {-1};
    Thread serve =
        new Thread(
            () ->
                status[0] =
                    RingMoeCli.run(
                        new String[] {
                          "serve", "--model", dir.toString(), "--port", "0", "--model-name", "m1"
                        },
                        out,
                        err),
            "serve-under-test");
    serve.start();
    Pattern url = Pattern.compile("on (http://127\\.0\\.0\\.1:\\d+) ");
    Matcher m = url.matcher("");
    while (serve.isAlive()
        && !(m = url.matcher(outBytes.toString(StandardCharsets.UTF_8))).find()) {
      Thread.sleep(20); // waits for the model to load; no time is asserted
    }
    assertTrue(serve.isAlive(), "serve ended: " + errBytes.toString(StandardCharsets.UTF_8));
    String base = m.group(1);
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> models =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, models.statusCode());
    assertTrue(models.body().contains("\"id\":\"m1\""), models.body());
    assertTrue(
        outBytes.toString(StandardCharsets.UTF_8).contains("chat template chat_template in "),
        outBytes.toString(StandardCharsets.UTF_8));
    serve.interrupt(); // as a stop would: the server closes, the command returns
    serve.join();
    assertEquals(1, status[0]);
    assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("interrupted"));
  }

  @Test
  void badOptionsAreUsageErrors() {
    Path dir = tmp.resolve("none");
    String[][] cases = {
      {"--port", "70000", "--port must be in 0..65535"},
      {"--queue", "0", "--queue must be in 1..200"},
      {"--model-name", " ", "--model-name must not be blank"},
    };
    for (String[] c : cases) {
      CliRun r = CliRun.run("serve", "--model", dir.toString(), c[0], c[1]);
      assertEquals(2, r.status(), r.err());
      assertTrue(r.err().contains(c[2]), r.err());
    }
    assertTrue(CliRun.run("serve", "--help").out().contains("--queue N"));
  }
}
