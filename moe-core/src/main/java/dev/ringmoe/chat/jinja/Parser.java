package dev.ringmoe.chat.jinja;

import dev.ringmoe.chat.jinja.Lexer.Token;
import dev.ringmoe.chat.jinja.Lexer.Type;
import dev.ringmoe.chat.jinja.Node.Expr;
import dev.ringmoe.chat.jinja.Node.FilterCall;
import dev.ringmoe.chat.jinja.Node.Stmt;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Recursive-descent parser from tokens to {@link Node}s, following Jinja's grammar and operator
 * precedence ({@code jinja2/parser.py}). Tags, filters and tests outside what this engine
 * implements are refused here, at parse time, naming the construct and its line.
 */
final class Parser {

  private static final int MAX_NESTING = 200;

  /** Jinja tags this engine does not implement (refused as unsupported, not as unknown). */
  private static final Set<String> UNSUPPORTED_TAGS =
      Set.of(
          "include",
          "import",
          "from",
          "extends",
          "block",
          "with",
          "autoescape",
          "do",
          "trans",
          "pluralize",
          "debug");

  private final List<Token> toks;
  private int p;
  private int nesting;
  private String endTag;
  private int loopDepth;

  private Parser(List<Token> toks) {
    this.toks = toks;
  }

  static List<Stmt> parse(String source) {
    Parser ps = new Parser(Lexer.tokenize(source));
    List<Stmt> body = ps.body(Set.of(), 1, null);
    return body;
  }

  // ---- token helpers ----

  private Token cur() {
    return toks.get(p);
  }

  private Token next() {
    return toks.get(p++);
  }

  private boolean skipOp(String op) {
    if (cur().isOp(op)) {
      p++;
      return true;
    }
    return false;
  }

  private boolean skipName(String n) {
    if (cur().isName(n)) {
      p++;
      return true;
    }
    return false;
  }

  private void expectOp(String op) {
    if (!skipOp(op)) {
      throw JinjaException.syntax(cur().line(), "expected '" + op + "', got " + cur());
    }
  }

  private String expectName() {
    Token t = next();
    if (t.type() != Type.NAME) {
      throw JinjaException.syntax(t.line(), "expected a name, got " + t);
    }
    return t.value();
  }

  private void expectBlockEnd() {
    Token t = next();
    if (t.type() != Type.BLOCK_END) {
      throw JinjaException.syntax(t.line(), "expected end of statement '%}', got " + t);
    }
  }

  private void enter(int line) {
    if (++nesting > MAX_NESTING) {
      throw new JinjaException(
          JinjaException.Kind.LIMIT,
          "template nested deeper than " + MAX_NESTING + " at line " + line);
    }
  }

  // ---- statements ----

  /**
   * Parses until one of {@code ends} (consuming its BLOCK_BEGIN and name; {@link #endTag} holds the
   * name) or, for the top level, the end of the template.
   */
  private List<Stmt> body(Set<String> ends, int openLine, String opener) {
    List<Stmt> out = new ArrayList<>();
    while (true) {
      Token t = cur();
      switch (t.type()) {
        case EOF -> {
          if (!ends.isEmpty()) {
            throw JinjaException.syntax(
                openLine,
                "'"
                    + opener
                    + "' is never closed (expected "
                    + String.join(" or ", ends.stream().sorted().map(e -> "'" + e + "'").toList())
                    + " before the end of the template)");
          }
          return out;
        }
        case TEXT -> {
          p++;
          out.add(new Node.Text(t.line(), t.value()));
        }
        case VAR_BEGIN -> {
          p++;
          Expr e = tuple(true);
          Token end = next();
          if (end.type() != Type.VAR_END) {
            throw JinjaException.syntax(
                end.line(), "expected end of print statement '}}', got " + end);
          }
          out.add(new Node.Print(t.line(), e));
        }
        case BLOCK_BEGIN -> {
          Token name = toks.get(p + 1);
          if (name.type() == Type.NAME && ends.contains(name.value())) {
            p += 2;
            endTag = name.value();
            return out;
          }
          p++;
          enter(t.line());
          out.add(statement());
          nesting--;
        }
        default -> throw JinjaException.syntax(t.line(), "unexpected " + t);
      }
    }
  }

