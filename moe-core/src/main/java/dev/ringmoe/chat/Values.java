package dev.ringmoe.chat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deep copies of the JSON-like values callers hand to a template (maps, lists, scalars). */
final class Values {

  private Values() {}

  /**
   * @return an unmodifiable deep copy; maps keep their key order
   * @throws IllegalArgumentException for a value that is not null, a string, number, boolean, list
   *     or map with string keys
   */
  static Object deepCopy(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean) {
      return v;
    }
    if (v instanceof Number) {
      // the engine knows Python's int and float only: Long and Double
      Number n = (Number) v;
      if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
        return n.longValue();
      }
      if (v instanceof Double || v instanceof Float) {
        return n.doubleValue();
      }
      // BigInteger, BigDecimal, Gson's LazilyParsedNumber: by their text, as Python's json reads
      // it ("1" an int, "1.0" a float)
      String text = n.toString();
      if (text.matches("-?\\d{1,18}")) {
        return Long.parseLong(text);
      }
      return n.doubleValue();
    }
    if (v instanceof Map) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!(e.getKey() instanceof String)) {
          throw new IllegalArgumentException(
              "a chat template value needs string keys, got " + e.getKey());
        }
        m.put((String) e.getKey(), deepCopy(e.getValue()));
      }
      return Collections.unmodifiableMap(m);
    }
    if (v instanceof List) {
      List<Object> l = new ArrayList<>();
      for (Object o : (List<?>) v) {
        l.add(deepCopy(o));
      }
      return Collections.unmodifiableList(l);
    }
    throw new IllegalArgumentException(
        "a chat template value must be null, a string, number, boolean, list or map, got "
            + v.getClass().getName());
  }
}
