package dev.ringmoe.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code ringmoe version} (also {@code ringmoe --version}): the project's version, the ND4J version
 * and the backend this JVM loaded, and the Java runtime.
 *
 * <p>The project version comes from {@code ringmoe.properties}, which Maven's resource filtering
 * fills from the pom, so the version is written down once (in the pom). The ND4J version is the one
 * on the classpath (nd4j-api's own {@code pom.properties}), which may differ from the one the
 * project was built against when a host application overrides it.
 */
final class VersionCommand implements Command {
  static final String PROPERTIES = "ringmoe.properties";

  @Override
  public String name() {
    return "version";
  }

  @Override
  public String summary() {
    return "print the RingMoE, ND4J (and backend) and Java versions (also --version)";
  }

  @Override
  public String usage() {
    return "Usage: ringmoe version   (or ringmoe --version)\n\n"
        + "Prints the RingMoE version, the ND4J version with the backend and native build this JVM loads, and\n"
        + "the Java runtime.\n";
  }

  @Override
  public Set<String> valuedOptions() {
    return Set.of();
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) {
    out.println("ringmoe " + projectVersion());
    out.println("ND4J " + nd4jVersion() + ", " + backend());
    out.println(
        String.format(
            Locale.ROOT,
            "Java %s (%s %s) on %s %s",
            Runtime.version(),
            System.getProperty("java.vm.vendor", "?"),
            System.getProperty("java.vm.name", "?"),
            System.getProperty("os.name", "?"),
            System.getProperty("os.arch", "?")));
    return 0;
  }

  /** The project version, as the pom states it. */
  static String projectVersion() {
    return buildProperties().getProperty("version");
  }

  private static Properties buildProperties() {
    Properties p = new Properties();
    try (InputStream in = VersionCommand.class.getResourceAsStream(PROPERTIES)) {
      if (in == null) {
        throw new IllegalStateException(
            PROPERTIES + " is missing from the classpath: the moe-examples build is broken");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(PROPERTIES + ": " + e.getMessage(), e);
    }
    return p;
  }

  /** The nd4j-api version on the classpath, else the one the project was built against. */
  static String nd4jVersion() {
    Properties p = new Properties();
    try (InputStream in =
        Nd4j.class.getResourceAsStream("/META-INF/maven/org.nd4j/nd4j-api/pom.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // fall back to the build's version below
    }
    String v = p.getProperty("version");
    return v != null ? v : buildProperties().getProperty("nd4j.version") + " (built against)";
  }

  /**
   * The backend ND4J loads and, for nd4j-native, the native build JavaCPP picks (platform plus
   * {@code org.bytedeco.javacpp.platform.extension}, such as {@code linux-x86_64-onednn}).
   */
  static String backend() {
    String name;
    try {
      name = Nd4j.getBackend().getClass().getSimpleName();
    } catch (RuntimeException | LinkageError e) {
      return "no backend loads: " + RingMoeCli.describe(e);
    }
    String build =
        Loader.getPlatform() + System.getProperty("org.bytedeco.javacpp.platform.extension", "");
    Object blas = Nd4j.getExecutioner().getEnvironmentInformation().get("blas.vendor");
    return "backend "
        + name
        + " (native build "
        + build
        + (blas == null ? "" : ", BLAS " + blas)
        + ")";
  }
}
