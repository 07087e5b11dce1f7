package dev.mmiomediator.policy;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * One option a {@link PolicyProvider} takes, declared on its class next to {@link PolicyInfo}, so that listings
 * show it and {@link Policies#create} checks it without running any of the provider's code. A provider that
 * declares its options takes exactly those: {@link Policies#create} refuses any other option, and any value
 * outside {@link #allowed()} when that is not empty. Declare none with an empty {@code @PolicyOptions({})}.
 *
 * <pre>{@code
 * @PolicyInfo(name = "gpu-guard", description = "forward to the GPU while it accepts, else abort the migration")
 * @PolicyOption(name = "device", description = "the GPU's PCI address", defaultValue = "0000:02:00.0")
 * @PolicyOption(name = "reads", description = "what a read gets while the GPU is stopped",
 *         defaultValue = "fail", allowed = {"fail", "abort"})
 * public final class GpuGuardProvider implements PolicyProvider { ... }
 * }</pre>
 *
 * All values must be compile-time constants. A provider reads its options with defaults applied from
 * {@link Policies#options(PolicyProvider, java.util.Map)}, so that what it uses and what listings show are the same
 * declaration.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(PolicyOptions.class)
public @interface PolicyOption {
    /** The option's key in {@code KEY=VALUE}: lower case letters and digits, words separated by {@code -}. */
    String name();

    /** What the option means, one line. */
    String description();

    /** The value used when the option is not given; empty (the default) if there is none. */
    String defaultValue() default "";

    /** The values accepted, exactly as written; empty (the default) for any value the provider parses itself. */
    String[] allowed() default {};
}
