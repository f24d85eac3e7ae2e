package dev.ringmoe.hash.trace;

import java.nio.charset.StandardCharsets;

/** Constants of the routing trace file format (see docs/routing-traces.md). */
final class TraceFormat {
  private TraceFormat() {}

  static final byte[] MAGIC = "RMOETRCE".getBytes(StandardCharsets.US_ASCII);
  static final byte[] END_MAGIC = "RMTREND1".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int FLAG_HIDDEN_STATES = 1;

  /** "SEQ1" read as a little-endian int32. */
  static final int RECORD_TAG = tag("SEQ1");

  /** "IDX1" read as a little-endian int32. */
  static final int INDEX_TAG = tag("IDX1");

  static final int FIXED_HEADER_BYTES = 36;
  static final int TRAILER_BYTES = 16;
  static final int MAX_FINGERPRINT_BYTES = 65_535;
  static final int MAX_TOKENS = 1 << 20;

  static int tag(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
  }
}
