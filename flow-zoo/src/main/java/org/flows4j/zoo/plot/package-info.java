/**
 * PNG pictures of 2-D models, drawn with {@code java.awt} in headless mode: the density as a
 * heat map with the data over it, and model samples beside the data.
 */
package org.flows4j.zoo.plot;
