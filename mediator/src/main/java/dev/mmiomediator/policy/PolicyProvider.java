package dev.mmiomediator.policy;

import java.util.Map;

/**
 * A named factory of {@link P2pPolicy}s: list the class in
 * {@code META-INF/services/dev.mmiomediator.policy.PolicyProvider}, make it a public class with a public
 * no-argument constructor, and {@link Policies#find} finds it by {@link #name()}. Declare the name and
 * description with {@link PolicyInfo} on the class, so that {@link Policies} learns them without running any of
 * the provider's code (a provider without it is instantiated just to ask its name). Implementations must be
 * thread-safe.
 */
public interface PolicyProvider {
    /**
     * The policy's name: lower case, words separated by {@code -}, unique among the providers found. By default
     * the class's {@link PolicyInfo#name()}.
     *
     * @throws IllegalStateException if the class does not declare {@link PolicyInfo} and does not override this
     */
    default String name() {
        return info(getClass()).name();
    }

    /**
     * One line saying what the policy does, for listings. By default the class's {@link PolicyInfo#description()}.
     *
     * @throws IllegalStateException if the class does not declare {@link PolicyInfo} and does not override this
     */
    default String description() {
        return info(getClass()).description();
    }

    /**
     * A new policy configured by {@code options}.
     *
     * @param options option names to values; empty for the defaults
     * @throws IllegalArgumentException naming the option and value if one is unknown or invalid
     */
    P2pPolicy create(Map<String, String> options);

    private static PolicyInfo info(Class<?> type) {
        PolicyInfo info = type.getAnnotation(PolicyInfo.class);
        if (info == null) {
            throw new IllegalStateException(type.getName() + " declares no @" + PolicyInfo.class.getSimpleName()
                    + ": expected it on the class, or name() and description() overridden");
        }
        return info;
    }
}
