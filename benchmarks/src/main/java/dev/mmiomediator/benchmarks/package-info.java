/**
 * JMH suites for the mediator's hot paths, each run side by side with its baselines in one invocation.
 * Subpackages group suites by what they measure ({@code lookup}: address-to-section lookup). Every suite
 * reports average time in ns/op; run with {@code -prof gc} to see allocation.
 */
package dev.mmiomediator.benchmarks;
