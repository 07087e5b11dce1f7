/**
 * JMH suites for the mediator's hot paths, each run side by side with its baselines in one invocation.
 * Subpackages group suites by what they measure: {@code lookup} (address-to-range dispatch, one thread and
 * concurrent, against plain collections and renditions of the peers' designs), {@code dma} (mediated DMA
 * against the raw memory access), {@code topology} (rendering and republishing views), {@code queue} (trapped
 * writes). Every suite reports average time per op (ns, or us for topology changes); run with {@code -prof gc}
 * to see allocation. {@code mvn verify} runs each benchmark once, briefly, as a smoke test; the README of the
 * module says how to measure.
 *
 * <p>Every fork runs with a fixed, pre-touched 3 GiB heap ({@code -Xms3g -Xmx3g -XX:+AlwaysPreTouch}). Without it
 * a benchmark that allocates (the {@code TreeMap} baselines' boxed keys, a republish's new view) keeps writing into
 * eden pages the JVM has never touched, and on a virtual machine the first touch of each page is a costly fault: a
 * 65,536-range view build measured 22.6 ms/op that way and 3.4 ms/op with the heap pre-touched.
 */
package dev.mmiomediator.benchmarks;
