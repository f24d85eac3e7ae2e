package dev.ringmoe.chat.jinja;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * A parsed Jinja template in transformers' chat-template environment. Immutable and thread-safe;
 * each {@link #render} call has its own scopes.
 */
public final class Template {

  private final List<Node.Stmt> body;

  private Template(List<Node.Stmt> body) {
    this.body = body;
  }

  /**
   * @param source the template text
   * @return the parsed template
   * @throws JinjaException ({@link JinjaException.Kind#SYNTAX} or {@link
   *     JinjaException.Kind#UNSUPPORTED}) naming the line
   */
  public static Template parse(String source) {
    return new Template(Parser.parse(source));
  }

  /**
   * @param variables the template variables; values are null, String, Long, Double, Boolean, List
   *     and Map (String keys), as {@code dev.ringmoe.chat} normalises them
   * @param clock the clock {@code strftime_now} reads
   * @return the rendered text
   * @throws JinjaException when rendering fails
   */
  public String render(Map<String, Object> variables, Clock clock) {
    Interpreter in = new Interpreter(variables, clock);
    StringBuilder out = new StringBuilder();
    try {
      Node.execAll(body, in, out);
    } catch (StackOverflowError e) {
      throw new JinjaException(JinjaException.Kind.LIMIT, "template recursion too deep");
    } catch (ArithmeticException e) {
      throw new JinjaException(JinjaException.Kind.RUNTIME, "integer overflow: " + e.getMessage());
    }
    return out.toString();
  }
}