  private Stmt statement() {
    Token t = next();
    if (t.type() != Type.NAME) {
      throw JinjaException.syntax(t.line(), "expected a tag name, got " + t);
    }
    int line = t.line();
    switch (t.value()) {
      case "if":
        return ifStmt(line);
      case "for":
        return forStmt(line);
      case "set":
        return setStmt(line);
      case "macro":
        return macroStmt(line);
      case "call":
        return callStmt(line);
      case "filter":
        return filterStmt(line);
      case "break":
      case "continue":
        if (loopDepth == 0) {
          throw JinjaException.syntax(line, "'" + t.value() + "' outside of a loop");
        }
        expectBlockEnd();
        return t.value().equals("break") ? new Node.Break(line) : new Node.Continue(line);
      case "generation":
        {
          expectBlockEnd();
          List<Stmt> b = body(Set.of("endgeneration"), line, "generation");
          expectBlockEnd();
          return new Node.Block(line, b);
        }
      default:
        if (UNSUPPORTED_TAGS.contains(t.value())) {
          throw JinjaException.unsupported(line, "tag '" + t.value() + "'");
        }
        throw JinjaException.syntax(line, "unknown tag '" + t.value() + "'");
    }
  }

  private Stmt ifStmt(int line) {
    List<Expr> conds = new ArrayList<>();
    List<List<Stmt>> bodies = new ArrayList<>();
    conds.add(tuple(true));
    expectBlockEnd();
    while (true) {
      bodies.add(body(Set.of("elif", "else", "endif"), line, "if"));
      String tag = endTag;
      if (tag.equals("elif")) {
        conds.add(tuple(true));
        expectBlockEnd();
        continue;
      }
      if (tag.equals("else")) {
        expectBlockEnd();
        List<Stmt> otherwise = body(Set.of("endif"), line, "if");
        expectBlockEnd();
        return new Node.If(line, conds, bodies, otherwise);
      }
      expectBlockEnd();
      return new Node.If(line, conds, bodies, List.of());
    }
  }

  private Stmt forStmt(int line) {
    List<String> targets = new ArrayList<>();
    boolean unpack = assignTargets(targets);
    if (!skipName("in")) {
      throw JinjaException.syntax(cur().line(), "expected 'in' in for loop, got " + cur());
    }
    Expr iter = tuple(false);
    Expr filter = null;
    if (skipName("if")) {
      filter = expression(true);
    }
    if (cur().isName("recursive")) {
      throw JinjaException.unsupported(line, "recursive for loop");
    }
    expectBlockEnd();
    loopDepth++;
    List<Stmt> b = body(Set.of("else", "endfor"), line, "for");
    loopDepth--;
    List<Stmt> otherwise = List.of();
    if (endTag.equals("else")) {
      expectBlockEnd();
      otherwise = body(Set.of("endfor"), line, "for");
    }
    expectBlockEnd();
    return new Node.For(line, targets, unpack, iter, filter, b, otherwise);
  }

  /** Names of an assignment target; true when it is a tuple to unpack. */
  private boolean assignTargets(List<String> targets) {
    boolean paren = skipOp("(");
    targets.add(expectName());
    boolean unpack = paren;
    while (skipOp(",")) {
      unpack = true;
      if (cur().type() != Type.NAME || cur().isName("in")) {
        break;
      }
      targets.add(expectName());
    }
    if (paren) {
      expectOp(")");
    }
    return unpack;
  }

  private Stmt setStmt(int line) {
    Token first = cur();
    if (first.type() == Type.NAME && toks.get(p + 1).isOp(".")) {
      String ns = expectName();
      p++;
      String attr = expectName();
      if (skipOp("=")) {
        Expr v = tuple(true);
        expectBlockEnd();
        return new Node.Set(line, List.of(ns), false, attr, v);
      }
      return blockSet(line, ns, attr);
    }
    List<String> targets = new ArrayList<>();
    boolean unpack = assignTargets(targets);
    if (skipOp("=")) {
      Expr v = tuple(true);
      expectBlockEnd();
      return new Node.Set(line, targets, unpack, null, v);
    }
    if (unpack) {
      throw JinjaException.syntax(line, "a block set needs a single name");
    }
    return blockSet(line, targets.get(0), null);
  }

  private Stmt blockSet(int line, String target, String attr) {
    List<FilterCall> filters = new ArrayList<>();
    while (skipOp("|")) {
      filters.add(filterCall());
    }
    expectBlockEnd();
    List<Stmt> b = body(Set.of("endset"), line, "set");
    expectBlockEnd();
    return new Node.BlockSet(line, target, attr, filters, b);
  }

