package dev.ringmoe.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ringmoe.ReferenceData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of real reference shards' headers and of real {@code
 * model.safetensors.index.json} files: every mutant either loads correctly or is refused with a
 * {@link CheckpointFormatException} whose message names the file. No other exception, no hang
 * (preemptive timeout).
 *
 * <p>To keep each mutant small, the shards are miniatures of the reference shards: the same header
 * (tensor names and order, dtypes, ranks, {@code __metadata__}, compact JSON padded with spaces as
 * the writers do) with every dimension capped at 2, and the first bytes of each real tensor as its
 * data. Mutations touch the 8-byte length and the header only; the data section stays the
 * miniature's, so a load whose tensor table equals the miniature's must read exactly its bytes (a
 * header length landing in the padding, the bug of issue 8 item 2, fails that).
 *
 * <p>Each mutation has an expected outcome where the rules decide it (a duplicate key must be
 * refused, reordered members must load, ...), checked as well. Deterministic: mutant {@code i} of a
 * source uses {@code new Random(SEED * 1_000_003 + i)}, and a failure names the source, index and
 * operator.
 */
class CheckpointFuzzTest {
  private static final long SEED = 20240808L;
  private static final int SHARD_MUTANTS_PER_SOURCE = 450;
  private static final int INDEX_MUTANTS_PER_SOURCE = 600;
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  @TempDir Path dir;

  private enum Expect {
    LOAD,
    REFUSE,
    EITHER
  }

  // ---- a tiny JSON model whose leaves are raw text, so that a mutation can write anything, valid
  // or not ----

  private interface Node {
    Node copy();
  }

  private record Raw(String text) implements Node {
    @Override
    public Node copy() {
      return this;
    }
  }

  private static final class Member {
    String key; // as written, with its quotes
    Node value;

    Member(String key, Node value) {
      this.key = key;
      this.value = value;
    }
  }

  private static final class Obj implements Node {
    final List<Member> members = new ArrayList<>();

    @Override
    public Obj copy() {
      Obj o = new Obj();
      for (Member m : members) {
        o.members.add(new Member(m.key, m.value.copy()));
      }
      return o;
    }

    Member get(String name) {
      for (Member m : members) {
        if (m.key.equals(quote(name))) {
          return m;
        }
      }
      return null;
    }
  }

  private static final class Arr implements Node {
    final List<Node> items = new ArrayList<>();

    @Override
    public Arr copy() {
      Arr a = new Arr();
      for (Node n : items) {
        a.items.add(n.copy());
      }
      return a;
    }
  }

  private static String quote(String s) {
    return GSON.toJson(s);
  }

