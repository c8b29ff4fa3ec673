/** The DJL (PyTorch engine) backend (filled by the native-backends issue). */
package org.flows4j.backend.djl;
