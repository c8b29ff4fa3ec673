/** Neural networks, bijectors, base distributions, optimizers and checkpoints (filled by the flow-layers issue). */
package org.flows4j.layers;
