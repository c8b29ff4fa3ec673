/**
 * Data sets with fixed training, validation and test splits, held on the host: IDX images
 * (MNIST, Fashion-MNIST), generated 2-D densities and CSV tables. {@link org.flows4j.zoo.data.DataSets}
 * lists the built-in families; all randomness (generated data, shuffles) comes from the
 * request's seed through {@link org.flows4j.api.random.RandomSource}.
 */
package org.flows4j.zoo.data;
