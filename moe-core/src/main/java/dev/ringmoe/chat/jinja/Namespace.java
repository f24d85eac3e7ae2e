package dev.ringmoe.chat.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** Jinja's {@code namespace(...)}: the one mutable object a template may assign attributes on. */
final class Namespace {
  final Map<String, Object> attrs = new LinkedHashMap<>();
}
