/** Base distributions of flows: standard normal, standard logistic (NICE) and a learned diagonal Gaussian. */
package org.flows4j.layers.distributions;
