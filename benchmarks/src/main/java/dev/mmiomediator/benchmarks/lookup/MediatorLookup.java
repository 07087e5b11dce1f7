package dev.mmiomediator.benchmarks.lookup;

import dev.mmiomediator.dma.DmaPort;

/**
 * The mediator's dispatch, the shipping code itself: {@link DmaPort#section(long)} of a software device's port,
 * the lookup every access of the port makes before it touches memory (one volatile read of the current view,
 * the port's last-hit check on its own fields, then the view's index). No lock, no atomic write, no allocation.
 *
 * <p><b>Note:</b> not thread-safe, like a port: one instance per reader thread, over a shared topology.
 */
public final class MediatorLookup implements RangeLookup {
    private final RangeMap.MediatorTopology topology;
    private final DmaPort port;

    /** A lookup through a new port of {@link RangeMap#INITIATOR} on {@code topology}'s mediator. */
    public MediatorLookup(RangeMap.MediatorTopology topology) {
        this.topology = topology;
        this.port = topology.mediator().port(RangeMap.INITIATOR);
    }

    @Override
    public Object find(long address) {
        return port.section(address);
    }

    /** A topology change: re-render, build both views and publish them (see {@link RangeMap.MediatorTopology#toggle()}). */
    @Override
    public void republish() {
        topology.toggle();
    }
}
