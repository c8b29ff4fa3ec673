/**
 * flows4j test support: {@link org.flows4j.testing.Tolerance}, the one definition of
 * {@code allclose} ({@code |a - b| <= atol + rtol * scale}) and of the tolerances that every
 * module's tests and the conformance kit use, each with where its numbers come from.
 * Depends on {@code java.base} only.
 */
module org.flows4j.testing {
    exports org.flows4j.testing;
}
