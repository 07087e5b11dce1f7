package dev.mmiomediator.policies;

import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyProvider;

import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A provider for a built-in policy that takes no options: its name, its description and how to make it.
 * Subclasses add only the public no-argument constructor {@link java.util.ServiceLoader} needs, and declare
 * {@code @PolicyOptions({})} next to their {@code @PolicyInfo}, so that listings say they take none. Thread-safe.
 */
abstract class NoOptionsProvider implements PolicyProvider {
    private final String name;
    private final String description;
    private final Supplier<P2pPolicy> factory;

    NoOptionsProvider(String name, String description, Supplier<P2pPolicy> factory) {
        this.name = name;
        this.description = description;
        this.factory = factory;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }

    /** @throws IllegalArgumentException naming the policy and the options given, if there are any */
    @Override
    public final P2pPolicy create(Map<String, String> options) {
        Objects.requireNonNull(options, "options of policy " + name);
        Policies.options(this, options);
        return factory.get();
    }
}
