package dev.ringmoe.ring;

/** A region of device memory that loads are copied into; reassigning it makes older loads stale. */
interface LoadTarget {
  /** Increases whenever the region is given to other weights. */
  int generation();

  /** A number for messages. */
  int index();
}
