/** Optimizers (Adam, SGD with momentum), gradient clipping, learning-rate schedules and parameter averaging. */
package org.flows4j.layers.optim;
