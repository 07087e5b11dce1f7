/**
 * Tools that turn JMH's JSON results ({@code -rf json}) into the README's table
 * ({@link dev.mmiomediator.benchmarks.report.MarkdownTable}) and lookup chart
 * ({@link dev.mmiomediator.benchmarks.report.LookupChart}); run them from the shaded jar with {@code java -cp}.
 */
package dev.mmiomediator.benchmarks.report;
