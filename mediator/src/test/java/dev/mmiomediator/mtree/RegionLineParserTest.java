package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fields of one region line of a tree dump, one behaviour per test. */
class RegionLineParserTest {
    private final ImportContext ctx = new ImportContext("t.txt", RegionCatalogue.builtIn(), true);

    @Test
    void aRegionLineGivesItsLevelRangePriorityTypeAndName() {
        DumpNode n = RegionLineParser.parse("    00000000fee00000-00000000feefffff (prio 4096, i/o): apic-msi", 7, ctx);
        assertEquals(7, n.line);
        assertEquals(2, n.level);
        assertEquals(0xfee00000L, n.start);
        assertEquals(0xfeefffffL, n.end);
        assertEquals(4096, n.prio);
        assertEquals("i/o", n.type);
        assertEquals("apic-msi", n.name);
        assertFalse(n.alias);
        assertFalse(n.disabled);
    }

    @Test
    void theDisabledMarkerAndNvPrefixAreAttributesNotPartOfTheName() {
        DumpNode n = RegionLineParser.parse("  0000000000000000-0000000000000fff (prio -1, nv-ram): nvram [disabled]", 1, ctx);
        assertTrue(n.nv);
        assertTrue(n.disabled);
        assertEquals(-1, n.prio);
        assertEquals("ram", n.type);
        assertEquals("nvram", n.name);
    }

    @Test
    void anAliasLineGivesItsTargetAndWindow() {
        DumpNode n = RegionLineParser.parse("    00000000000c0000-00000000000c3fff (prio 1, ram): "
                + "alias pam-rom @pc.ram 00000000000c0000-00000000000c3fff", 3, ctx);
        assertTrue(n.alias);
        assertEquals("pam-rom", n.name);
        assertEquals("pc.ram", n.targetName);
        assertEquals(0xc0000L, n.aliasStart);
        assertEquals(0xc3fffL, n.aliasEnd);
    }

    @Test
    void anOddIndentIsRefusedNamingTheIndent() {
        MtreeFormatException e = assertThrows(MtreeFormatException.class, () -> RegionLineParser.parse(
                "   0000000000000000-0000000000000fff (prio 0, ram): r", 5, ctx));
        assertEquals("t.txt:5: indent of 3 spaces: expected a positive even number (two spaces per level)", e.getMessage());
    }

    @Test
    void aDumpShowsDisabledRegionsWhenAnyLineEndsWithTheMarker() {
        assertTrue(RegionLineParser.showsDisabled(java.util.List.of("address-space: a", "  0-0 (prio 0, i/o): x [disabled]")));
        assertFalse(RegionLineParser.showsDisabled(java.util.List.of("address-space: a", "  0-0 (prio 0, i/o): x")));
    }
}
