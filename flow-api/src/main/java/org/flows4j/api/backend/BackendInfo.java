package org.flows4j.api.backend;

/**
 * What discovery found about one provider, for listings such as {@code flows4j backends}.
 *
 * @param name the provider's name, or the failing class when the provider could not be loaded
 * @param priority its priority ({@code Integer.MIN_VALUE} when it could not be loaded)
 * @param description its one-line description
 * @param available whether it reports its classes present and loaded without error
 * @param problem why it is not usable, or {@code null}
 */
public record BackendInfo(String name, int priority, String description, boolean available, String problem) {}
