/**
 * The one description of a model's tensors: for the global weights, each layer's dense section and
 * each expert, the list of tensors with their role, checkpoint name, shape and whether they are
 * optional ({@link dev.ringmoe.manifest.WeightManifest}). Everything that loads, copies, sizes or
 * synthesizes weights (the resident store, the ring's slots and copier, the expert cache, the
 * section plan, parameter counts, {@code synth}) loops over it, so a new model family's tensors are
 * written down once, here, and nowhere else.
 */
package dev.ringmoe.manifest;
