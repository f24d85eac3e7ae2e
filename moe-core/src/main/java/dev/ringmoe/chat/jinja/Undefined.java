package dev.ringmoe.chat.jinja;

/**
 * Jinja's default {@code Undefined}: falsy, renders as the empty string, iterates as empty, has
 * length 0; any attribute, item, call or arithmetic on it raises {@code UndefinedError}.
 */
final class Undefined {

  private final String hint;

  Undefined(String hint) {
    this.hint = hint;
  }

  static Undefined name(String name) {
    return new Undefined("'" + name + "' is undefined");
  }

  static Undefined attribute(Object owner, Object attr) {
    return new Undefined("'" + Py.typeName(owner) + " object' has no attribute " + Py.repr(attr));
  }

  JinjaException error(int line) {
    return JinjaException.runtime(line, "UndefinedError: " + hint);
  }

  @Override
  public String toString() {
    return "";
  }
}
