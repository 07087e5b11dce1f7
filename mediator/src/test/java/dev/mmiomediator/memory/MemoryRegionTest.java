package dev.mmiomediator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Building region trees: precedence order, and every kind of bad input, which must be rejected with the
 * right exception type, a message naming the offending value, and no change to the topology.
 */
class MemoryRegionTest {
    private static final MemoryRegionOps OPS = MemoryRegionOps.UNASSIGNED;

    private MemorySystem sys;
    private MemoryRegion root;
    private MemoryRegion ram;
    private MemoryRegion box;
    private AddressSpace as;

    @BeforeEach
    void tree() {
        sys = new MemorySystem();
        root = sys.container("root", Size.of(0x10000));
        ram = sys.ram("ram", Size.of(0x1000));
        box = sys.container("box", Size.of(0x1000));
        root.addSubregion(ram, 0x1000);
        root.addSubregion(box, 0x4000, 1);
        as = sys.addressSpace("as", root);
    }

    /** Everything observable about the topology of {@code regions}, plus the render count and the view. */
    private String topology(MemoryRegion... regions) {
        StringBuilder sb = new StringBuilder("renders=" + sys.renderCount() + " view="
                + System.identityHashCode(as.flatView()) + "\n" + as.flatView() + "\n");
        for (MemoryRegion r : regions) {
            sb.append(r.name()).append(": in=").append(r.container() == null ? "-" : r.container().name())
                    .append(" at=").append(Size.hex(r.address())).append(" prio=").append(r.priority())
                    .append(" size=").append(r.size()).append(" children=");
            for (MemoryRegion c : r.subregions()) {
                sb.append(c.name()).append('@').append(Size.hex(c.address())).append(' ');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Asserts {@code call} throws {@code type} with a message containing every fragment, changing nothing. */
    private <T extends Throwable> T rejects(Class<T> type, Executable call, List<MemoryRegion> watched,
                                          String... fragments) {
        MemoryRegion[] w = watched.toArray(new MemoryRegion[0]);
        String before = topology(w);
        T e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f),
                    "message \"" + e.getMessage() + "\" should name " + f);
        }
        assertEquals(before, topology(w), "topology changed by a rejected call");
        return e;
    }

    // --- precedence order ---------------------------------------------------------------------------------

    @Test
    void subregionsAreListedByDescendingPriorityThenMostRecentFirst() {
        MemoryRegion p = sys.container("p", Size.of(0x100));
        MemoryRegion a = sys.ram("a", Size.of(1));
        MemoryRegion b = sys.ram("b", Size.of(1));
        MemoryRegion c = sys.ram("c", Size.of(1));
        MemoryRegion d = sys.ram("d", Size.of(1));
        p.addSubregion(a, 0, 0);
        p.addSubregion(b, 0, -3);
        p.addSubregion(c, 0, 7);
        p.addSubregion(d, 0, 0);
        assertEquals(List.of(c, d, a, b), p.subregions());
        assertSame(p, d.container());
        assertEquals(-3, b.priority());
    }

    @Test
    void setPriorityMakesTheRegionMostRecentAtItsNewPriority() {
        MemoryRegion p = sys.container("p", Size.of(0x100));
        MemoryRegion a = sys.ram("a", Size.of(1));
        MemoryRegion b = sys.ram("b", Size.of(1));
        p.addSubregion(a, 0, 1);
        p.addSubregion(b, 0, 0);
        a.setPriority(0);
        assertEquals(List.of(a, b), p.subregions());
    }

    @Test
    void removeSubregionDetachesTheChild() {
        root.removeSubregion(ram);
        assertNull(ram.container());
        assertEquals(List.of(box), root.subregions());
        assertEquals(0, as.flatView().size());
    }

    // --- bad structure --------------------------------------------------------------------------------

    @Test
    void addingARegionTwiceIsRejected() {
        rejects(IllegalArgumentException.class, () -> root.addSubregion(ram, 0x2000), List.of(root, ram),
                "'ram'", "'root'", "already a subregion");
    }

    @Test
    void addingARegionToASecondParentIsRejected() {
        rejects(IllegalArgumentException.class, () -> box.addSubregion(ram, 0), List.of(root, box, ram),
                "'ram'", "'root'", "at most one container");
    }

