package dev.mmiomediator.policy;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A {@link PolicyProvider}'s name and description, declared on its class so that {@link Policies} learns them
 * without running any of the provider's code: the class is loaded but not initialized (no static initializer,
 * no constructor) until its policy is the one selected by name. Both values must be compile-time constants.
 *
 * <pre>{@code
 * @PolicyInfo(name = "gpu-guard", description = "forward to the GPU while it accepts, else abort the migration")
 * public final class GpuGuardProvider implements PolicyProvider {
 *     public GpuGuardProvider() {
 *     }
 *
 *     @Override
 *     public P2pPolicy create(Map<String, String> options) {
 *         ...
 *     }
 * }
 * }</pre>
 *
 * A provider that declares this need not override {@link PolicyProvider#name()} or
 * {@link PolicyProvider#description()}; if it does, they must return the declared values. Not inherited: each
 * provider class declares its own.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PolicyInfo {
    /** The policy's name: lower case letters and digits, words separated by {@code -}, e.g. {@code gpu-guard}. */
    String name();

    /** One line saying what the policy does, for listings. */
    String description();
}
