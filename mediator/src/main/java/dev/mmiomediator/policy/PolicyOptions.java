package dev.mmiomediator.policy;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The options a {@link PolicyProvider} takes: the container of repeated {@link PolicyOption}s, or, written as
 * {@code @PolicyOptions({})}, the declaration that it takes none. A provider with neither has undeclared options:
 * listings say so and only its own {@code create} checks them.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PolicyOptions {
    /** The options, in the order listings show them; empty if the provider takes none. */
    PolicyOption[] value();
}
