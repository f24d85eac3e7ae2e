package dev.ringmoe.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits template text into tokens the way Jinja's lexer does with {@code trim_blocks=True,
 * lstrip_blocks=True, keep_trailing_newline=False}: newlines normalised to {@code \n}, one trailing
 * newline dropped, {@code -} / {@code +} whitespace control on tags, comments removed.
 */
final class Lexer {

  enum Type {
    TEXT,
    VAR_BEGIN,
    VAR_END,
    BLOCK_BEGIN,
    BLOCK_END,
    NAME,
    STRING,
    INT,
    FLOAT,
    OP,
    EOF
  }

  record Token(Type type, String value, int line) {
    boolean is(Type t, String v) {
      return type == t && value.equals(v);
    }

    boolean isOp(String v) {
      return is(Type.OP, v);
    }

    boolean isName(String v) {
      return is(Type.NAME, v);
    }

    @Override
    public String toString() {
      return type == Type.EOF ? "end of template" : "'" + value + "'";
    }
  }

  private static final String[] OPS = {
    "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[",
    "]", "{", "}", ",", ".", ":", "|"
  };

  private final String src;
  private final List<Token> out = new ArrayList<>();
  private int pos;
  private int line = 1;

  private Lexer(String src) {
    this.src = src;
  }

  static List<Token> tokenize(String source) {
    String s = source.replace("\r\n", "\n").replace('\r', '\n');
    if (s.endsWith("\n")) {
      s = s.substring(0, s.length() - 1);
    }
    Lexer lx = new Lexer(s);
    lx.run();
    return lx.out;
  }

  private void run() {
    int n = src.length();
    while (pos < n) {
      int tag = nextTag(pos);
      boolean lineStart = pos == 0 || src.charAt(pos - 1) == '\n';
      String text = src.substring(pos, tag < 0 ? n : tag);
      if (tag < 0) {
        emitText(text);
        pos = n;
        break;
      }
      char kind = src.charAt(tag + 1);
      char sign = tag + 2 < n ? src.charAt(tag + 2) : 0;
      if (sign == '-') {
        text = rstrip(text);
      } else if (sign != '+' && kind != '{') {
        int lp = text.lastIndexOf('\n') + 1;
        if ((lp > 0 || lineStart) && lp < text.length() && isBlank(text, lp)) {
          text = text.substring(0, lp);
        }
      }
      emitText(text);
      pos = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
      if (kind == '#') {
        comment(tag);
      } else {
        tag(kind == '%');
      }
    }
    out.add(new Token(Type.EOF, "", line));
  }

  private int nextTag(int from) {
    int i = from;
    while (true) {
      i = src.indexOf('{', i);
      if (i < 0 || i + 1 >= src.length()) {
        return -1;
      }
      char c = src.charAt(i + 1);
      if (c == '{' || c == '%' || c == '#') {
        return i;
      }
      i++;
    }
  }

  private void emitText(String text) {
    if (!text.isEmpty()) {
      out.add(new Token(Type.TEXT, text, line));
      line += count(text);
    }
  }

  private void comment(int start) {
    int end = src.indexOf("#}", pos);
    if (end < 0) {
      throw JinjaException.syntax(line, "unclosed comment");
    }
    line += count(src.substring(start, end));
    boolean minus = end > pos && src.charAt(end - 1) == '-';
    boolean plus = end > pos && src.charAt(end - 1) == '+';
    pos = end + 2;
    afterTag(minus, !plus);
  }

  /** Whitespace control after a tag: {@code -} eats all whitespace, trim_blocks one newline. */
  private void afterTag(boolean minus, boolean trim) {
    if (minus) {
      while (pos < src.length() && Py.isSpace(src.charAt(pos))) {
        if (src.charAt(pos) == '\n') {
          line++;
        }
        pos++;
      }
    } else if (trim && pos < src.length() && src.charAt(pos) == '\n') {
      pos++;
      line++;
    }
  }

  private static final Pattern RAW_BEGIN = Pattern.compile("\\s*raw\\s*(-?)%}");
  private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");

  /** {@code {% raw %}...{% endraw %}}: the content is text, tags inside it included. */
  private boolean raw(int startLine) {
    Matcher b = RAW_BEGIN.matcher(src).region(pos, src.length());
    if (!b.lookingAt()) {
      return false;
    }
    pos = b.end();
    if (!b.group(1).isEmpty()) {
      afterTag(true, false);
    }
    Matcher e = RAW_END.matcher(src).region(pos, src.length());
    if (!e.find()) {
      throw JinjaException.syntax(startLine, "'raw' is never closed (expected 'endraw')");
    }
    String text = src.substring(pos, e.start());
    if (e.group(1).equals("-")) {
      text = rstrip(text);
    } else if (e.group(1).isEmpty()) {
      int lp = text.lastIndexOf('\n') + 1;
      if (lp > 0 && isBlank(text, lp)) {
        text = text.substring(0, lp);
      }
    }
    emitText(text);
    line += count(src.substring(pos, e.end())) - count(text);
    pos = e.end();
    afterTag(e.group(2).equals("-"), e.group(2).isEmpty());
    return true;
  }

