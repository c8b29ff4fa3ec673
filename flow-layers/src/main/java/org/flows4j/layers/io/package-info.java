/**
 * Checkpoints: a model's parameters and state, an optimizer's state and the metadata needed to
 * rebuild the model, in safetensors files that PyTorch's {@code safetensors} opens too.
 * Writes are atomic; loads check everything before changing anything.
 */
package org.flows4j.layers.io;
