package dev.ringmoe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringmoe.Prefetch;
import dev.ringmoe.checkpoint.Storage;
import dev.ringmoe.checkpoint.TensorReader;
import org.junit.jupiter.api.Test;

class StoreOptionsTest {
  @Test
  void storageDefaultsToMappedAndCarriesThroughTheWithers() {
    StoreOptions o = new StoreOptions(1 << 20, 0, 2, Prefetch.ALL, null, true);
    assertEquals(Storage.MAPPED, o.storage());
    assertEquals(TensorReader.DEFAULT_STAGING_BYTES, o.stagingBytes());
    StoreOptions d = o.withStorage(Storage.DIRECT).withStagingBytes(8 << 20);
    assertEquals(Storage.DIRECT, d.storage());
    assertEquals(8 << 20, d.stagingBytes());
    assertEquals(o.deviceBudget(1L << 30), d.deviceBudget(1L << 30));
    assertEquals(o.slots(), d.slots());
    assertEquals(o.prefetch(), d.prefetch());
    assertEquals(o.expertCache(), d.expertCache());
    assertTrue(d.toString().contains("direct I/O"), d::toString);
    assertEquals(Storage.MAPPED, o.storage(), "immutable");
    assertThrows(IllegalArgumentException.class, () -> o.withStagingBytes(0));
    assertThrows(NullPointerException.class, () -> o.withStorage(null));
  }
}
