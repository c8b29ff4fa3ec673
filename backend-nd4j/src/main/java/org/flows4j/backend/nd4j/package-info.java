/** The ND4J backend (filled by the native-backends issue). */
package org.flows4j.backend.nd4j;
