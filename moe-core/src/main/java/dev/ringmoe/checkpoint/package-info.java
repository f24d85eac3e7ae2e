/**
 * Reading and writing Hugging Face safetensors checkpoints without ND4J.
 *
 * <p>{@link dev.ringmoe.checkpoint.SafetensorsFile} opens one {@code .safetensors} file, validating
 * its whole header up front so that later reads can trust offsets; {@link
 * dev.ringmoe.checkpoint.Checkpoint} opens a checkpoint directory (one file or shards with {@code
 * model.safetensors.index.json}). {@link dev.ringmoe.checkpoint.SafetensorsWriter} and {@link
 * dev.ringmoe.checkpoint.CheckpointWriter} stream weights out in bounded memory. {@link
 * dev.ringmoe.checkpoint.TensorReader} reads tensors' raw bytes by memory mappings or by direct I/O
 * ({@link dev.ringmoe.checkpoint.Storage}); {@link dev.ringmoe.checkpoint.RawFloats} converts them
 * to float32. All sizes and offsets in this package are in bytes unless a name says elements.
 */
package dev.ringmoe.checkpoint;
