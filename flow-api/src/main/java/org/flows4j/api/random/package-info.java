/** Seeded, splittable, host-generated randomness: {@link org.flows4j.api.random.RandomSource}. */
package org.flows4j.api.random;
