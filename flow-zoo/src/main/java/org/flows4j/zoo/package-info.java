/** NICE, RealNVP and Glow, datasets, training and the flows4j command (filled by the zoo issue). */
package org.flows4j.zoo;
