/** NICE, RealNVP and Glow assembled from flow-layers, with the papers' configurations as named presets. */
package org.flows4j.zoo.models;
