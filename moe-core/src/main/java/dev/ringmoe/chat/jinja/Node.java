package dev.ringmoe.chat.jinja;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The template's syntax tree; immutable once parsed, so one tree renders on many threads. */
final class Node {

  private Node() {}

  abstract static class Expr {
    final int line;

    Expr(int line) {
      this.line = line;
    }

    abstract Object eval(Interpreter in);
  }

  abstract static class Stmt {
    final int line;

    Stmt(int line) {
      this.line = line;
    }

    abstract void exec(Interpreter in, StringBuilder out);
  }

  // ---- expressions ----

  static final class Literal extends Expr {
    final Object value;

    Literal(int line, Object value) {
      super(line);
      this.value = value;
    }

    @Override
    Object eval(Interpreter in) {
      return value;
    }
  }

  static final class Name extends Expr {
    final String name;

    Name(int line, String name) {
      super(line);
      this.name = name;
    }

    @Override
    Object eval(Interpreter in) {
      return in.lookup(name);
    }
  }

  static final class ListLit extends Expr {
    final List<Expr> items;
    final boolean tuple;

    ListLit(int line, List<Expr> items, boolean tuple) {
      super(line);
      this.items = items;
      this.tuple = tuple;
    }

    @Override
    Object eval(Interpreter in) {
      Object[] vals = new Object[items.size()];
      for (int i = 0; i < vals.length; i++) {
        vals[i] = items.get(i).eval(in);
      }
      return tuple ? new Py.Tuple(vals) : new ArrayList<>(Arrays.asList(vals));
    }
  }

  static final class DictLit extends Expr {
    final List<Expr> keys;
    final List<Expr> values;

    DictLit(int line, List<Expr> keys, List<Expr> values) {
      super(line);
      this.keys = keys;
      this.values = values;
    }

