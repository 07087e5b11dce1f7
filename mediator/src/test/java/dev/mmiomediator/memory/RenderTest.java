package dev.mmiomediator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rendering rules of the memory model, one behaviour per test (QEMU semantics, docs/memory-model.md). */
class RenderTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.UNASSIGNED;

    private final MemorySystem sys = new MemorySystem();

    /** Each range as {@code "start-last name@offset rw|ro"}, hex without leading zeros. */
    private static List<String> ranges(FlatView view) {
        List<String> out = new ArrayList<>();
        for (FlatRange r : view.ranges()) {
            out.add(Long.toHexString(r.start()) + "-" + Long.toHexString(r.last()) + " " + r.region().name() + "@"
                    + Long.toHexString(r.offsetInRegion()) + (r.readOnly() ? " ro" : " rw"));
        }
        return out;
    }

    private List<String> render(MemoryRegion root) {
        return ranges(sys.addressSpace("as", root).flatView());
    }

    // --- memory.rst's worked example (docs/memory-model.md) ------------------------------------------------

    private MemoryRegion workedExample(boolean bIsMmio) {
        MemoryRegion a = sys.container("A", Size.of(0x8000));
        MemoryRegion b = bIsMmio ? sys.mmio("B", Size.of(0x4000), OPS) : sys.container("B", Size.of(0x4000));
        MemoryRegion c = sys.mmio("C", Size.of(0x6000), OPS);
        b.addSubregion(sys.mmio("D", Size.of(0x1000), OPS), 0);
        b.addSubregion(sys.mmio("E", Size.of(0x1000), OPS), 0x2000);
        a.addSubregion(b, 0x2000, 2);
        a.addSubregion(c, 0, 1);
        return a;
    }

    @Test
    void workedExampleContainerHolesShowTheLowerPrioritySibling() {
        assertEquals(List.of(
                "0-1fff C@0 rw",
                "2000-2fff D@0 rw",
                "3000-3fff C@3000 rw",
                "4000-4fff E@0 rw",
                "5000-5fff C@5000 rw"), render(workedExample(false)));
    }

    @Test
    void workedExampleMmioFillsItsOwnHoles() {
        assertEquals(List.of(
                "0-1fff C@0 rw",
                "2000-2fff D@0 rw",
                "3000-3fff B@1000 rw",
                "4000-4fff E@0 rw",
                "5000-5fff B@3000 rw"), render(workedExample(true)));
    }

    // --- aliases and clipping ----------------------------------------------------------------------------

    @Test
    void aliasMapsItsWindowToTargetOffsets() {
        MemoryRegion root = sys.container("root", Size.of(0x10000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x1000));
        root.addSubregion(ram, 0x8000);
        // the target's own address does not matter: offsets count from the target's start
        root.addSubregion(sys.alias("win", ram, 0x100, Size.of(0x200)), 0x4000);
        assertEquals(List.of("4000-41ff ram@100 rw", "8000-8fff ram@0 rw"), render(root));
    }

    @Test
    void aliasOfAnAliasAddsBothOffsets() {
        MemoryRegion root = sys.container("root", Size.of(0x10000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x1000));
        MemoryRegion inner = sys.alias("inner", ram, 0x100, Size.of(0x800));
        root.addSubregion(sys.alias("outer", inner, 0x20, Size.of(0x10)), 0x3000);
        assertEquals(List.of("3000-300f ram@120 rw"), render(root));
    }

    @Test
    void childrenAreClippedToTheirParent() {
        MemoryRegion root = sys.container("root", Size.of(0x1000));
        MemoryRegion parent = sys.container("parent", Size.of(0x100));
        root.addSubregion(parent, 0x100);
        parent.addSubregion(sys.ram("sticksOut", Size.of(0x100)), 0x80);
        parent.addSubregion(sys.ram("outside", Size.of(0x10)), 0x200);
        assertEquals(List.of("180-1ff sticksOut@0 rw"), render(root));
    }

    @Test
    void aliasIsClippedToItsWindowAndToItsTarget() {
        MemoryRegion root = sys.container("root", Size.of(0x10000));
        MemoryRegion target = sys.container("target", Size.of(0x30));
        target.addSubregion(sys.ram("r1", Size.of(0x10)), 0);
        target.addSubregion(sys.ram("r2", Size.of(0x10)), 0x20);
        // window [0x8, 0x28): the end of r1, the hole, the start of r2
        root.addSubregion(sys.alias("narrow", target, 0x8, Size.of(0x20)), 0x1000);
        // window [0x28, 0x48): the end of r2, then nothing, as the target ends at 0x30
        root.addSubregion(sys.alias("pastEnd", target, 0x28, Size.of(0x20)), 0x2000);
        assertEquals(List.of("1000-1007 r1@8 rw", "1018-101f r2@0 rw", "2000-2007 r2@8 rw"), render(root));
    }

    @Test
    void readOnlyIsInheritedThroughAnAlias() {
        MemoryRegion root = sys.container("root", Size.of(0x10000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x1000));
        root.addSubregion(ram, 0);
        MemoryRegion ro = sys.alias("ro", ram, 0, Size.of(0x1000));
        ro.setReadOnly(true);
        root.addSubregion(ro, 0x8000);
        FlatView view = sys.addressSpace("as", root).flatView();
        assertEquals(List.of("0-fff ram@0 rw", "8000-8fff ram@0 ro"), ranges(view));
    }

    @Test
    void readOnlyIsInheritedFromAContainer() {
        MemoryRegion root = sys.container("root", Size.of(0x1000));
        MemoryRegion box = sys.container("box", Size.of(0x100));
        box.setReadOnly(true);
        box.addSubregion(sys.ram("inBox", Size.of(0x10)), 0);
        root.addSubregion(box, 0);
        root.addSubregion(sys.rom("rom", Size.of(0x10)), 0x200);
        assertEquals(List.of("0-f inBox@0 ro", "200-20f rom@0 ro"), render(root));
    }

    // --- offsets and merging -----------------------------------------------------------------------------

    @Test
    void offsetInRegionCountsFromTheRegionStartAcrossHoles() {
        MemoryRegion root = sys.container("root", Size.of(0x1000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x100));
        root.addSubregion(ram, 0x100);
        root.addSubregion(sys.mmio("hole", Size.of(0x10), OPS), 0x140, 1);
        assertEquals(List.of("100-13f ram@0 rw", "140-14f hole@0 rw", "150-1ff ram@50 rw"), render(root));
    }

    @Test
    void adjacentPiecesOfTheSameRegionWithContiguousOffsetsMerge() {
        MemoryRegion root = sys.container("root", Size.of(0x10000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x100));
        root.addSubregion(sys.alias("lo", ram, 0, Size.of(0x80)), 0x1000);
        root.addSubregion(sys.alias("hi", ram, 0x80, Size.of(0x80)), 0x1080);
        FlatView view = sys.addressSpace("as", root).flatView();
        assertEquals(List.of("1000-10ff ram@0 rw"), ranges(view));
    }

    @Test
    void adjacentPiecesWithOffsetGapsOrOtherAttributesDoNotMerge() {
        MemoryRegion root = sys.container("root", Size.of(0x10000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x100));
        root.addSubregion(sys.alias("a", ram, 0, Size.of(0x10)), 0x1000);
        root.addSubregion(sys.alias("skip", ram, 0x20, Size.of(0x10)), 0x1010);
        root.addSubregion(sys.alias("b", ram, 0, Size.of(0x10)), 0x2000);
        MemoryRegion ro = sys.alias("ro", ram, 0x10, Size.of(0x10));
        ro.setReadOnly(true);
        root.addSubregion(ro, 0x2010);
        root.addSubregion(sys.ram("other", Size.of(0x10)), 0x2020);
        assertEquals(List.of("1000-100f ram@0 rw", "1010-101f ram@20 rw", "2000-200f ram@0 rw", "2010-201f ram@10 ro",
                "2020-202f other@0 rw"), render(root));
    }

    @Test
    void rangeEndingAtOffsetTwoToThe64DoesNotMergeWithOffsetZero() {
        MemoryRegion root = sys.container("root", Size.FULL);
        MemoryRegion big = sys.ram("big", Size.FULL);
        root.addSubregion(sys.alias("end", big, -0x10L, Size.of(0x10)), 0x1000);
        root.addSubregion(sys.alias("start", big, 0, Size.of(0x10)), 0x1010);
        assertEquals(List.of("1000-100f big@fffffffffffffff0 rw", "1010-101f big@0 rw"), render(root));
    }

    // --- precedence ---------------------------------------------------------------------------------------

    @Test
    void higherPriorityWinsWhateverTheOrder() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        root.addSubregion(sys.ram("high", Size.of(0x10)), 0, 1);
        root.addSubregion(sys.ram("low", Size.of(0x20)), 0, -1);
        assertEquals(List.of("0-f high@0 rw", "10-1f low@10 rw"), render(root));
    }

    @Test
    void equalPriorityMostRecentlyAddedWins() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        MemoryRegion first = sys.ram("first", Size.of(0x20));
        MemoryRegion second = sys.ram("second", Size.of(0x10));
        root.addSubregion(first, 0);
        root.addSubregion(second, 0);
        assertEquals(List.of(second, first), root.subregions());
        assertEquals(List.of("0-f second@0 rw", "10-1f first@10 rw"), render(root));
    }

    @Test
    void setAddressMakesTheRegionTheMostRecent() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        MemoryRegion first = sys.ram("first", Size.of(0x20));
        MemoryRegion second = sys.ram("second", Size.of(0x20));
        root.addSubregion(first, 0x10);
        root.addSubregion(second, 0);
        AddressSpace as = sys.addressSpace("as", root);
        first.setAddress(0);
        assertEquals(List.of(first, second), root.subregions());
        assertEquals(List.of("0-1f first@0 rw"), ranges(as.flatView()));
    }

    @Test
    void setAddressToTheSameAddressKeepsTheOrder() {
        // QEMU's memory_region_set_address does nothing when the address is unchanged
        MemoryRegion root = sys.container("root", Size.of(0x100));
        MemoryRegion first = sys.ram("first", Size.of(0x20));
        MemoryRegion second = sys.ram("second", Size.of(0x20));
        root.addSubregion(first, 0);
        root.addSubregion(second, 0);
        AddressSpace as = sys.addressSpace("as", root);
        long renders = sys.renderCount();
        first.setAddress(0);
        assertEquals(List.of(second, first), root.subregions());
        assertEquals(List.of("0-1f second@0 rw"), ranges(as.flatView()));
        assertEquals(renders, sys.renderCount(), "nothing changed, nothing to render");
    }

    @Test
    void disabledRegionHidesNothing() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        MemoryRegion cover = sys.mmio("cover", Size.of(0x100), OPS);
        cover.addSubregion(sys.ram("inCover", Size.of(0x10)), 0);
        root.addSubregion(sys.ram("below", Size.of(0x20)), 0, 0);
        root.addSubregion(cover, 0, 5);
        AddressSpace as = sys.addressSpace("as", root);
        cover.setEnabled(false);
        assertEquals(List.of("0-1f below@0 rw"), ranges(as.flatView()), "neither it nor its children show");
        cover.setEnabled(true);
        assertEquals(List.of("0-f inCover@0 rw", "10-ff cover@10 rw"), ranges(as.flatView()));
    }

    // --- extreme sizes ------------------------------------------------------------------------------------

    @Test
    void fullSizeRootRendersRegionsEndingAtTheLastAddress() {
        MemoryRegion root = sys.container("root", Size.FULL);
        MemoryRegion background = sys.ram("background", Size.FULL);
        root.addSubregion(background, 0, -1);
        root.addSubregion(sys.ram("top", Size.of(0x1000)), 0xfffffffffffff000L);
        FlatView view = sys.addressSpace("as", root).flatView();
        assertEquals(List.of("0-ffffffffffffefff background@0 rw", "fffffffffffff000-ffffffffffffffff top@0 rw"),
                ranges(view));
        assertEquals(-1L, view.range(1).last());
        assertSame(view.range(1), view.rangeAt(-1L));
        assertEquals(Size.ofLast(0xffffffffffffefffL), view.range(0).size());
    }

    @Test
    void singleFullSizeRangeHasSizeTwoToThe64() {
        MemoryRegion ram = sys.ram("all", Size.FULL);
        FlatView view = sys.addressSpace("as", ram).flatView();
        assertEquals(List.of("0-ffffffffffffffff all@0 rw"), ranges(view));
        assertEquals(Size.FULL, view.range(0).size());
    }

    @Test
    void aliasWithAWindowAtTheTopOfAFullRegionMapsBelowZeroBases() {
        MemoryRegion root = sys.container("root", Size.FULL);
        MemoryRegion big = sys.ram("big", Size.FULL);
        // the target's base is 0x1000 - (2^64 - 0x100): below zero; clipping brings it back
        root.addSubregion(sys.alias("tail", big, 0xffffffffffffff00L, Size.of(0x100)), 0x1000);
        assertEquals(List.of("1000-10ff big@ffffffffffffff00 rw"), render(root));
    }

    @Test
    void zeroSizeRegionsRenderAndHideNothing() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        MemoryRegion empty = sys.mmio("empty", Size.ZERO, OPS);
        MemoryRegion emptyBox = sys.container("emptyBox", Size.ZERO);
        emptyBox.addSubregion(sys.ram("inEmptyBox", Size.of(0x10)), 0);
        root.addSubregion(sys.ram("below", Size.of(0x10)), 0);
        root.addSubregion(empty, 0, 9);
        root.addSubregion(emptyBox, 0, 9);
        root.addSubregion(sys.ram("emptyAtTop", Size.ZERO), -1L);
        assertEquals(List.of("0-f below@0 rw"), render(root));
    }

    // --- transactions and address spaces --------------------------------------------------------------

    @Test
    void nestedTransactionsRenderOnceAtTheOutermostCommit() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        AddressSpace as = sys.addressSpace("as", root);
        long before = sys.renderCount();
        FlatView old = as.flatView();
        try (MemorySystem.Transaction outer = sys.begin()) {
            root.addSubregion(sys.ram("a", Size.of(0x10)), 0);
            try (MemorySystem.Transaction inner = sys.begin()) {
                root.addSubregion(sys.ram("b", Size.of(0x10)), 0x10);
            }
            sys.transaction(() -> root.addSubregion(sys.ram("c", Size.of(0x10)), 0x20));
            assertEquals(before, sys.renderCount(), "no render before the outermost commit");
            assertSame(old, as.flatView(), "readers keep the old view until then");
        }
        assertEquals(before + 1, sys.renderCount());
        assertEquals(List.of("0-f a@0 rw", "10-1f b@0 rw", "20-2f c@0 rw"), ranges(as.flatView()));
    }

    @Test
    void transactionWithoutChangesDoesNotRender() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        sys.addressSpace("as", root);
        long before = sys.renderCount();
        sys.transaction(() -> { });
        MemorySystem.Transaction tx = sys.begin();
        tx.close();
        tx.close(); // closing twice is harmless
        assertEquals(before, sys.renderCount());
    }

    @Test
    void changesOutsideATransactionRenderImmediately() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        AddressSpace as = sys.addressSpace("as", root);
        long before = sys.renderCount();
        root.addSubregion(sys.ram("a", Size.of(0x10)), 0);
        assertEquals(before + 1, sys.renderCount());
        assertEquals(List.of("0-f a@0 rw"), ranges(as.flatView()));
    }

    @Test
    void addressSpacesWithTheSameRootShareOneFlatView() {
        MemoryRegion root = sys.container("root", Size.of(0x100));
        root.addSubregion(sys.ram("a", Size.of(0x10)), 0);
        root.addSubregion(sys.ram("b", Size.of(0x10)), 0x20);
        AddressSpace one = sys.addressSpace("one", root);
        AddressSpace two = sys.addressSpace("two", root);
        // an alias showing all of root from offset 0 descends to root: shared as well
        AddressSpace viaAlias = sys.addressSpace("viaAlias", sys.alias("whole", root, 0, Size.of(0x100)));
        MemoryRegion other = sys.container("other", Size.of(0x100));
        other.addSubregion(sys.ram("c", Size.of(0x10)), 0);
        other.addSubregion(sys.ram("d", Size.of(0x10)), 0x20);
        AddressSpace three = sys.addressSpace("three", other);
        assertSame(one.flatView(), two.flatView());
        assertSame(one.flatView(), viaAlias.flatView());
        assertNotSame(one.flatView(), three.flatView());
        root.addSubregion(sys.ram("e", Size.of(0x10)), 0x40);
        assertSame(one.flatView(), two.flatView(), "still shared after a re-render");
        assertEquals(3, one.flatView().size());
    }

    @Test
    void flatViewRootOfAContainerWithOnlyADisabledAliasIsNothing() {
        MemoryRegion root = sys.container("root", Size.of(0x1000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x1000));
        MemoryRegion alias = sys.alias("alias", ram, 0, Size.of(0x1000));
        alias.setEnabled(false);
        root.addSubregion(alias, 0);
        FlatView view = sys.addressSpace("as", root).flatView();
        assertNull(view.root());
        assertEquals(0, view.size());
        assertNull(view.rangeAt(0));
    }

    @Test
    void flatViewRootDescendsIntoTheOnlyEnabledChildAtAddressZero() {
        MemoryRegion root = sys.container("root", Size.of(0x1000));
        MemoryRegion child = sys.container("child", Size.of(0x800));
        child.addSubregion(sys.ram("ram", Size.of(0x10)), 0x10);
        child.addSubregion(sys.ram("ram2", Size.of(0x10)), 0x30);
        MemoryRegion off = sys.ram("off", Size.of(0x10));
        off.setEnabled(false);
        root.addSubregion(child, 0);
        root.addSubregion(off, 0x100);
        FlatView view = sys.addressSpace("as", root).flatView();
        assertSame(child, view.root());
        assertEquals(List.of("10-1f ram@0 rw", "30-3f ram2@0 rw"), ranges(view));
    }

    @Test
    void flatViewRootStopsAtAChildNotAtZeroOrLargerThanItsParent() {
        MemoryRegion notAtZero = sys.container("notAtZero", Size.of(0x1000));
        notAtZero.addSubregion(sys.ram("a", Size.of(0x10)), 0x10);
        MemoryRegion tooBig = sys.container("tooBig", Size.of(0x10));
        tooBig.addSubregion(sys.ram("b", Size.of(0x20)), 0);
        assertSame(notAtZero, sys.addressSpace("x", notAtZero).flatView().root());
        FlatView clipped = sys.addressSpace("y", tooBig).flatView();
        assertSame(tooBig, clipped.root());
        assertEquals(List.of("0-f b@0 rw"), ranges(clipped), "rendering from the container clips the child");
    }

    @Test
    void flatViewRootDescendsIntoAWholeAliasTargetButNotAPartialOne() {
        MemoryRegion ram = sys.ram("ram", Size.of(0x100));
        MemoryRegion whole = sys.alias("whole", ram, 0, Size.of(0x200));
        MemoryRegion shifted = sys.alias("shifted", ram, 0x10, Size.of(0x100));
        MemoryRegion cut = sys.alias("cut", ram, 0, Size.of(0x80));
        assertSame(ram, sys.addressSpace("whole", whole).flatView().root());
        assertSame(shifted, sys.addressSpace("shifted", shifted).flatView().root());
        FlatView cutView = sys.addressSpace("cut", cut).flatView();
        assertSame(cut, cutView.root());
        assertEquals(List.of("0-7f ram@0 rw"), ranges(cutView));
    }

    @Test
    void flatViewRootDescentDropsTheAliasReadOnlyFlag() {
        // as in QEMU: the alias is skipped entirely, so its read-only flag does not reach the view
        MemoryRegion ram = sys.ram("ram", Size.of(0x100));
        MemoryRegion whole = sys.alias("whole", ram, 0, Size.of(0x100));
        whole.setReadOnly(true);
        FlatView view = sys.addressSpace("as", whole).flatView();
        assertSame(ram, view.root());
        assertFalse(view.range(0).readOnly());
    }

    @Test
    void flatViewRootOfADisabledRootIsNothing() {
        MemoryRegion ram = sys.ram("ram", Size.of(0x100));
        AddressSpace as = sys.addressSpace("as", ram);
        assertSame(ram, as.flatView().root());
        ram.setEnabled(false);
        assertNull(as.flatView().root());
        assertTrue(as.flatView().ranges().isEmpty());
    }
}
