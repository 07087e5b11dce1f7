/**
 * JMH suites for the mediator's hot paths, each run side by side with its baselines in one invocation.
 * Subpackages group suites by what they measure: {@code lookup} (address-to-range dispatch, one thread and
 * concurrent, against plain collections and renditions of the peers' designs), {@code dma} (mediated DMA
 * against the raw memory access), {@code topology} (rendering and republishing views), {@code queue} (trapped
 * writes). Every suite reports average time per op (ns, or us for topology changes); run with {@code -prof gc}
 * to see allocation. {@code mvn verify} runs each benchmark once, briefly, as a smoke test; the README of the
 * module says how to measure.
 */
package dev.mmiomediator.benchmarks;
