/**
 * Mediated DMA into guest RAM against the raw memory access: {@link dev.mmiomediator.benchmarks.dma.DmaBenchmark}.
 * One thread; state set up once per trial from a fixed seed.
 */
package dev.mmiomediator.benchmarks.dma;
