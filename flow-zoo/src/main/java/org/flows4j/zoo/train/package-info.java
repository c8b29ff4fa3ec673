/** Maximum-likelihood training with checkpoints and resumption, and held-out evaluation in nats and bits per dimension. */
package org.flows4j.zoo.train;
