/**
 * PNG pictures, drawn with {@code java.awt} in headless mode: for 2-D models the density as a
 * heat map with the data over it and model samples beside the data; for image models grids of
 * images with row and column labels; for training runs the loss curves.
 */
package org.flows4j.cli.plot;
