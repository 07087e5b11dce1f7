package dev.mmiomediator.benchmarks.lookup;

/**
 * One address-to-range dispatch design under test: finds the range of a {@link RangeMap} that contains an
 * address. Implementations are the mediator's own dispatch and the baselines (see {@link LookupImpl}).
 */
public interface RangeLookup {
    /** The range containing {@code address} ({@link Range}, or the mediator's section), or {@code null}. */
    Object find(long address);

    /**
     * Replaces the map's content as the design's writer does (a device added or removed, a BAR moved), without
     * changing what {@link #find} answers inside the map. Only the designs of the concurrent suite support it.
     *
     * @throws UnsupportedOperationException for the others
     */
    default void republish() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no writer");
    }
}