  private Node.MacroDef macroSignature(int line, String name) {
    List<String> params = new ArrayList<>();
    List<Expr> defaults = new ArrayList<>();
    expectOp("(");
    while (!skipOp(")")) {
      if (!params.isEmpty()) {
        expectOp(",");
        if (skipOp(")")) {
          break;
        }
      }
      params.add(expectName());
      defaults.add(skipOp("=") ? expression(true) : null);
    }
    return new Node.MacroDef(line, name, params, defaults, List.of());
  }

  private Stmt macroStmt(int line) {
    String name = expectName();
    Node.MacroDef sig = macroSignature(line, name);
    expectBlockEnd();
    int saved = loopDepth;
    loopDepth = 0;
    List<Stmt> b = body(Set.of("endmacro"), line, "macro");
    loopDepth = saved;
    expectBlockEnd();
    return new Node.MacroDef(line, name, sig.params, sig.defaults, b);
  }

  private Stmt callStmt(int line) {
    Node.MacroDef sig =
        cur().isOp("(")
            ? macroSignature(line, "caller")
            : new Node.MacroDef(line, "caller", List.of(), List.of(), List.of());
    Expr e = expression(true);
    if (!(e instanceof Node.Call c)) {
      throw JinjaException.syntax(line, "expected a call after 'call'");
    }
    expectBlockEnd();
    int saved = loopDepth;
    loopDepth = 0;
    List<Stmt> b = body(Set.of("endcall"), line, "call");
    loopDepth = saved;
    expectBlockEnd();
    return new Node.CallBlock(
        line, c, new Node.MacroDef(line, "caller", sig.params, sig.defaults, b));
  }

  private Stmt filterStmt(int line) {
    List<FilterCall> filters = new ArrayList<>();
    filters.add(filterCall());
    while (skipOp("|")) {
      filters.add(filterCall());
    }
    expectBlockEnd();
    List<Stmt> b = body(Set.of("endfilter"), line, "filter");
    expectBlockEnd();
    return new Node.FilterBlock(line, filters, b);
  }

  // ---- expressions ----

  private Expr tuple(boolean condExpr) {
    int line = cur().line();
    List<Expr> items = new ArrayList<>();
    boolean comma = false;
    while (true) {
      if (!items.isEmpty()) {
        if (!skipOp(",")) {
          break;
        }
        comma = true;
        Type t = cur().type();
        if (t == Type.VAR_END
            || t == Type.BLOCK_END
            || cur().isOp(")")
            || cur().isName("if") && !condExpr) {
          break;
        }
      }
      items.add(expression(condExpr));
    }
    return items.size() == 1 && !comma ? items.get(0) : new Node.ListLit(line, items, true);
  }

  private Expr expression(boolean condExpr) {
    enter(cur().line());
    Expr e = condExpr ? condExpr() : or();
    nesting--;
    return e;
  }

  private Expr condExpr() {
    Expr e = or();
    while (cur().isName("if")) {
      int line = next().line();
      Expr cond = or();
      Expr otherwise = skipName("else") ? condExpr() : null;
      e = new Node.CondExpr(line, cond, e, otherwise);
    }
    return e;
  }

  private Expr or() {
    Expr e = and();
    while (cur().isName("or")) {
      int line = next().line();
      e = new Node.Binary(line, "or", e, and());
    }
    return e;
  }

  private Expr and() {
    Expr e = not();
    while (cur().isName("and")) {
      int line = next().line();
      e = new Node.Binary(line, "and", e, not());
    }
    return e;
  }

  private Expr not() {
    if (cur().isName("not")) {
      int line = next().line();
      enter(line);
      Expr e = new Node.Unary(line, "not", not());
      nesting--;
      return e;
    }
    return compare();
  }

  private Expr compare() {
    int line = cur().line();
    Expr first = math1();
    List<String> ops = new ArrayList<>();
    List<Expr> rest = new ArrayList<>();
    while (true) {
      Token t = cur();
      if (t.type() == Type.OP && Set.of("==", "!=", "<", "<=", ">", ">=").contains(t.value())) {
        p++;
        ops.add(t.value());
      } else if (t.isName("in")) {
        p++;
        ops.add("in");
      } else if (t.isName("not") && toks.get(p + 1).isName("in")) {
        p += 2;
        ops.add("not in");
      } else {
        break;
      }
      rest.add(math1());
    }
    return ops.isEmpty() ? first : new Node.Compare(line, first, ops, rest);
  }