  private static Node model(JsonElement e) {
    if (e.isJsonObject()) {
      Obj o = new Obj();
      for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
        o.members.add(new Member(quote(m.getKey()), model(m.getValue())));
      }
      return o;
    }
    if (e.isJsonArray()) {
      Arr a = new Arr();
      for (JsonElement x : e.getAsJsonArray()) {
        a.items.add(model(x));
      }
      return a;
    }
    return new Raw(GSON.toJson(e));
  }

  private static void write(StringBuilder sb, Node n, String gap) {
    if (n instanceof Raw r) {
      sb.append(r.text());
    } else if (n instanceof Obj o) {
      sb.append('{');
      for (int i = 0; i < o.members.size(); i++) {
        sb.append(i == 0 ? "" : "," + gap).append(o.members.get(i).key).append(':').append(gap);
        write(sb, o.members.get(i).value, gap);
      }
      sb.append('}');
    } else {
      Arr a = (Arr) n;
      sb.append('[');
      for (int i = 0; i < a.items.size(); i++) {
        sb.append(i == 0 ? "" : "," + gap);
        write(sb, a.items.get(i), gap);
      }
      sb.append(']');
    }
  }

  private static String text(Node n, String gap) {
    StringBuilder sb = new StringBuilder();
    write(sb, n, gap);
    return sb.toString();
  }

  // ---- miniature shards ----

  /** A tensor as the header describes it, with offsets relative to the data section. */
  private record Entry(String dtype, List<Long> shape, long begin, long end) {}

  private record Mini(String label, Obj header, byte[] data, Map<String, Entry> table) {
    byte[] file() {
      return shardFile(text(header, ""), "");
    }
  }

  private static byte[] shardFile(String json, String trailer) {
    StringBuilder sb = new StringBuilder(json).append(trailer);
    if (trailer.isEmpty()) {
      // As the writers pad, to a multiple of 8, but always at least one space so that every source
      // has the
      // padding a too-small header length can land in.
      int pad = 8 - sb.length() % 8;
      sb.append(" ".repeat(pad));
    }
    byte[] h = sb.toString().getBytes(StandardCharsets.UTF_8);
    return concat(prefix(h.length), h);
  }

  private static byte[] prefix(long n) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static Mini mini(String label, Path shard) throws IOException {
    try (FileChannel ch = FileChannel.open(shard)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      int n = (int) len.getLong(0);
      ByteBuffer hb = ByteBuffer.allocate(n);
      ch.read(hb, 8);
      JsonObject real =
          JsonParser.parseString(new String(hb.array(), StandardCharsets.UTF_8)).getAsJsonObject();
      List<String> byOffset = new ArrayList<>();
      for (String k : real.keySet()) {
        if (!k.equals("__metadata__")) {
          byOffset.add(k);
        }
      }
      byOffset.sort(
          Comparator.comparingLong(
              k -> real.getAsJsonObject(k).getAsJsonArray("data_offsets").get(0).getAsLong()));
      Map<String, Entry> table = new LinkedHashMap<>();
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      for (String k : byOffset) {
        JsonObject t = real.getAsJsonObject(k);
        DType dtype = DType.parse(t.get("dtype").getAsString());
        List<Long> shape = new ArrayList<>();
        long count = 1;
        for (JsonElement d : t.getAsJsonArray("shape")) {
          long dim = Math.min(d.getAsLong(), 2);
          shape.add(dim);
          count *= dim;
        }
        int bytes = (int) (count * dtype.byteSize());
        ByteBuffer b = ByteBuffer.allocate(bytes);
        ch.read(b, 8 + n + t.getAsJsonArray("data_offsets").get(0).getAsLong());
        long begin = data.size();
        data.writeBytes(b.array());
        table.put(k, new Entry(dtype.name(), shape, begin, data.size()));
      }
      // the miniature header, in the real header's key and field order
      JsonObject out = new JsonObject();
      for (String k : real.keySet()) {
        if (k.equals("__metadata__")) {
          out.add(k, real.get(k));
          continue;
        }
        Entry e = table.get(k);
        JsonObject t = new JsonObject();
        for (String field : real.getAsJsonObject(k).keySet()) {
          switch (field) {
            case "dtype" -> t.addProperty(field, e.dtype());
            case "shape" -> {
              JsonArray a = new JsonArray();
              e.shape().forEach(a::add);
              t.add(field, a);
            }
            case "data_offsets" -> {
              JsonArray a = new JsonArray();
              a.add(e.begin());
              a.add(e.end());
              t.add(field, a);
            }
            default -> t.add(field, real.getAsJsonObject(k).get(field));
          }
        }
        out.add(k, t);
      }
      return new Mini(label, (Obj) model(out), data.toByteArray(), table);
    }
  }

  // ---- shard mutations ----

  private record Mutant(String op, byte[] bytes, Expect expect) {}

  private static final String[] INTERESTING = {
    "\u0000", "\u001f", "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "9", "-", ".", "e", "n",
    "\u00e9", "\t", "\n"
  };
  private static final String[] NUMBER_VARIANTS = {
    "2.0",
    "2e0",
    "1E1",
    "-1",
    "-0",
    "1e400",
    "NaN",
    "Infinity",
    "0x10",
    "01",
    "+1",
    "",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "x+1",
    "x-1",
    "x*2",
    "0",
    "1",
    "2.5"
  };
  private static final String[] UNKNOWN_DTYPES = {
    "\"F8_E8M0\"", "\"f32\"", "\"C64\"", "\"F4\"", "\"\"", "\"F32 \"", "\"bf16\""
  };

  private static <T> T pick(Random r, List<T> l) {
    return l.get(r.nextInt(l.size()));
  }

  private static <T> T pick(Random r, T[] a) {
    return a[r.nextInt(a.length)];
  }

  private static List<Member> tensors(Obj header) {
    List<Member> out = new ArrayList<>();
    for (Member m : header.members) {
      if (!m.key.equals("\"__metadata__\"")) {
        out.add(m);
      }
    }
    return out;
  }

  private static String randomBytes(Random r, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(pick(r, INTERESTING));
    }
    return sb.toString();
  }

  private static Mutant mutateShard(Mini mini, Random r) {
    byte[] base = mini.file();
    int headerEnd = base.length;
    byte[] data = mini.data();
    Obj h = mini.header().copy();
    List<Member> ts = tensors(h);
    Member t = pick(r, ts);
    Obj tObj = (Obj) t.value;
    switch (r.nextInt(21)) {
      case 0:
        { // flip one byte of the length or the header
          byte[] b = base.clone();
          int pos = r.nextInt(headerEnd);
          b[pos] ^= (byte) (1 + r.nextInt(255));
          return new Mutant("flip", concat(b, data), pos < 8 ? Expect.REFUSE : Expect.EITHER);
        }
      case 1:
        { // set one header byte to a JSON-significant or odd value
          byte[] b = base.clone();
          int pos = 8 + r.nextInt(headerEnd - 8);
          byte[] v = pick(r, INTERESTING).getBytes(StandardCharsets.UTF_8);
          b[pos] = v[r.nextInt(v.length)];
          return new Mutant("set", concat(b, data), Expect.EITHER);
        }
      case 2:
        { // truncate anywhere
          byte[] all = concat(base, data);
          return new Mutant("truncate", Arrays.copyOf(all, r.nextInt(all.length)), Expect.REFUSE);
        }
      case 3:
        { // bytes appended after the last tensor
          byte[] extra = new byte[1 + r.nextInt(16)];
          r.nextBytes(extra);
          return new Mutant("append", concat(base, data, extra), Expect.REFUSE);
        }
      case 4:
      case 5:
        { // insert or delete header bytes, with the length adjusted or not
          boolean insert = r.nextBoolean();
          boolean adjust = r.nextBoolean();
          int k = 1 + r.nextInt(8);
          int pos = 8 + r.nextInt(headerEnd - 8 - (insert ? 0 : k));
          byte[] mid = insert ? randomBytes(r, k).getBytes(StandardCharsets.UTF_8) : new byte[0];
          byte[] b =
              concat(
                  Arrays.copyOfRange(base, 0, pos),
                  mid,
                  Arrays.copyOfRange(base, insert ? pos : pos + k, headerEnd),
                  data);
          long n = headerEnd - 8 + (insert ? mid.length : -k);
          if (adjust) {
            System.arraycopy(prefix(n), 0, b, 0, 8);
          }
          return new Mutant(
              (insert ? "insert" : "delete") + (adjust ? "+len" : ""), b, Expect.EITHER);
        }
      case 6:
        { // a wrong header length: a few bytes off (into the padding, or into the data), or absurd
          long n = headerEnd - 8;
          long[] specials = {
            0, 1, n * 2, Long.MAX_VALUE, -1, 100_000_000, 100_000_001, base.length + data.length
          };
          long m =
              r.nextInt(4) == 0
                  ? pick(r, Arrays.stream(specials).boxed().toList())
                  : n + (r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(16));
          byte[] b = concat(base, data);
          System.arraycopy(prefix(m), 0, b, 0, 8);
          return new Mutant("length", b, Expect.REFUSE);
        }
      case 7:
        { // a number token: fractions, exponents, signs, huge, off by one
          Arr a = (Arr) (r.nextBoolean() ? tObj.get("shape") : tObj.get("data_offsets")).value;
          if (a.items.isEmpty()) {
            return new Mutant("number-noop", concat(base, data), Expect.LOAD);
          }
          int i = r.nextInt(a.items.size());
          long x = Long.parseLong(((Raw) a.items.get(i)).text());
          String v = pick(r, NUMBER_VARIANTS);
          v =
              switch (v) {
                case "x+1" -> Long.toString(x + 1);
                case "x-1" -> Long.toString(x - 1);
                case "x*2" -> Long.toString(x * 2);
                default -> v;
              };
          if (v.equals(Long.toString(x))) {
            v = Long.toString(x + 7);
          }
          a.items.set(i, new Raw(v));
          return json("number", h, data, Expect.REFUSE);
        }
      case 8:
        { // a value of the wrong JSON type
          List<String> notString = List.of("null", "true", "1", "{}", "[]", "[1]");
          List<String> notArray = List.of("null", "true", "1", "\"2\"", "{}");
          List<String> notObject = List.of("null", "true", "1", "\"2\"", "[]", "[1]");
          List<String> notNumber = List.of("null", "true", "\"2\"", "{}", "[]", "[1]");
          Member meta = h.get("__metadata__");
          switch (r.nextInt(6)) {
            case 0 -> tObj.get("dtype").value = new Raw(pick(r, notString));
            case 1 ->
                (r.nextBoolean() ? tObj.get("shape") : tObj.get("data_offsets")).value =
                    new Raw(pick(r, notArray));
            case 2 -> t.value = new Raw(pick(r, notObject));
            case 3 -> {
              Arr a =
                  (Arr)
                      (r.nextBoolean() || ((Arr) tObj.get("shape").value).items.isEmpty()
                              ? tObj.get("data_offsets")
                              : tObj.get("shape"))
                          .value;
              a.items.set(r.nextInt(a.items.size()), new Raw(pick(r, notNumber)));
            }
            case 4 -> {
              if (meta == null) {
                t.value = new Raw("[]");
              } else {
                meta.value = new Raw(pick(r, notObject));
              }
            }
            default -> {
              if (meta == null || ((Obj) meta.value).members.isEmpty()) {
                tObj.get("dtype").value = new Raw("7");
              } else {
                pick(r, ((Obj) meta.value).members).value = new Raw(pick(r, notString));
              }
            }
          }
          return json("type", h, data, Expect.REFUSE);
        }
      case 9:
        { // a duplicate name: tensor, __metadata__, metadata key, or field
          Member meta = h.get("__metadata__");
          int where = r.nextInt(4);
          if (where == 0) {
            h.members.add(r.nextInt(h.members.size() + 1), new Member(t.key, t.value.copy()));
          } else if (where == 1 && meta != null) {
            h.members.add(r.nextInt(h.members.size() + 1), new Member(meta.key, meta.value.copy()));
          } else if (where == 2 && meta != null && !((Obj) meta.value).members.isEmpty()) {
            Obj mo = (Obj) meta.value;
            Member k = pick(r, mo.members);
            mo.members.add(r.nextInt(mo.members.size() + 1), new Member(k.key, new Raw("\"x\"")));
          } else {
            Member f = pick(r, tObj.members);
            Node v =
                r.nextBoolean()
                    ? f.value.copy()
                    : ((Obj) pick(r, ts).value)
                        .get(f.key.substring(1, f.key.length() - 1))
                        .value
                        .copy();
            tObj.members.add(r.nextInt(tObj.members.size() + 1), new Member(f.key, v));
          }
          return json("duplicate", h, data, Expect.REFUSE);
        }
      case 10:
        { // a member removed
          int what = r.nextInt(3);
          if (what == 0) {
            tObj.members.remove(r.nextInt(tObj.members.size()));
            return json("remove-field", h, data, Expect.REFUSE);
          }
          if (what == 1 || h.get("__metadata__") == null) {
            h.members.remove(t);
            return json("remove-tensor", h, data, Expect.REFUSE);
          }
          h.members.remove(h.get("__metadata__"));
          return json("remove-metadata", h, data, Expect.LOAD);
        }
      case 11:
        { // another dtype: loads if the element size is the same, else the size mismatches
          DType old = DType.parse(mini.table().get(unquote(t.key)).dtype());
          if (r.nextInt(3) == 0) {
            tObj.get("dtype").value = new Raw(pick(r, UNKNOWN_DTYPES));
            return json("dtype-unknown", h, data, Expect.REFUSE);
          }
          DType d = pick(r, DType.values());
          tObj.get("dtype").value = new Raw(quote(d.name()));
          return json(
              "dtype", h, data, d.byteSize() == old.byteSize() ? Expect.LOAD : Expect.REFUSE);
        }
      case 12:
        { // a tensor renamed
          String name = unquote(t.key);
          int at = r.nextInt(name.length() + 1);
          switch (r.nextInt(7)) {
            case 0:
              t.key = quote("fuzz." + r.nextInt(1000) + "." + name);
              return json("rename", h, data, Expect.LOAD);
            case 1:
              Member other = pick(r, ts);
              if (other == t) {
                return json("rename-same", h, data, Expect.LOAD);
              }
              t.key = other.key;
              return json("rename-duplicate", h, data, Expect.REFUSE);
            case 2:
              t.key = "\"__metadata__\"";
              return json("rename-metadata", h, data, Expect.REFUSE);
            case 3:
              t.key =
                  "\"" + name.substring(0, at) + (char) r.nextInt(0x20) + name.substring(at) + "\"";
              return json("rename-raw-control", h, data, Expect.REFUSE);
            case 4:
              t.key =
                  "\""
                      + name.substring(0, at)
                      + String.format("\\u%04x", r.nextInt(0x20))
                      + name.substring(at)
                      + "\"";
              return json("rename-escaped-control", h, data, Expect.LOAD);
            case 5:
              t.key =
                  "\""
                      + name.substring(0, at)
                      + (r.nextBoolean() ? "\\ud800" : "\\udfff")
                      + name.substring(at)
                      + "\"";
              return json("rename-lone-surrogate", h, data, Expect.REFUSE);
            default:
              t.key =
                  "\"" + name.substring(0, at) + "\\ud83d\\ude00\u00e9" + name.substring(at) + "\"";
              return json("rename-unicode", h, data, Expect.LOAD);
          }
        }
      case 13:
        { // data_offsets of two tensors swapped: still a tiling if their sizes are equal
          Member u = pick(r, ts);
          Entry a = mini.table().get(unquote(t.key));
          Entry b = mini.table().get(unquote(u.key));
          Member ta = tObj.get("data_offsets");
          Member ub = ((Obj) u.value).get("data_offsets");
          Node tmp = ta.value;
          ta.value = ub.value;
          ub.value = tmp;
          return json(
              "swap-offsets",
              h,
              data,
              a.end() - a.begin() == b.end() - b.begin() ? Expect.LOAD : Expect.REFUSE);
        }
      case 14:
        { // members reordered: same file
          Collections.shuffle(h.members, r);
          for (Member m : tensors(h)) {
            Collections.shuffle(((Obj) m.value).members, r);
          }
          return json("shuffle", h, data, Expect.LOAD);
        }
      case 15:
        { // whitespace between tokens: same file
          String gap = pick(r, List.of(" ", "\n", "\t", "\r\n  "));
          return new Mutant("spaced", concat(shardFile(text(h, gap), ""), data), Expect.LOAD);
        }
      case 16:
        { // whitespace before the object: refused (InvalidHeaderStart)
          String lead = pick(r, List.of(" ", "\n", "\t", "\r"));
          return new Mutant(
              "leading-space", concat(shardFile(lead + text(h, ""), ""), data), Expect.REFUSE);
        }
      case 17:
        { // what follows the object: whitespace loads, anything else is refused
          if (r.nextBoolean()) {
            String ws = randomWhitespace(r, 1 + r.nextInt(12));
            return new Mutant(
                "trailing-space", concat(shardFile(text(h, ""), ws), data), Expect.LOAD);
          }
          String junk =
              pick(r, List.of("\u0000", "\u0000\u0000\u0000", "x", "}", ",", "{}", " 1", "\u00a0"));
          return new Mutant(
              "trailing-junk", concat(shardFile(text(h, "") + junk, ""), data), Expect.REFUSE);
        }
      case 18:
        { // an unknown field: ignored if it is valid JSON without duplicates
          List<String> good =
              List.of("1", "\"s\"", "[1,{\"a\":null}]", "{\"k\":\"v\"}", "-1.5e3", "\"\\u0000\"");
          List<String> bad =
              List.of("{\"a\":1,\"a\":2}", "\"a\u0001\"", "NaN", "[1,]", "'x'", "\"\\ud800\"");
          boolean ok = r.nextBoolean();
          tObj.members.add(
              r.nextInt(tObj.members.size() + 1),
              new Member("\"fuzz_extra\"", new Raw(pick(r, ok ? good : bad))));
          return json(
              ok ? "extra-field" : "extra-field-bad", h, data, ok ? Expect.LOAD : Expect.REFUSE);
        }
      case 19:
        { // the shape changed, element count kept: a different but valid file
          Arr a = (Arr) tObj.get("shape").value;
          if (r.nextBoolean()) {
            a.items.add(r.nextInt(a.items.size() + 1), new Raw("1"));
          } else {
            long count = 1;
            for (Node n : a.items) {
              count *= Long.parseLong(((Raw) n).text());
            }
            a.items.clear();
            a.items.add(new Raw(Long.toString(count)));
          }
          return json("reshape", h, data, Expect.LOAD);
        }
      default:
        { // __metadata__ entries
          Member meta = h.get("__metadata__");
          if (meta == null) {
            meta = new Member("\"__metadata__\"", new Obj());
            h.members.add(0, meta);
          }
          Obj mo = (Obj) meta.value;
          switch (r.nextInt(4)) {
            case 0:
              mo.members.add(new Member("\"fuzz\"", new Raw("\"a\\n\\u0001b\"")));
              return json("meta-add", h, data, Expect.LOAD);
            case 1:
              mo.members.add(
                  new Member("\"fuzz\"", new Raw("\"a" + (char) r.nextInt(0x20) + "b\"")));
              return json("meta-raw-control", h, data, Expect.REFUSE);
            case 2:
              mo.members.add(
                  new Member("\"fuzz\"", new Raw(pick(r, List.of("1", "null", "[]", "{}")))));
              return json("meta-not-string", h, data, Expect.REFUSE);
            default:
              mo.members.clear();
              return json("meta-empty", h, data, Expect.LOAD);
          }
        }
    }
  }

  private static String randomWhitespace(Random r, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(" \t\r\n".charAt(r.nextInt(4)));
    }
    return sb.toString();
  }

  private static String unquote(String key) {
    return JsonParser.parseString(key).getAsString();
  }

  private static Mutant json(String op, Obj header, byte[] data, Expect expect) {
    return new Mutant(op, concat(shardFile(text(header, ""), ""), data), expect);
  }

  // ---- outcome checks ----

  private static final class Tally {
    final Map<String, int[]> byOp = new TreeMap<>(); // loaded, refused
    final List<String> failures = new ArrayList<>();

    void count(String op, boolean loaded) {
      byOp.computeIfAbsent(op, k -> new int[2])[loaded ? 0 : 1]++;
    }

    int total(int which) {
      return byOp.values().stream().mapToInt(a -> a[which]).sum();
    }
  }

  private static long prefixOf(byte[] b) {
    return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  /** Opens the mutant; true if it loaded (and was checked), false if refused as documented. */
  private static boolean openShard(Path p, Mini mini, Mutant m) throws IOException {
    SafetensorsFile f;
    try {
      f = SafetensorsFile.open(p);
    } catch (CheckpointFormatException e) {
      check(e.getMessage().contains(p.toString()), "message names the file: " + e.getMessage());
      check(p.equals(e.file()), "file() is the mutant: " + e.file());
      check(m.expect() != Expect.LOAD, "refused a valid file: " + e.getMessage());
      return false;
    }
    try (f) {
      check(m.expect() != Expect.REFUSE, "loaded a file that breaks a rule");
      byte[] b = m.bytes();
      long dataStart = 8 + prefixOf(b);
      Map<String, Entry> table = new LinkedHashMap<>();
      List<TensorInfo> nonEmpty = new ArrayList<>();
      for (TensorInfo t : f.tensors()) {
        List<Long> shape = Arrays.stream(t.shape()).boxed().toList();
        table.put(
            t.name(),
            new Entry(
                t.dtype().name(),
                shape,
                t.fileOffset() - dataStart,
                t.fileOffset() - dataStart + t.byteSize()));
        ByteBuffer mapped = f.map(t);
        check(mapped.remaining() == t.byteSize(), "mapped size of " + t);
        byte[] got = new byte[mapped.remaining()];
        mapped.get(got);
        check(
            t.fileOffset() >= dataStart && t.fileOffset() + t.byteSize() <= b.length,
            "inside data: " + t);
        check(
            Arrays.equals(
                got,
                Arrays.copyOfRange(b, (int) t.fileOffset(), (int) (t.fileOffset() + t.byteSize()))),
            "mapped bytes of " + t);
        if (t.dtype() == DType.F32
            || t.dtype() == DType.BF16
            || t.dtype() == DType.F16
            || t.dtype() == DType.F64) {
          FloatBuffer fb = FloatBuffer.allocate((int) t.elementCount());
          f.readFloat32(t, fb);
          check(fb.position() == t.elementCount(), "readFloat32 count of " + t);
          if (t.dtype() == DType.F32) {
            FloatBuffer expected =
                ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int i = 0; i < t.elementCount(); i++) {
              check(
                  Float.floatToRawIntBits(fb.get(i)) == Float.floatToRawIntBits(expected.get(i))
                      || Float.isNaN(fb.get(i)),
                  "readFloat32 value of " + t);
            }
          }
        }
        if (t.byteSize() > 0) {
          nonEmpty.add(t);
        }
      }
      // the tensors tile the data section exactly
      nonEmpty.sort(Comparator.comparingLong(TensorInfo::fileOffset));
      long at = dataStart;
      for (TensorInfo t : nonEmpty) {
        check(t.fileOffset() == at, "tiling at " + t);
        at += t.byteSize();
      }
      check(at == b.length, "tensors end at " + at + ", file has " + b.length);
      // the header says what the miniature says: then the data must be the miniature's, byte for
      // byte
      if (table.equals(mini.table())) {
        check(
            Arrays.equals(Arrays.copyOfRange(b, (int) dataStart, b.length), mini.data()),
            "same tensor table but other bytes: the data section is shifted");
      } else {
        check(
            !Set.of(
                    "shuffle",
                    "spaced",
                    "trailing-space",
                    "extra-field",
                    "meta-add",
                    "meta-empty",
                    "remove-metadata",
                    "number-noop")
                .contains(m.op()),
            "table changed by " + m.op());
      }
      return true;
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  // ---- index mutations ----

  private record IndexMutant(String op, byte[] bytes, Expect expect, Set<String> expectedNames) {}

  private static IndexMutant mutateIndex(String original, Set<String> names, Random r) {
    byte[] raw = original.getBytes(StandardCharsets.UTF_8);
    Obj root = (Obj) model(JsonParser.parseString(original));
    Obj wm = (Obj) root.get("weight_map").value;
    Member e = pick(r, wm.members);
    String gap = r.nextBoolean() ? "" : " ";
    switch (r.nextInt(16)) {
      case 0:
        { // one byte changed
          byte[] b = raw.clone();
          int pos = r.nextInt(b.length);
          b[pos] =
              r.nextBoolean()
                  ? (byte) (b[pos] ^ (1 + r.nextInt(255)))
                  : pick(r, INTERESTING).getBytes(StandardCharsets.UTF_8)[0];
          return new IndexMutant("i-flip", b, Expect.EITHER, null);
        }
      case 1: // truncated
        return new IndexMutant(
            "i-truncate", Arrays.copyOf(raw, r.nextInt(raw.length)), Expect.EITHER, null);
      case 2:
        { // bytes inserted
          int pos = r.nextInt(raw.length + 1);
          byte[] mid = randomBytes(r, 1 + r.nextInt(6)).getBytes(StandardCharsets.UTF_8);
          return new IndexMutant(
              "i-insert",
              concat(Arrays.copyOf(raw, pos), mid, Arrays.copyOfRange(raw, pos, raw.length)),
              Expect.EITHER,
              null);
        }
      case 3:
        { // entries removed: the checkpoint is the rest
          Set<String> left = new HashSet<>(names);
          int k = 1 + r.nextInt(Math.min(5, wm.members.size() - 1));
          for (int i = 0; i < k; i++) {
            Member x = wm.members.remove(r.nextInt(wm.members.size()));
            left.remove(unquote(x.key));
          }
          return index("i-remove-entries", root, gap, Expect.LOAD, left);
        }
      case 4:
        { // a tensor named twice, with the same or another shard
          Member other = pick(r, wm.members);
          wm.members.add(
              r.nextInt(wm.members.size() + 1),
              new Member(e.key, r.nextBoolean() ? e.value : other.value));
          return index("i-duplicate-entry", root, gap, Expect.REFUSE, null);
        }
      case 5:
        { // shard names that are not a file of the checkpoint
          String shard = unquote(((Raw) e.value).text());
          List<String> bad =
              List.of(
                  quote("../" + shard),
                  quote("/" + shard),
                  quote(""),
                  quote("."),
                  quote(".."),
                  "\"" + shard + "\\u0000\"",
                  "\"x\\u0000" + shard + "\"",
                  "\"" + shard + "\u0000\"",
                  quote("sub\\" + shard),
                  quote("C:" + shard),
                  quote("model.safetensors.index.json"),
                  quote("missing.safetensors"),
                  "\"\\u001b[2J\"",
                  quote(shard + " "),
                  quote("/dev/zero"),
                  quote("/proc/self/mem"));
          e.value = new Raw(pick(r, bad));
          return index("i-bad-shard", root, gap, Expect.REFUSE, null);
        }
      case 6:
        { // a tensor moved to a shard that does not hold it
          String shard = unquote(((Raw) e.value).text());
          for (Member m : wm.members) {
            if (!unquote(((Raw) m.value).text()).equals(shard)) {
              e.value = m.value;
              return index("i-move", root, gap, Expect.REFUSE, null);
            }
          }
          return index("i-move-none", root, gap, Expect.LOAD, names);
        }
      case 7:
        { // wrong JSON types
          switch (r.nextInt(3)) {
            case 0 ->
                e.value = new Raw(pick(r, List.of("null", "1", "true", "[]", "{}", "[\"a\"]")));
            case 1 ->
                root.get("weight_map").value =
                    new Raw(pick(r, List.of("null", "1", "[]", "\"x\"")));
            default -> {
              return new IndexMutant(
                  "i-type",
                  pick(r, List.of("[]", "1", "null", "\"x\"", "[{}]"))
                      .getBytes(StandardCharsets.UTF_8),
                  Expect.REFUSE,
                  null);
            }
          }
          return index("i-type", root, gap, Expect.REFUSE, null);
        }
      case 8:
        { // weight_map twice, missing or empty
          switch (r.nextInt(3)) {
            case 0 -> root.members.add(new Member("\"weight_map\"", wm.copy()));
            case 1 -> root.members.remove(root.get("weight_map"));
            default -> wm.members.clear();
          }
          return index("i-weight-map", root, gap, Expect.REFUSE, null);
        }
      case 9:
        { // metadata is not used: any valid JSON there loads
          Member meta = root.get("metadata");
          switch (r.nextInt(4)) {
            case 0 -> root.members.remove(meta);
            case 1 ->
                meta.value = new Raw(pick(r, List.of("null", "[]", "\"x\"", "1e999", "-0.5")));
            case 2 ->
                ((Obj) meta.value).get("total_size").value =
                    new Raw(
                        pick(r, List.of("1.5", "-1", "99999999999999999999999", "\"big\"", "2e3")));
            default -> ((Obj) meta.value).members.clear();
          }
          return index("i-metadata", root, gap, Expect.LOAD, names);
        }
      case 10:
        { // unknown members: valid JSON is ignored, invalid JSON is refused
          boolean ok = r.nextBoolean();
          String v =
              ok
                  ? pick(r, List.of("1", "\"\\u0000\"", "{\"a\":[null]}", "[]"))
                  : pick(r, List.of("NaN", "\"a\u0001\"", "[1,]", "'x'", "\"\\ud800\""));
          root.members.add(r.nextInt(root.members.size() + 1), new Member("\"fuzz\"", new Raw(v)));
          return index(
              ok ? "i-extra" : "i-extra-bad",
              root,
              gap,
              ok ? Expect.LOAD : Expect.REFUSE,
              ok ? names : null);
        }
      case 11:
        { // a tensor renamed: absent from its shard, or a duplicate
          Member other = pick(r, wm.members);
          e.key = other != e && r.nextBoolean() ? other.key : quote(unquote(e.key) + ".renamed");
          return index("i-rename", root, gap, Expect.REFUSE, null);
        }
      case 12:
        { // whitespace around and between tokens loads; a byte order mark does not
          String ws = randomWhitespace(r, 1 + r.nextInt(4));
          if (r.nextInt(4) == 0) {
            return new IndexMutant(
                "i-bom",
                ("\ufeff" + original).getBytes(StandardCharsets.UTF_8),
                Expect.REFUSE,
                null);
          }
          return new IndexMutant(
              "i-whitespace",
              (ws + text(root, pick(r, List.of("", "\n", " \t"))) + ws)
                  .getBytes(StandardCharsets.UTF_8),
              Expect.LOAD,
              names);
        }
      case 13:
        { // invalid UTF-8 somewhere
          byte[][] seqs = {
            {(byte) 0xFF},
            {(byte) 0xC3},
            {(byte) 0xC0, (byte) 0xAF},
            {(byte) 0x80},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}
          };
          int pos = r.nextInt(raw.length + 1);
          return new IndexMutant(
              "i-utf8",
              concat(
                  Arrays.copyOf(raw, pos), pick(r, seqs), Arrays.copyOfRange(raw, pos, raw.length)),
              Expect.REFUSE,
              null);
        }
      case 14:
        { // lenient-only syntax
          String t = text(root, gap);
          String v =
              switch (r.nextInt(4)) {
                case 0 -> "// c\n" + t;
                case 1 -> t.replaceFirst("\"weight_map\"", "weight_map");
                case 2 -> t.replaceFirst("\"weight_map\"", "'weight_map'");
                default -> t + ";";
              };
          return new IndexMutant(
              "i-lenient", v.getBytes(StandardCharsets.UTF_8), Expect.REFUSE, null);
        }
      default: // shuffled entries: the same checkpoint
        Collections.shuffle(wm.members, r);
        Collections.shuffle(root.members, r);
        return index("i-shuffle", root, gap, Expect.LOAD, names);
    }
  }

  private static IndexMutant index(
      String op, Obj root, String gap, Expect expect, Set<String> names) {
    return new IndexMutant(op, text(root, gap).getBytes(StandardCharsets.UTF_8), expect, names);
  }

  private static boolean openIndex(Path ck, Checkpoint base, IndexMutant m) throws IOException {
    Checkpoint c;
    try {
      c = Checkpoint.open(ck);
    } catch (CheckpointFormatException e) {
      Path f = e.file();
      check(
          f != null && e.getMessage().contains(f.toString()),
          "message names the file: " + e.getMessage());
      check(f.equals(ck) || ck.equals(f.getParent()), "a file of the checkpoint: " + f);
      check(m.expect() != Expect.LOAD, "refused a valid index: " + e.getMessage());
      return false;
    }
    try (c) {
      check(m.expect() != Expect.REFUSE, "loaded an index that breaks a rule");
      if (m.expectedNames() != null) {
        check(c.tensorNames().equals(m.expectedNames()), "tensor names after " + m.op());
      }
      for (String name : c.tensorNames()) {
        TensorInfo t = c.tensor(name);
        TensorInfo b =
            base.find(name).orElseThrow(() -> new AssertionError("unknown tensor " + name));
        check(t.equals(b), "same tensor as the base checkpoint: " + t);
        check(c.map(t).equals(base.map(b)), "same bytes: " + t);
      }
      return true;
    }
  }

  // ---- the test ----

  @Test
  void everyMutantLoadsCorrectlyOrIsRefusedNamingTheFile() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), this::fuzz);
  }

  private void fuzz() throws IOException {
    Path mixtral = ReferenceData.mixtralF32();
    Path qwen = ReferenceData.root().resolve("qwen2_moe").resolve("f32");
    Map<String, Path> sources = new LinkedHashMap<>();
    for (int i = 1; i <= 3; i++) {
      sources.put("mixtral-f32-" + i, mixtral.resolve("model-0000" + i + "-of-00003.safetensors"));
      sources.put("qwen2_moe-f32-" + i, qwen.resolve("model-0000" + i + "-of-00003.safetensors"));
    }
    sources.put("mixtral-bf16", ReferenceData.mixtralBf16().resolve("model.safetensors"));

    Tally tally = new Tally();
    long start = System.nanoTime();
    Map<String, Mini> minis = new LinkedHashMap<>();
    for (Map.Entry<String, Path> s : sources.entrySet()) {
      Mini mini = mini(s.getKey(), s.getValue());
      minis.put(s.getKey(), mini);
      Path p = dir.resolve(s.getKey() + ".safetensors");
      Files.write(p, concat(mini.file(), mini.data()));
      check(
          openShard(p, mini, new Mutant("original", concat(mini.file(), mini.data()), Expect.LOAD)),
          "the miniature of " + s.getKey() + " loads");
      for (int i = 0; i < SHARD_MUTANTS_PER_SOURCE && tally.failures.size() < 20; i++) {
        Mutant m = mutateShard(mini, new Random(SEED * 1_000_003 + i));
        try {
          Files.write(p, m.bytes());
          tally.count(m.op(), openShard(p, mini, m));
        } catch (Throwable t) {
          tally.failures.add(
              s.getKey() + " mutant " + i + " (" + m.op() + ", expected " + m.expect() + "): " + t);
        }
      }
    }

    for (String family : List.of("mixtral", "qwen2_moe")) {
      Path src = family.equals("mixtral") ? mixtral : qwen;
      Path ck = Files.createDirectory(dir.resolve(family + "-ck"));
      for (int i = 1; i <= 3; i++) {
        Mini mini = minis.get(family + "-f32-" + i);
        Files.write(
            ck.resolve("model-0000" + i + "-of-00003.safetensors"),
            concat(mini.file(), mini.data()));
      }
      Path indexFile = ck.resolve(Checkpoint.INDEX_FILE);
      String original = Files.readString(src.resolve(Checkpoint.INDEX_FILE));
      Files.writeString(indexFile, original);
      try (Checkpoint base = Checkpoint.open(ck)) {
        Set<String> names = Set.copyOf(base.tensorNames());
        for (int i = 0; i < INDEX_MUTANTS_PER_SOURCE && tally.failures.size() < 20; i++) {
          IndexMutant m = mutateIndex(original, names, new Random(SEED * 1_000_003 + i));
          try {
            Files.write(indexFile, m.bytes());
            tally.count(m.op(), openIndex(ck, base, m));
          } catch (Throwable t) {
            tally.failures.add(
                family
                    + " index mutant "
                    + i
                    + " ("
                    + m.op()
                    + ", expected "
                    + m.expect()
                    + "): "
                    + t);
          }
        }
      }
    }

    StringBuilder report =
        new StringBuilder(
            String.format(
                "checkpoint fuzz (seed %d): %d mutants, %d loaded correctly, %d refused naming the file, %d other,"
                    + " %.1f s%n",
                SEED,
                tally.total(0) + tally.total(1) + tally.failures.size(),
                tally.total(0),
                tally.total(1),
                tally.failures.size(),
                (System.nanoTime() - start) / 1e9));
    tally.byOp.forEach(
        (op, n) ->
            report.append(String.format("  %-24s loaded %4d  refused %4d%n", op, n[0], n[1])));
    System.out.print(report);
    assertTrue(tally.failures.isEmpty(), String.join("\n", tally.failures));
    check(
        Objects.requireNonNull(tally.byOp.get("length"))[0] == 0, "no wrong header length loaded");
  }
}
