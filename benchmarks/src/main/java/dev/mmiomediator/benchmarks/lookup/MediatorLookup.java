package dev.mmiomediator.benchmarks.lookup;

import dev.mmiomediator.dma.MediatedView;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.Section;

/**
 * The mediator's dispatch, as a {@link dev.mmiomediator.dma.DmaPort} performs it before touching memory: one
 * volatile read of the current {@link MediatedView}, the port's last-hit section (QEMU's {@code mru_section},
 * a plain field checked against the view snapshot), then the view's index. No lock, no atomic write, no
 * allocation.
 *
 * <p><b>Note:</b> not thread-safe, like a port: one instance per reader thread, over a shared topology.
 */
public final class MediatorLookup implements RangeLookup {
    private final RangeMap.MediatorTopology topology;
    private final Mediator mediator;
    private MediatedView mruView;
    private Section mru;

    /** A lookup over {@code topology}'s device view. */
    public MediatorLookup(RangeMap.MediatorTopology topology) {
        this.topology = topology;
        this.mediator = topology.mediator();
    }

    @Override
    public Object find(long address) {
        MediatedView v = mediator.view(RangeMap.INITIATOR);
        Section s = mru;
        if (mruView == v && s != null && s.contains(address)) {
            return s;
        }
        int i = v.indexOf(address);
        if (i < 0) {
            return null;
        }
        s = v.section(i);
        mru = s;
        mruView = v;
        return s;
    }

    /** A topology change: re-render, build both views and publish them (see {@link RangeMap.MediatorTopology#toggle()}). */
    @Override
    public void republish() {
        topology.toggle();
    }
}
