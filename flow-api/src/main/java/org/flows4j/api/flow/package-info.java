/**
 * The flow abstractions: {@link org.flows4j.api.flow.Bijector} (data to latent, with log-det),
 * {@link org.flows4j.api.flow.Distribution}, {@link org.flows4j.api.flow.Flow} and the
 * {@link org.flows4j.api.flow.Parameter} slots that modules own by hierarchical name.
 */
package org.flows4j.api.flow;