  private void tag(boolean block) {
    int startLine = line;
    if (block && raw(startLine)) {
      return;
    }
    out.add(new Token(block ? Type.BLOCK_BEGIN : Type.VAR_BEGIN, block ? "{%" : "{{", line));
    String end = block ? "%}" : "}}";
    int depth = 0;
    int n = src.length();
    while (true) {
      while (pos < n && Py.isSpace(src.charAt(pos))) {
        if (src.charAt(pos) == '\n') {
          line++;
        }
        pos++;
      }
      if (pos >= n) {
        throw JinjaException.syntax(startLine, "unclosed tag, expected '" + end + "'");
      }
      if (depth == 0) {
        boolean minus = src.startsWith("-" + end, pos);
        boolean plus = block && src.startsWith("+" + end, pos);
        if (minus || plus || src.startsWith(end, pos)) {
          pos += end.length() + (minus || plus ? 1 : 0);
          out.add(new Token(block ? Type.BLOCK_END : Type.VAR_END, end, line));
          afterTag(minus, block && !plus);
          return;
        }
      }
      char c = src.charAt(pos);
      if (Character.isLetter(c) || c == '_') {
        int s = pos;
        while (pos < n && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
          pos++;
        }
        out.add(new Token(Type.NAME, src.substring(s, pos), line));
      } else if (Character.isDigit(c)) {
        number();
      } else if (c == '\'' || c == '"') {
        string(c);
      } else {
        String op = null;
        for (String o : OPS) {
          if (src.startsWith(o, pos)) {
            op = o;
            break;
          }
        }
        if (op == null) {
          throw JinjaException.syntax(line, "unexpected character '" + c + "'");
        }
        if (op.equals("(") || op.equals("[") || op.equals("{")) {
          depth++;
        } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
          depth = Math.max(0, depth - 1);
        }
        pos += op.length();
        out.add(new Token(Type.OP, op, line));
      }
    }
  }

  private void number() {
    int s = pos;
    int n = src.length();
    while (pos < n && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
      pos++;
    }
    boolean isFloat = false;
    if (pos + 1 < n && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
      isFloat = true;
      pos++;
      while (pos < n && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
        pos++;
      }
    }
    if (pos < n && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
      int p = pos + 1;
      if (p < n && (src.charAt(p) == '+' || src.charAt(p) == '-')) {
        p++;
      }
      if (p < n && Character.isDigit(src.charAt(p))) {
        isFloat = true;
        pos = p;
        while (pos < n && Character.isDigit(src.charAt(pos))) {
          pos++;
        }
      }
    }
    out.add(
        new Token(isFloat ? Type.FLOAT : Type.INT, src.substring(s, pos).replace("_", ""), line));
  }

  private void string(char quote) {
    int startLine = line;
    StringBuilder sb = new StringBuilder();
    int n = src.length();
    pos++;
    while (true) {
      if (pos >= n) {
        throw JinjaException.syntax(startLine, "unterminated string");
      }
      char c = src.charAt(pos++);
      if (c == quote) {
        break;
      }
      if (c == '\n') {
        line++;
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= n) {
        throw JinjaException.syntax(startLine, "unterminated string");
      }
      char e = src.charAt(pos++);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'v' -> sb.append('\u000b');
        case 'a' -> sb.append('\u0007');
        case '0' -> sb.append('\0');
        case '\\', '\'', '"' -> sb.append(e);
        case '\n' -> line++;
        case 'x' -> sb.append((char) hex(2, startLine));
        case 'u' -> sb.append((char) hex(4, startLine));
        case 'U' -> sb.appendCodePoint(hex(8, startLine));
        default -> sb.append('\\').append(e);
      }
    }
    out.add(new Token(Type.STRING, sb.toString(), startLine));
  }

  private int hex(int digits, int startLine) {
    if (pos + digits > src.length()) {
      throw JinjaException.syntax(startLine, "truncated escape in string");
    }
    try {
      int v = Integer.parseUnsignedInt(src.substring(pos, pos + digits), 16);
      pos += digits;
      return v;
    } catch (NumberFormatException e) {
      throw JinjaException.syntax(startLine, "bad escape in string");
    }
  }

  private static int count(String s) {
    int c = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\n') {
        c++;
      }
    }
    return c;
  }

  private static boolean isBlank(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      if (!Py.isSpace(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static String rstrip(String s) {
    int e = s.length();
    while (e > 0 && Py.isSpace(s.charAt(e - 1))) {
      e--;
    }
    return s.substring(0, e);
  }
}
