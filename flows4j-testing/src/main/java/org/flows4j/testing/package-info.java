/** {@code allclose} and its documented tolerances, shared by every flows4j test and the conformance kit. */
package org.flows4j.testing;