    @Test
    void addingASubregionToAnAliasIsRejected() {
        MemoryRegion alias = sys.alias("window", box, 0, Size.of(0x100));
        root.addSubregion(alias, 0x8000);
        MemoryRegion extra = sys.ram("extra", Size.of(0x10));
        rejects(IllegalArgumentException.class, () -> alias.addSubregion(extra, 0), List.of(root, alias, extra, box),
                "'window'", "'extra'", "alias");
    }

    @Test
    void addingARegionToItselfIsRejected() {
        rejects(IllegalArgumentException.class, () -> box.addSubregion(box, 0), List.of(root, box), "'box'");
    }

    @Test
    void directAliasCycleIsRejected() {
        MemoryRegion alias = sys.alias("loop", box, 0, Size.of(0x100));
        rejects(IllegalArgumentException.class, () -> box.addSubregion(alias, 0), List.of(box, alias),
                "cycle", "'loop'", "'box'");
    }

    @Test
    void aliasCycleThroughContainersIsRejected() {
        MemoryRegion inner = sys.container("inner", Size.of(0x100));
        MemoryRegion innermost = sys.container("innermost", Size.of(0x10));
        box.addSubregion(inner, 0);
        inner.addSubregion(innermost, 0);
        MemoryRegion holder = sys.container("holder", Size.of(0x100));
        MemoryRegion alias = sys.alias("back", box, 0, Size.of(0x100));
        holder.addSubregion(alias, 0);
        // innermost -> holder -> back -> box -> inner -> innermost
        rejects(IllegalArgumentException.class, () -> innermost.addSubregion(holder, 0),
                List.of(root, box, inner, innermost, holder, alias), "cycle", "'holder'", "'innermost'", "'back'");
    }

    @Test
    void aliasCycleThroughAnAliasChainIsRejected() {
        MemoryRegion first = sys.alias("first", box, 0, Size.of(0x100));
        MemoryRegion second = sys.alias("second", first, 0, Size.of(0x100));
        rejects(IllegalArgumentException.class, () -> box.addSubregion(second, 0x800), List.of(box, first, second),
                "cycle", "'second'", "'first'", "'box'");
    }

    @Test
    void regionOfAnotherSystemIsRejected() {
        MemoryRegion foreign = new MemorySystem().ram("foreign", Size.of(0x10));
        rejects(IllegalArgumentException.class, () -> root.addSubregion(foreign, 0), List.of(root, foreign),
                "'foreign'", "another MemorySystem");
        rejects(IllegalArgumentException.class, () -> sys.alias("x", foreign, 0, Size.of(1)), List.of(root),
                "'x'", "'foreign'");
    }

    @Test
    void removingARegionThatIsNotAChildIsRejected() {
        MemoryRegion stray = sys.ram("stray", Size.of(0x10));
        rejects(IllegalArgumentException.class, () -> box.removeSubregion(ram), List.of(root, box, ram),
                "'ram'", "'box'");
        rejects(IllegalArgumentException.class, () -> root.removeSubregion(stray), List.of(root, stray), "'stray'");
    }

    // --- addresses and sizes past 2^64 ----------------------------------------------------------------------

    @Test
    void addressPlusSizePastTwoToThe64IsRejected() {
        MemoryRegion full = sys.container("full", Size.FULL);
        MemoryRegion r = sys.ram("r", Size.of(0x10));
        rejects(IllegalArgumentException.class, () -> full.addSubregion(r, 0xfffffffffffffff8L), List.of(full, r),
                "'r'", "0xfffffffffffffff8", "0x10", "2^64");
        full.addSubregion(r, 0xfffffffffffffff0L); // ends exactly at 2^64 - 1: fine
        assertEquals(0xfffffffffffffff0L, r.address());
        MemoryRegion whole = sys.ram("whole", Size.FULL);
        rejects(IllegalArgumentException.class, () -> full.addSubregion(whole, 1), List.of(full, whole),
                "'whole'", "0x1", "2^64");
    }

    @Test
    void setAddressPastTwoToThe64IsRejectedAndKeepsTheOrder() {
        MemoryRegion full = sys.container("full", Size.FULL);
        MemoryRegion a = sys.ram("a", Size.of(0x10));
        MemoryRegion b = sys.ram("b", Size.of(0x10));
        full.addSubregion(a, 0);
        full.addSubregion(b, 0);
        rejects(IllegalArgumentException.class, () -> a.setAddress(-8L), List.of(full, a, b),
                "'a'", "0xfffffffffffffff8");
        assertEquals(List.of(b, a), full.subregions());
    }

