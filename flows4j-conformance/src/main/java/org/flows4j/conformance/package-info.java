/**
 * The flows4j backend conformance kit. Public: {@link org.flows4j.conformance.ConformanceKit},
 * which turns a backend name into JUnit dynamic tests, and {@link org.flows4j.testing.Tolerance},
 * the one definition of "close enough". Everything else here (the cases, the host computation
 * of each primitive's specification, finite differences, the backend session) is
 * package-private and may change with any release.
 */
package org.flows4j.conformance;
