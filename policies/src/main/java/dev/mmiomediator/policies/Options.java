package dev.mmiomediator.policies;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** Option checks shared by the built-in providers. */
final class Options {
    private Options() {
    }

    /** @throws IllegalArgumentException naming the policy and the options given, if there are any */
    static void requireNone(String policy, Map<String, String> options) {
        Objects.requireNonNull(options, "options of policy " + policy);
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("policy '" + policy + "' takes no options, got "
                    + new TreeMap<>(options));
        }
    }
}
