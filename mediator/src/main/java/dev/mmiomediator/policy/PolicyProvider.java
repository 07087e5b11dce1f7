package dev.mmiomediator.policy;

import java.util.Map;

/**
 * A named factory of {@link P2pPolicy}s, found through {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.mmiomediator.policy.PolicyProvider}, give it a public no-argument constructor,
 * and {@link Policies#find} finds it by {@link #name()}. Implementations must be thread-safe.
 */
public interface PolicyProvider {
    /** The policy's name: lower case, words separated by {@code -}, unique among the providers found. */
    String name();

    /** One line saying what the policy does, for listings. */
    String description();

    /**
     * A new policy configured by {@code options}.
     *
     * @param options option names to values; empty for the defaults
     * @throws IllegalArgumentException naming the option and value if one is unknown or invalid
     */
    P2pPolicy create(Map<String, String> options);
}
