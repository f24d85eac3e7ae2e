package dev.ringmoe.ring;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * What a store allocated, closed in reverse order of allocation; a failure to close one is logged
 * and does not keep the others open. Guarded by its owner.
 */
final class Owned {
  private final List<AutoCloseable> resources = new ArrayList<>();

  void add(AutoCloseable resource) {
    resources.add(resource);
  }

  void closeAll(Logger log, String what) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        log.warn("releasing {} failed", what, e);
      }
    }
    resources.clear();
  }
}