  private Expr math1() {
    Expr e = concat();
    while (cur().isOp("+") || cur().isOp("-")) {
      Token t = next();
      e = new Node.Binary(t.line(), t.value(), e, concat());
    }
    return e;
  }

  private Expr concat() {
    Expr e = math2();
    while (cur().isOp("~")) {
      Token t = next();
      e = new Node.Binary(t.line(), "~", e, math2());
    }
    return e;
  }

  private Expr math2() {
    Expr e = pow();
    while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
      Token t = next();
      e = new Node.Binary(t.line(), t.value(), e, pow());
    }
    return e;
  }

  private Expr pow() {
    Expr e = unary(true);
    while (cur().isOp("**")) {
      Token t = next();
      e = new Node.Binary(t.line(), "**", e, unary(true));
    }
    return e;
  }

  private Expr unary(boolean withFilter) {
    Token t = cur();
    Expr e;
    if (t.isOp("-") || t.isOp("+")) {
      p++;
      enter(t.line());
      e = new Node.Unary(t.line(), t.value(), unary(false));
      nesting--;
    } else {
      e = primary();
    }
    e = postfix(e);
    if (withFilter) {
      e = filterExpr(e);
    }
    return e;
  }

  private Expr primary() {
    Token t = next();
    int line = t.line();
    switch (t.type()) {
      case NAME:
        switch (t.value()) {
          case "true", "True":
            return new Node.Literal(line, Boolean.TRUE);
          case "false", "False":
            return new Node.Literal(line, Boolean.FALSE);
          case "none", "None":
            return new Node.Literal(line, null);
          default:
            return new Node.Name(line, t.value());
        }
      case STRING:
        {
          StringBuilder sb = new StringBuilder(t.value());
          while (cur().type() == Type.STRING) {
            sb.append(next().value());
          }
          return new Node.Literal(line, sb.toString());
        }
      case INT:
        try {
          return new Node.Literal(line, Long.parseLong(t.value()));
        } catch (NumberFormatException e) {
          throw JinjaException.unsupported(
              line, "integer literal " + t.value() + " (beyond 64 bits)");
        }
      case FLOAT:
        return new Node.Literal(line, Double.parseDouble(t.value()));
      case OP:
        switch (t.value()) {
          case "(":
            {
              if (skipOp(")")) {
                return new Node.ListLit(line, List.of(), true);
              }
              Expr e = tuple(true);
              expectOp(")");
              return e;
            }
          case "[":
            {
              List<Expr> items = new ArrayList<>();
              while (!skipOp("]")) {
                if (!items.isEmpty()) {
                  expectOp(",");
                  if (skipOp("]")) {
                    break;
                  }
                }
                items.add(expression(true));
              }
              return new Node.ListLit(line, items, false);
            }
          case "{":
            {
              List<Expr> keys = new ArrayList<>();
              List<Expr> values = new ArrayList<>();
              while (!skipOp("}")) {
                if (!keys.isEmpty()) {
                  expectOp(",");
                  if (skipOp("}")) {
                    break;
                  }
                }
                keys.add(expression(true));
                expectOp(":");
                values.add(expression(true));
              }
              return new Node.DictLit(line, keys, values);
            }
          default:
            break;
        }
        break;
      default:
        break;
    }
    throw JinjaException.syntax(line, "unexpected " + t);
  }

  private Expr postfix(Expr e) {
    while (true) {
      Token t = cur();
      if (t.isOp(".")) {
        p++;
        Token n = next();
        if (n.type() == Type.NAME) {
          e = new Node.GetAttr(t.line(), e, n.value());
        } else if (n.type() == Type.INT) {
          e = new Node.GetItem(t.line(), e, new Node.Literal(n.line(), Long.parseLong(n.value())));
        } else {
          throw JinjaException.syntax(n.line(), "expected an attribute name after '.', got " + n);
        }
      } else if (t.isOp("[")) {
        p++;
        e = subscript(t.line(), e);
      } else if (t.isOp("(")) {
        e = call(e);
      } else {
        return e;
      }
    }
  }

  private Expr subscript(int line, Expr obj) {
    Expr[] parts = new Expr[3];
    int part = 0;
    boolean slice = false;
    while (!cur().isOp("]")) {
      if (skipOp(":")) {
        slice = true;
        part++;
        if (part > 2) {
          throw JinjaException.syntax(line, "too many ':' in slice");
        }
        continue;
      }
      if (parts[part] != null) {
        throw JinjaException.syntax(cur().line(), "expected ']' or ':', got " + cur());
      }
      parts[part] = expression(true);
    }
    expectOp("]");
    if (!slice) {
      if (parts[0] == null) {
        throw JinjaException.syntax(line, "empty subscript");
      }
      return new Node.GetItem(line, obj, parts[0]);
    }
    return new Node.Slice(line, obj, parts[0], parts[1], parts[2]);
  }

  private Node.Call call(Expr fn) {
    int line = next().line();
    List<Expr> args = new ArrayList<>();
    List<String> kwNames = new ArrayList<>();
    List<Expr> kwValues = new ArrayList<>();
    callArgs(line, args, kwNames, kwValues);
    return new Node.Call(line, fn, args, kwNames, kwValues);
  }

  /** After '(': arguments up to and including ')'. */
  private void callArgs(int line, List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
    boolean first = true;
    while (!skipOp(")")) {
      if (!first) {
        expectOp(",");
        if (skipOp(")")) {
          break;
        }
      }
      first = false;
      if (cur().isOp("*") || cur().isOp("**")) {
        throw JinjaException.unsupported(
            cur().line(), "argument unpacking '" + cur().value() + "'");
      }
      if (cur().type() == Type.NAME && toks.get(p + 1).isOp("=")) {
        kwNames.add(next().value());
        p++;
        kwValues.add(expression(true));
      } else {
        if (!kwNames.isEmpty()) {
          throw JinjaException.syntax(cur().line(), "positional argument after keyword argument");
        }
        args.add(expression(true));
      }
    }
  }

  private Expr filterExpr(Expr e) {
    while (true) {
      Token t = cur();
      if (t.isOp("|")) {
        p++;
        e = new Node.Filter(t.line(), e, filterCall());
      } else if (t.isName("is")) {
        p++;
        e = test(t.line(), e);
      } else if (t.isOp("(")) {
        e = call(e);
      } else {
        return e;
      }
    }
  }

  private FilterCall filterCall() {
    Token n = next();
    if (n.type() != Type.NAME) {
      throw JinjaException.syntax(n.line(), "expected a filter name after '|', got " + n);
    }
    Filters.Fn fn = Filters.FILTERS.get(n.value());
    if (fn == null) {
      throw JinjaException.unsupported(n.line(), "filter '" + n.value() + "'");
    }
    List<Expr> args = new ArrayList<>();
    List<String> kwNames = new ArrayList<>();
    List<Expr> kwValues = new ArrayList<>();
    if (cur().isOp("(")) {
      p++;
      callArgs(n.line(), args, kwNames, kwValues);
    }
    return new FilterCall(n.line(), n.value(), fn, args, kwNames, kwValues);
  }

  private Expr test(int line, Expr value) {
    boolean negated = skipName("not");
    Token n = next();
    String name;
    if (n.type() == Type.NAME) {
      name = n.value();
    } else if (n.type() == Type.OP
        && Set.of("==", "!=", "<", "<=", ">", ">=").contains(n.value())) {
      name = n.value();
    } else {
      throw JinjaException.syntax(n.line(), "expected a test name after 'is', got " + n);
    }
    Filters.TestFn fn = Filters.TESTS.get(name);
    if (fn == null) {
      throw JinjaException.unsupported(n.line(), "test '" + name + "'");
    }
    List<Expr> args = new ArrayList<>();
    Token c = cur();
    if (c.isOp("(")) {
      p++;
      List<String> kwNames = new ArrayList<>();
      callArgs(line, args, kwNames, new ArrayList<>());
      if (!kwNames.isEmpty()) {
        throw JinjaException.unsupported(line, "keyword arguments to test '" + name + "'");
      }
    } else if ((c.type() == Type.NAME
            || c.type() == Type.STRING
            || c.type() == Type.INT
            || c.type() == Type.FLOAT
            || c.isOp("[")
            || c.isOp("{"))
        && !c.isName("else")
        && !c.isName("or")
        && !c.isName("and")
        && !c.isName("is")
        && !c.isName("if")
        && !c.isName("in")
        && !c.isName("not")) {
      args.add(postfix(primary()));
    }
    return new Node.Test(line, value, name, fn, args, negated);
  }
}
