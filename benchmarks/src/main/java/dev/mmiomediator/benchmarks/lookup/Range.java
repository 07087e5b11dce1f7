package dev.mmiomediator.benchmarks.lookup;

/**
 * One range of a baseline's map: the inclusive addresses {@code [start, last]}, what the baselines return for
 * a hit (the mediator returns its own {@link dev.mmiomediator.dma.Section}). The benchmark addresses stay below
 * 2^63, so the baselines compare signed.
 *
 * @param start first address
 * @param last  last address (inclusive)
 */
public record Range(long start, long last) {
    /** Whether {@code address} is in the range. */
    public boolean contains(long address) {
        return address >= start && address <= last;
    }
}