    @Test
    void setSizePastTwoToThe64IsRejected() {
        MemoryRegion full = sys.container("full", Size.FULL);
        MemoryRegion a = sys.ram("a", Size.of(0x10));
        full.addSubregion(a, 0xffffffffffffff00L);
        rejects(IllegalArgumentException.class, () -> a.setSize(Size.of(0x101)), List.of(full, a),
                "'a'", "0x101", "2^64");
    }

    @Test
    void aliasWindowPastTwoToThe64IsRejected() {
        MemoryRegion big = sys.ram("big", Size.FULL);
        rejects(IllegalArgumentException.class, () -> sys.alias("tail", big, -0x10L, Size.of(0x11)), List.of(big),
                "'tail'", "0xfffffffffffffff0", "0x11", "'big'");
        MemoryRegion ok = sys.alias("ok", big, -0x10L, Size.of(0x10));
        rejects(IllegalArgumentException.class, () -> ok.setAliasOffset(-0x8L), List.of(big, ok),
                "'ok'", "0xfffffffffffffff8");
        assertEquals(-0x10L, ok.aliasOffset());
    }

    // --- names and kinds ----------------------------------------------------------------------------------

    @Test
    void emptyRegionNameIsRejected() {
        rejects(IllegalArgumentException.class, () -> sys.ram("", Size.of(1)), List.of(root), "''");
    }

    @Test
    void nullRegionNameIsRejected() {
        rejects(IllegalArgumentException.class, () -> sys.container(null, Size.of(1)), List.of(root), "null");
    }

    @Test
    void emptyOrNullAddressSpaceNameIsRejected() {
        int count = sys.addressSpaces().size();
        rejects(IllegalArgumentException.class, () -> sys.addressSpace("", root), List.of(root), "''");
        rejects(IllegalArgumentException.class, () -> sys.addressSpace(null, root), List.of(root), "null");
        assertEquals(count, sys.addressSpaces().size());
    }

    @Test
    void romdModeOnAnotherKindIsRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ram.setRomdMode(false));
        assertTrue(e.getMessage().contains("'ram'") && e.getMessage().contains("RAM"), e.getMessage());
    }

    @Test
    void aliasOffsetOfANonAliasIsRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> box.setAliasOffset(0));
        assertTrue(e.getMessage().contains("'box'"), e.getMessage());
    }

    @Test
    void romIsReadOnlyFromCreation() {
        assertTrue(sys.rom("bios", Size.of(0x100)).isReadOnly());
    }

    // --- Size -------------------------------------------------------------------------------------------

    @Test
    void sizeParsesBytesHexSuffixesAndTwoToThe64() {
        assertEquals(Size.ZERO, Size.parse("0"));
        assertEquals(Size.of(4096), Size.parse("4K"));
        assertEquals(Size.of(0x10), Size.parse(" 0x10 "));
        assertEquals(Size.of(3L << 30), Size.parse("3g"));
        assertEquals(Size.FULL, Size.parse("2^64"));
        assertEquals(Size.FULL, Size.parse("0x10000000000000000"));
        assertEquals(Size.FULL, Size.parse("16777216T"));
        assertEquals(Size.ofLast(-2L), Size.parse("18446744073709551615"));
    }

    @Test
    void sizeParseRejectsGarbage() {
        for (String bad : new String[] {"garbage", "", "0x", "12q", "1.5K", "K", "2^63", "-1", "0x-1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Size.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), "message \"" + e.getMessage() + "\" names " + bad);
        }
    }

    @Test
    void sizeParseRejectsMoreThanTwoToThe64() {
        for (String big : new String[] {"0x10000000000000001", "18446744073709551617", "16777217T"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Size.parse(big), big);
            assertTrue(e.getMessage().contains("'" + big + "'") && e.getMessage().contains("2^64"), e.getMessage());
        }
    }

    @Test
    void sizeArithmeticAtTheEdges() {
        assertTrue(Size.FULL.isFull());
        assertEquals(-1L, Size.FULL.last());
        assertThrows(ArithmeticException.class, Size.FULL::bytes);
        assertThrows(IllegalStateException.class, Size.ZERO::last);
        assertTrue(Size.FULL.contains(-1L));
        assertTrue(Size.ZERO.compareTo(Size.of(1)) < 0);
        assertTrue(Size.of(-1L).compareTo(Size.FULL) < 0, "2^64 - 1 < 2^64");
        assertEquals("2^64", Size.FULL.toString());
        assertEquals(Size.FULL, Size.ofLast(-1L));
    }
}