    @Override
    Object eval(Interpreter in) {
      Map<Object, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < keys.size(); i++) {
        Object k = keys.get(i).eval(in);
        if (k instanceof List || k instanceof Map) {
          throw Py.typeError(line, "unhashable type: '" + Py.typeName(k) + "'");
        }
        m.put(k, values.get(i).eval(in));
      }
      return m;
    }
  }

  static final class GetAttr extends Expr {
    final Expr obj;
    final String name;

    GetAttr(int line, Expr obj, String name) {
      super(line);
      this.obj = obj;
      this.name = name;
    }

    @Override
    Object eval(Interpreter in) {
      return in.getattr(obj.eval(in), name, line);
    }
  }

  static final class GetItem extends Expr {
    final Expr obj;
    final Expr key;

    GetItem(int line, Expr obj, Expr key) {
      super(line);
      this.obj = obj;
      this.key = key;
    }

    @Override
    Object eval(Interpreter in) {
      Object o = obj.eval(in);
      return in.getitem(o, key.eval(in), line);
    }
  }

  static final class Slice extends Expr {
    final Expr obj;
    final Expr start;
    final Expr stop;
    final Expr step;

    Slice(int line, Expr obj, Expr start, Expr stop, Expr step) {
      super(line);
      this.obj = obj;
      this.start = start;
      this.stop = stop;
      this.step = step;
    }

    @Override
    Object eval(Interpreter in) {
      Object o = obj.eval(in);
      if (o instanceof Undefined u) {
        throw u.error(line);
      }
      Object a = start == null ? null : start.eval(in);
      Object b = stop == null ? null : stop.eval(in);
      Object c = step == null ? null : step.eval(in);
      return in.slice(o, a, b, c, line);
    }
  }

  static final class Call extends Expr {
    final Expr fn;
    final List<Expr> args;
    final List<String> kwNames;
    final List<Expr> kwValues;

    Call(int line, Expr fn, List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
      super(line);
      this.fn = fn;
      this.args = args;
      this.kwNames = kwNames;
      this.kwValues = kwValues;
    }

    @Override
    Object eval(Interpreter in) {
      return evalWith(in, null);
    }

    Object evalWith(Interpreter in, Object caller) {
      Object f = fn.eval(in);
      List<Object> a = new ArrayList<>(args.size());
      for (Expr e : args) {
        a.add(e.eval(in));
      }
      Map<String, Object> kw = new LinkedHashMap<>();
      for (int i = 0; i < kwNames.size(); i++) {
        kw.put(kwNames.get(i), kwValues.get(i).eval(in));
      }
      if (caller != null) {
        kw.put("caller", caller);
      }
      Object out = in.call(f, a, kw, line);
      if (out instanceof String s) {
        in.checkOutput(s, line);
      }
      return out;
    }
  }

  /** A filter application's name, function and arguments; used by expressions and blocks. */
  static final class FilterCall {
    final int line;
    final String name;
    final Filters.Fn fn;
    final List<Expr> args;
    final List<String> kwNames;
    final List<Expr> kwValues;

    FilterCall(
        int line,
        String name,
        Filters.Fn fn,
        List<Expr> args,
        List<String> kwNames,
        List<Expr> kwValues) {
      this.line = line;
      this.name = name;
      this.fn = fn;
      this.args = args;
      this.kwNames = kwNames;
      this.kwValues = kwValues;
    }

    Object apply(Interpreter in, Object value) {
      List<Object> a = new ArrayList<>(args.size());
      for (Expr e : args) {
        a.add(e.eval(in));
      }
      Map<String, Object> kw = new LinkedHashMap<>();
      for (int i = 0; i < kwNames.size(); i++) {
        kw.put(kwNames.get(i), kwValues.get(i).eval(in));
      }
      Object out = fn.apply(in, value, a, kw, line);
      if (out instanceof String s) {
        in.checkOutput(s, line);
      }
      return out;
    }
  }

  static final class Filter extends Expr {
    final Expr value;
    final FilterCall call;

    Filter(int line, Expr value, FilterCall call) {
      super(line);
      this.value = value;
      this.call = call;
    }

    @Override
    Object eval(Interpreter in) {
      return call.apply(in, value.eval(in));
    }
  }

  static final class Test extends Expr {
    final Expr value;
    final String name;
    final Filters.TestFn fn;
    final List<Expr> args;
    final boolean negated;

    Test(int line, Expr value, String name, Filters.TestFn fn, List<Expr> args, boolean negated) {
      super(line);
      this.value = value;
      this.name = name;
      this.fn = fn;
      this.args = args;
      this.negated = negated;
    }

    @Override
    Object eval(Interpreter in) {
      Object v = value.eval(in);
      List<Object> a = new ArrayList<>(args.size());
      for (Expr e : args) {
        a.add(e.eval(in));
      }
      return fn.test(in, v, a, line) != negated;
    }
  }

  static final class Unary extends Expr {
    final String op;
    final Expr x;

    Unary(int line, String op, Expr x) {
      super(line);
      this.op = op;
      this.x = x;
    }

    @Override
    Object eval(Interpreter in) {
      Object v = x.eval(in);
      if (op.equals("not")) {
        return !Py.truthy(v);
      }
      return in.unary(op, v, line);
    }
  }

  static final class Binary extends Expr {
    final String op;
    final Expr a;
    final Expr b;

    Binary(int line, String op, Expr a, Expr b) {
      super(line);
      this.op = op;
      this.a = a;
      this.b = b;
    }

    @Override
    Object eval(Interpreter in) {
      Object l = a.eval(in);
      if (op.equals("and")) {
        return Py.truthy(l) ? b.eval(in) : l;
      }
      if (op.equals("or")) {
        return Py.truthy(l) ? l : b.eval(in);
      }
      return in.binary(op, l, b.eval(in), line);
    }
  }

  static final class Compare extends Expr {
    final Expr first;
    final List<String> ops;
    final List<Expr> rest;

    Compare(int line, Expr first, List<String> ops, List<Expr> rest) {
      super(line);
      this.first = first;
      this.ops = ops;
      this.rest = rest;
    }

    @Override
    Object eval(Interpreter in) {
      Object l = first.eval(in);
      for (int i = 0; i < ops.size(); i++) {
        Object r = rest.get(i).eval(in);
        if (!in.compare(ops.get(i), l, r, line)) {
          return false;
        }
        l = r;
      }
      return true;
    }
  }

  static final class CondExpr extends Expr {
    final Expr cond;
    final Expr then;
    final Expr otherwise;

    CondExpr(int line, Expr cond, Expr then, Expr otherwise) {
      super(line);
      this.cond = cond;
      this.then = then;
      this.otherwise = otherwise;
    }

    @Override
    Object eval(Interpreter in) {
      if (Py.truthy(cond.eval(in))) {
        return then.eval(in);
      }
      return otherwise == null
          ? new Undefined("the inline if-expression evaluated to false")
          : otherwise.eval(in);
    }
  }

  // ---- statements ----

  static void execAll(List<Stmt> body, Interpreter in, StringBuilder out) {
    for (Stmt s : body) {
      s.exec(in, out);
    }
  }

  static final class Text extends Stmt {
    final String text;

    Text(int line, String text) {
      super(line);
      this.text = text;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      out.append(text);
      in.checkOutput(out, line);
    }
  }

  static final class Print extends Stmt {
    final Expr expr;

    Print(int line, Expr expr) {
      super(line);
      this.expr = expr;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      out.append(Py.str(expr.eval(in)));
      in.checkOutput(out, line);
    }
  }

  static final class If extends Stmt {
    final List<Expr> conds;
    final List<List<Stmt>> bodies;
    final List<Stmt> otherwise;

    If(int line, List<Expr> conds, List<List<Stmt>> bodies, List<Stmt> otherwise) {
      super(line);
      this.conds = conds;
      this.bodies = bodies;
      this.otherwise = otherwise;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      for (int i = 0; i < conds.size(); i++) {
        if (Py.truthy(conds.get(i).eval(in))) {
          execAll(bodies.get(i), in, out);
          return;
        }
      }
      execAll(otherwise, in, out);
    }
  }

  static final class For extends Stmt {
    final List<String> targets;
    final boolean unpack;
    final Expr iter;
    final Expr filter;
    final List<Stmt> body;
    final List<Stmt> otherwise;

    For(
        int line,
        List<String> targets,
        boolean unpack,
        Expr iter,
        Expr filter,
        List<Stmt> body,
        List<Stmt> otherwise) {
      super(line);
      this.targets = targets;
      this.unpack = unpack;
      this.iter = iter;
      this.filter = filter;
      this.body = body;
      this.otherwise = otherwise;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      List<Object> all = Py.iterate(iter.eval(in), line);
      List<Object> items = all;
      if (filter != null) {
        items = new ArrayList<>();
        for (Object o : all) {
          in.tick(line);
          Interpreter.Scope s = in.push();
          try {
            in.assign(targets, unpack, o, line);
            if (Py.truthy(filter.eval(in))) {
              items.add(o);
            }
          } finally {
            in.pop(s);
          }
        }
      }
      // depth counts recursive-loop levels only, which this engine refuses: always 1
      Loop loop = new Loop(items, 1);
      for (int i = 0; i < items.size(); i++) {
        in.tick(line);
        loop.index0 = i;
        Interpreter.Scope s = in.push();
        try {
          in.scope.vars.put("loop", loop);
          in.assign(targets, unpack, items.get(i), line);
          execAll(body, in, out);
        } catch (Interpreter.Break b) {
          break;
        } catch (Interpreter.Continue c) {
          continue;
        } finally {
          in.pop(s);
        }
      }
      if (items.isEmpty()) {
        Interpreter.Scope s = in.push();
        try {
          execAll(otherwise, in, out);
        } finally {
          in.pop(s);
        }
      }
    }
  }

  static final class Set extends Stmt {
    final List<String> targets;
    final boolean unpack;
    final String nsAttr;
    final Expr value;

    Set(int line, List<String> targets, boolean unpack, String nsAttr, Expr value) {
      super(line);
      this.targets = targets;
      this.unpack = unpack;
      this.nsAttr = nsAttr;
      this.value = value;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      Object v = value.eval(in);
      if (nsAttr != null) {
        in.setNamespaceAttr(targets.get(0), nsAttr, v, line);
      } else {
        in.assign(targets, unpack, v, line);
      }
    }
  }

  static final class BlockSet extends Stmt {
    final String target;
    final String nsAttr;
    final List<FilterCall> filters;
    final List<Stmt> body;

    BlockSet(int line, String target, String nsAttr, List<FilterCall> filters, List<Stmt> body) {
      super(line);
      this.target = target;
      this.nsAttr = nsAttr;
      this.filters = filters;
      this.body = body;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      StringBuilder sb = new StringBuilder();
      execAll(body, in, sb);
      Object v = sb.toString();
      for (FilterCall f : filters) {
        v = f.apply(in, v);
      }
      if (nsAttr != null) {
        in.setNamespaceAttr(target, nsAttr, v, line);
      } else {
        in.scope.vars.put(target, v);
      }
    }
  }

  static final class FilterBlock extends Stmt {
    final List<FilterCall> filters;
    final List<Stmt> body;

    FilterBlock(int line, List<FilterCall> filters, List<Stmt> body) {
      super(line);
      this.filters = filters;
      this.body = body;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      StringBuilder sb = new StringBuilder();
      execAll(body, in, sb);
      Object v = sb.toString();
      for (FilterCall f : filters) {
        v = f.apply(in, v);
      }
      out.append(Py.str(v));
      in.checkOutput(out, line);
    }
  }

  /** A macro's definition: name, parameters with defaults (null where none), body. */
  static final class MacroDef extends Stmt {
    final String name;
    final List<String> params;
    final List<Expr> defaults;
    final List<Stmt> body;

    MacroDef(int line, String name, List<String> params, List<Expr> defaults, List<Stmt> body) {
      super(line);
      this.name = name;
      this.params = params;
      this.defaults = defaults;
      this.body = body;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      in.scope.vars.put(name, new Interpreter.Macro(this, in.scope));
    }
  }

  static final class CallBlock extends Stmt {
    final Call call;
    final MacroDef caller;

    CallBlock(int line, Call call, MacroDef caller) {
      super(line);
      this.call = call;
      this.caller = caller;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      out.append(Py.str(call.evalWith(in, new Interpreter.Macro(caller, in.scope))));
      in.checkOutput(out, line);
    }
  }

  static final class Break extends Stmt {
    Break(int line) {
      super(line);
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      throw Interpreter.BREAK;
    }
  }

  static final class Continue extends Stmt {
    Continue(int line) {
      super(line);
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      throw Interpreter.CONTINUE;
    }
  }

  static final class Block extends Stmt {
    final List<Stmt> body;

    Block(int line, List<Stmt> body) {
      super(line);
      this.body = body;
    }

    @Override
    void exec(Interpreter in, StringBuilder out) {
      execAll(body, in, out);
    }
  }
}
