package dev.ringmoe.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md and docs/*.md compiles as written, against this module's
 * test classpath (moe-core, moe-ring, moe-hash, ND4J).
 *
 * <p>How a block becomes a compilation unit: its leading {@code import} lines stay imports; a block
 * that declares a type at its top level ({@code class}, {@code record}, {@code interface}, {@code
 * enum}) is compiled as it is; any other block is a list of statements and is wrapped as the body
 * of {@code void snippet() throws Exception} in a class of its own. So a statement block must
 * declare every variable it uses (a {@code Path dir = ...} line, not a free {@code dir}). A block
 * right after a line {@code <!-- fragment: not compiled -->} is skipped: for excerpts that only
 * make sense inside the surrounding code. A failure names the file and the line in it.
 */
class DocSnippetsTest {
  static final String SKIP_MARKER = "<!-- fragment: not compiled -->";
  private static final Pattern TYPE_DECLARATION =
      Pattern.compile(
          "(?m)^(public\\s+|final\\s+|abstract\\s+)*(class|record|interface|enum)\\s+\\w+");

  @TempDir Path out;

  /** One block: the file, the line of its first code line, and the code. */
  record Snippet(Path file, int firstLine, List<String> lines) {
    String name() {
      return file.getFileName().toString().replaceAll("\\W", "_") + "_" + firstLine;
    }
  }

  static Path projectRoot() {
    // surefire runs in the module directory
    Path here = Path.of("").toAbsolutePath();
    return Files.exists(here.resolve("README.md")) ? here : here.getParent();
  }

  static List<Snippet> snippets(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<Snippet> found = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).strip().equals("```java")) {
        continue;
      }
      boolean skip = i > 0 && lines.get(i - 1).strip().equals(SKIP_MARKER);
      int start = i + 1;
      int end = start;
      while (end < lines.size() && !lines.get(end).strip().equals("```")) {
        end++;
      }
      if (!skip) {
        found.add(new Snippet(file, start + 1, List.copyOf(lines.subList(start, end))));
      }
      i = end;
    }
    return found;
  }

  /** The compilation unit for a block, and for each of its lines the block's line it came from. */
  static String source(Snippet s, List<Integer> lineMap) {
    StringBuilder src = new StringBuilder();
    int body = 0;
    while (body < s.lines().size()
        && (s.lines().get(body).startsWith("import ") || s.lines().get(body).isBlank())) {
      body++;
    }
    String rest = String.join("\n", s.lines().subList(body, s.lines().size()));
    boolean declaresType = TYPE_DECLARATION.matcher(rest).find();
    for (int i = 0; i < body; i++) {
      src.append(s.lines().get(i)).append('\n');
      lineMap.add(s.firstLine() + i);
    }
    if (!declaresType) {
      src.append("class ").append(s.name()).append(" { void snippet() throws Exception {\n");
      lineMap.add(s.firstLine() + body);
    }
    for (int i = body; i < s.lines().size(); i++) {
      src.append(s.lines().get(i)).append('\n');
      lineMap.add(s.firstLine() + i);
    }
    if (!declaresType) {
      src.append("}}\n");
      lineMap.add(s.firstLine() + s.lines().size() - 1);
    }
    return src.toString();
  }

  @Test
  void everyJavaBlockOfTheDocsCompiles() throws IOException {
    Path root = projectRoot();
    List<Path> files = new ArrayList<>(List.of(root.resolve("README.md")));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<Snippet> all = new ArrayList<>();
    for (Path f : files) {
      all.addAll(snippets(f));
    }
    assertTrue(all.size() >= 5, "README.md's java blocks were not found: " + all.size());

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    // surefire's own property: java.class.path is only its booter jar
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> failures = new ArrayList<>();
    try (StandardJavaFileManager files0 =
        javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8)) {
      for (Snippet s : all) {
        List<Integer> lineMap = new ArrayList<>();
        String src = source(s, lineMap);
        JavaFileObject unit =
            new SimpleJavaFileObject(
                URI.create("string:///" + s.name() + ".java"), JavaFileObject.Kind.SOURCE) {
              @Override
              public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return src;
              }
            };
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        boolean ok =
            javac
                .getTask(
                    null,
                    files0,
                    diagnostics,
                    List.of("-classpath", classpath, "-d", out.toString(), "-proc:none"),
                    null,
                    List.of(unit))
                .call();
        if (!ok) {
          for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
              int line = (int) d.getLineNumber();
              int docLine =
                  line >= 1 && line <= lineMap.size() ? lineMap.get(line - 1) : s.firstLine();
              failures.add(
                  root.relativize(s.file())
                      + ":"
                      + docLine
                      + ": "
                      + String.join(
                          "; ", d.getMessage(Locale.ROOT).lines().map(String::strip).toList()));
            }
          }
        }
      }
    }
    if (!failures.isEmpty()) {
      fail("java blocks that do not compile:\n" + String.join("\n", failures));
    }
  }
}
