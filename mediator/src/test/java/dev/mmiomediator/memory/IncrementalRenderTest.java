package dev.mmiomediator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.pci.PciAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The localisation rules of incremental commits, one per test: where a change re-renders (so that a commit patches
 * the previous view there and nowhere else) and when a commit must render whole. Each test checks the published view
 * against a whole render and whether the commit patched or rendered whole; a rule that is wrong either leaves a
 * stale range (the view differs) or renders whole where it should not.
 */
class IncrementalRenderTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.UNASSIGNED;
    private static final PassthroughBar BAR = new PassthroughBar(PciAddress.parse("0000:01:00.0"), 0);

    private final MemorySystem sys = new MemorySystem();
    private final MemoryRegion root = sys.container("root", Size.of(1L << 32));

    /** Each range as {@code "start-last name@offset"} plus its BAR, hex. */
    private static List<String> ranges(FlatView view) {
        List<String> out = new ArrayList<>();
        for (FlatRange r : view.ranges()) {
            out.add(Long.toHexString(r.start()) + "-" + Long.toHexString(r.last()) + " " + r.region().name() + "@"
                    + Long.toHexString(r.offsetInRegion()) + (r.readOnly() ? " ro" : "")
                    + (r.passthroughBar() == null ? "" : " bar@" + Long.toHexString(r.offsetInBar())));
        }
        return out;
    }

    /** Runs {@code change} (one commit) and asserts it patched the view and the result equals a whole render. */
    private void patched(AddressSpace as, Runnable change) {
        long whole = sys.fullRenderCount();
        long patches = sys.patchCount();
        change.run();
        assertEquals(ranges(sys.render(as.root())), ranges(as.flatView()), "the patched view is a whole render's");
        assertEquals(whole, sys.fullRenderCount(), "no whole render");
        assertEquals(patches + 1, sys.patchCount(), "one view patched");
    }

    /** Runs {@code change} and asserts the commit rendered whole (and correctly). */
    private void renderedWhole(AddressSpace as, Runnable change) {
        long whole = sys.fullRenderCount();
        change.run();
        assertEquals(ranges(sys.render(as.root())), ranges(as.flatView()));
        assertEquals(whole + 1, sys.fullRenderCount(), "rendered whole");
    }

    /** {@code n} RAM regions of 0x100 at a 0x1000 stride, plus an address space (rendered whole, once). */
    private AddressSpace rams(int n, List<MemoryRegion> out) {
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (int i = 0; i < n; i++) {
                MemoryRegion r = sys.ram("ram" + i, Size.of(0x100));
                root.addSubregion(r, i * 0x1000L);
                out.add(r);
            }
        }
        return sys.addressSpace("as", root);
    }

    @Test
    void aChangeRerendersOnlyTheRegionsOwnPlaceAndKeepsEveryOtherRange() {
        List<MemoryRegion> r = new ArrayList<>();
        AddressSpace as = rams(100, r);
        FlatView before = as.flatView();
        patched(as, () -> r.get(50).setEnabled(false));
        FlatView after = as.flatView();
        assertEquals(99, after.size());
        for (int i = 0; i < 99; i++) {
            assertSame(before.range(i < 50 ? i : i + 1), after.range(i), "range " + i + " is the previous object");
        }
    }

    @Test
    void aChangeToTheTargetOfAnAliasRerendersWhereTheAliasShowsIt() {
        MemoryRegion target = sys.ram("target", Size.of(0x1000));
        root.addSubregion(target, 0);
        root.addSubregion(sys.alias("window", target, 0x800, Size.of(0x800)), 0x10000);
        AddressSpace as = sys.addressSpace("as", root);
        patched(as, () -> target.setReadOnly(true));
        assertEquals(List.of("0-fff target@0 ro", "10000-107ff target@800 ro"), ranges(as.flatView()));
    }

    @Test
    void aChangeBelowTheTargetOfAnAliasRerendersWhereTheAliasShowsItsContainer() {
        MemoryRegion bus = sys.container("bus", Size.of(0x4000));
        MemoryRegion dev = sys.mmio("dev", Size.of(0x100), OPS);
        bus.addSubregion(dev, 0x2100);
        root.addSubregion(sys.alias("bus-window", bus, 0x2000, Size.of(0x1000)), 0x50000);
        AddressSpace as = sys.addressSpace("as", root);
        assertEquals(List.of("50100-501ff dev@0"), ranges(as.flatView()));
        patched(as, () -> dev.setAddress(0x2200)); // at the alias's offset 0x200 now
        assertEquals(List.of("50200-502ff dev@0"), ranges(as.flatView()));
        patched(as, () -> dev.setAddress(0x3100)); // out of the alias's window
        assertEquals(List.of(), ranges(as.flatView()));
    }

    @Test
    void aMoveRerendersTheOldPlaceAndTheNewOne() {
        List<MemoryRegion> r = new ArrayList<>();
        AddressSpace as = rams(4, r);
        patched(as, () -> r.get(1).setAddress(0x8000));
        assertEquals(List.of("0-ff ram0@0", "2000-20ff ram2@0", "3000-30ff ram3@0", "8000-80ff ram1@0"),
                ranges(as.flatView()));
    }

    @Test
    void shrinkingARegionRerendersWhatItNoLongerCovers() {
        MemoryRegion low = sys.ram("low", Size.of(0x1000));
        MemoryRegion top = sys.mmio("top", Size.of(0x800), OPS);
        root.addSubregion(low, 0);
        root.addSubregion(top, 0, 1);
        AddressSpace as = sys.addressSpace("as", root);
        patched(as, () -> top.setSize(Size.of(0x100)));
        assertEquals(List.of("0-ff top@0", "100-fff low@100"), ranges(as.flatView()));
    }

    @Test
    void aPriorityChangeRerendersWhereTheSiblingsOverlap() {
        MemoryRegion a = sys.ram("a", Size.of(0x1000));
        MemoryRegion b = sys.mmio("b", Size.of(0x100), OPS);
        root.addSubregion(a, 0, 1);
        root.addSubregion(b, 0x800, 0);
        AddressSpace as = sys.addressSpace("as", root);
        assertEquals(List.of("0-fff a@0"), ranges(as.flatView()));
        patched(as, () -> b.setPriority(2));
        assertEquals(List.of("0-7ff a@0", "800-8ff b@0", "900-fff a@900"), ranges(as.flatView()));
    }

    @Test
    void rangesCutAtAWindowsEdgeMergeAgainIntoThePreviousObject() {
        MemoryRegion ram = sys.ram("ram", Size.of(0x10000));
        MemoryRegion hidden = sys.mmio("hidden", Size.of(0x100), OPS);
        root.addSubregion(ram, 0);
        root.addSubregion(hidden, 0x8000, 1);
        root.addSubregion(sys.ram("other", Size.of(0x1000)), 0x80000); // so that root, not ram, is the view's root
        hidden.setEnabled(false);
        AddressSpace as = sys.addressSpace("as", root);
        FlatRange before = as.flatView().range(0);
        patched(as, () -> hidden.setReadOnly(true)); // its window cuts ram, which renders there again
        assertSame(before, as.flatView().range(0));
        patched(as, () -> hidden.setEnabled(true));
        assertEquals(List.of("0-7fff ram@0", "8000-80ff hidden@0 ro", "8100-ffff ram@8100", "80000-80fff other@0"),
                ranges(as.flatView()));
        patched(as, () -> hidden.setEnabled(false));
        assertEquals(List.of("0-ffff ram@0", "80000-80fff other@0"), ranges(as.flatView()), "merged across both edges");
    }

    @Test
    void aLargeContainerVisitsTheChildrenInAWindowInPrecedenceOrder() {
        // more children than ChildIndex.MIN_CHILDREN, all over one address: the window must pick the first in
        // precedence (priority, then the most recently placed), as a whole render does
        List<MemoryRegion> stack = new ArrayList<>();
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (int i = 0; i < 3 * ChildIndex.MIN_CHILDREN; i++) {
                MemoryRegion r = sys.ram("r" + i, Size.of(0x100 + i));
                root.addSubregion(r, 0x4000 - i, i % 3);
                stack.add(r);
            }
        }
        AddressSpace as = sys.addressSpace("as", root);
        MemoryRegion first = root.subregions().get(0);
        patched(as, () -> first.setEnabled(false));
        patched(as, () -> stack.get(7).setPriority(5));
        patched(as, () -> stack.get(20).setAddress(0x3ff0));
        patched(as, () -> stack.get(9).setSize(Size.of(0x2000)));
        patched(as, () -> root.removeSubregion(stack.get(7)));
    }

    @Test
    void aTransactionOfManyChangesCommitsOnceAndPatches() {
        List<MemoryRegion> r = new ArrayList<>();
        AddressSpace as = rams(1000, r);
        long commits = sys.renderCount();
        patched(as, () -> {
            try (MemorySystem.Transaction tx = sys.begin()) {
                for (int i = 0; i < 100; i++) {
                    try (MemorySystem.Transaction nested = sys.begin()) {
                        r.get(i * 10).setEnabled(false);
                        r.get(i * 10 + 1).setAddress(r.get(i * 10 + 1).address() + 0x200);
                    }
                }
                assertEquals(commits, sys.renderCount(), "nothing committed inside");
            }
        });
        assertEquals(commits + 1, sys.renderCount());
        assertEquals(900, as.flatView().size());
    }

    @Test
    void aChangeThatTouchesNoViewRepublishesThePreviousView() {
        List<MemoryRegion> r = new ArrayList<>();
        AddressSpace as = rams(3, r);
        FlatView before = as.flatView();
        long whole = sys.fullRenderCount();
        sys.ram("detached", Size.of(0x100)).setReadOnly(true);
        assertSame(before, as.flatView());
        assertEquals(whole, sys.fullRenderCount());
    }

    // --- when a commit renders whole -------------------------------------------------------------------------

    @Test
    void aNewFlatViewRootRendersWhole() {
        MemoryRegion only = sys.container("only", Size.of(0x100000));
        only.addSubregion(sys.ram("ram", Size.of(0x1000)), 0);
        only.addSubregion(sys.ram("ram2", Size.of(0x1000)), 0x2000);
        root.addSubregion(only, 0);
        AddressSpace as = sys.addressSpace("as", root);
        assertSame(only, as.flatView().root(), "QEMU's flat-view root: the one child that covers the root");
        renderedWhole(as, () -> root.addSubregion(sys.mmio("second", Size.of(0x100), OPS), 0x2000));
        assertSame(root, as.flatView().root());
    }

    @Test
    void aBarTagOrAMoveUnderABarAboveRegionsThatAnAliasShowsElsewhereRendersWhole() {
        MemoryRegion bar = sys.container("bar", Size.of(0x4000));
        MemoryRegion sub = sys.container("sub", Size.of(0x2000));
        MemoryRegion mmaps = sys.ramDevice("mmaps", Size.of(0x1000));
        sub.addSubregion(mmaps, 0);
        bar.addSubregion(sub, 0x1000);
        root.addSubregion(bar, 0x10000);
        root.addSubregion(sys.alias("elsewhere", mmaps, 0, Size.of(0x1000)), 0x40000);
        AddressSpace as = sys.addressSpace("as", root);
        // the alias onto mmaps lies outside bar's place, and its range takes the BAR from mmaps's container chain
        renderedWhole(as, () -> bar.setPassthroughBar(BAR));
        assertEquals(List.of("11000-11fff mmaps@0 bar@1000", "40000-40fff mmaps@0 bar@1000"), ranges(as.flatView()));
        renderedWhole(as, () -> sub.setAddress(0x2000)); // mmaps's offset in the BAR moves, through the alias too
        assertEquals(List.of("12000-12fff mmaps@0 bar@2000", "40000-40fff mmaps@0 bar@2000"), ranges(as.flatView()));
        // moving mmaps itself: the walk up from it passes the alias onto it, so a patch covers both places
        patched(as, () -> mmaps.setAddress(0x100));
        assertEquals(List.of("12100-130ff mmaps@0 bar@2100", "40000-40fff mmaps@0 bar@2100"), ranges(as.flatView()));
    }

    @Test
    void aBarTagWithNoAliasBelowIsPatched() {
        MemoryRegion bar = sys.container("bar", Size.of(0x4000));
        bar.addSubregion(sys.ramDevice("mmaps", Size.of(0x1000)), 0x1000);
        root.addSubregion(bar, 0x10000);
        root.addSubregion(sys.ram("ram", Size.of(0x1000)), 0);
        AddressSpace as = sys.addressSpace("as", root);
        patched(as, () -> bar.setPassthroughBar(BAR));
        assertEquals(List.of("0-fff ram@0", "11000-11fff mmaps@0 bar@1000"), ranges(as.flatView()));
    }

    @Test
    void aBarTagAboveAViewsRootRendersWhole() {
        MemoryRegion inner = sys.container("inner", Size.of(0x100000));
        inner.addSubregion(sys.ram("a", Size.of(0x1000)), 0);
        inner.addSubregion(sys.ram("b", Size.of(0x1000)), 0x2000);
        root.addSubregion(inner, 0);
        AddressSpace as = sys.addressSpace("as", root);
        assertSame(inner, as.flatView().root());
        // the view renders from inner: root's place is no window of it, yet every range takes the BAR
        renderedWhole(as, () -> root.setPassthroughBar(BAR));
        assertEquals(List.of("0-fff a@0 bar@0", "2000-2fff b@0 bar@2000"), ranges(as.flatView()));
    }

    @Test
    void windowsCoveringMostOfTheViewRenderWhole() {
        MemoryRegion bus = sys.container("bus", Size.of(0x100000));
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (int i = 0; i < 2 * Renderer.PATCH_MIN_RANGES; i++) {
                bus.addSubregion(sys.ram("r" + i, Size.of(0x100)), i * 0x1000L);
            }
            root.addSubregion(bus, 0);
            root.addSubregion(sys.ram("other", Size.of(0x100)), 0xfff00);
        }
        AddressSpace as = sys.addressSpace("as", root);
        renderedWhole(as, () -> bus.setReadOnly(true));
        assertTrue(as.flatView().range(0).readOnly());
    }

    @Test
    void aRegionShownThroughTooManyAliasesRendersWhole() {
        MemoryRegion shared = sys.ram("shared", Size.of(0x10));
        root.addSubregion(shared, 0);
        for (int i = 1; i <= DirtyWindows.MAX_VISITS; i++) {
            root.addSubregion(sys.alias("a" + i, shared, 0, Size.of(0x10)), i * 0x100L);
        }
        AddressSpace as = sys.addressSpace("as", root);
        renderedWhole(as, () -> shared.setReadOnly(true));
        assertNotNull(as.flatView().rangeAt(DirtyWindows.MAX_VISITS * 0x100L));
        assertTrue(as.flatView().rangeAt(DirtyWindows.MAX_VISITS * 0x100L).readOnly());
    }
}
