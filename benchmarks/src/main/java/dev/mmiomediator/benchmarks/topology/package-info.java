/**
 * What a topology change costs: rendering a large region tree
 * ({@link dev.mmiomediator.benchmarks.topology.RenderBenchmark}) and republishing mediated views
 * ({@link dev.mmiomediator.benchmarks.topology.RepublishBenchmark}), in microseconds per op. One thread; the
 * trees are built deterministically once per trial.
 */
package dev.mmiomediator.benchmarks.topology;
