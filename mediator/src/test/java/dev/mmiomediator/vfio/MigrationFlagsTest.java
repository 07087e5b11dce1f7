package dev.mmiomediator.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Device flags: parsing, bits and the supported-state rule. */
class MigrationFlagsTest {
    @Test
    void parseReadsCommaSeparatedNamesInAnyOrderAndCase() {
        assertSame(MigrationFlags.WITH_P2P, MigrationFlags.parse("STOP_COPY,P2P"));
        assertSame(MigrationFlags.WITH_P2P, MigrationFlags.parse("p2p, stop_copy"));
        assertSame(MigrationFlags.ALL, MigrationFlags.parse("PRE_COPY|P2P|STOP_COPY"));
        assertSame(MigrationFlags.STOP_COPY_ONLY, MigrationFlags.parse("STOP_COPY"));
    }

    @Test
    void bitsAreTheUapis() {
        assertEquals(List.of(1, 3, 5, 7), MigrationFlags.uapiFlagSets().stream().map(MigrationFlags::bits).toList());
        assertEquals(1, MigrationFlag.STOP_COPY.bit());
        assertEquals(2, MigrationFlag.P2P.bit());
        assertEquals(4, MigrationFlag.PRE_COPY.bit());
        assertSame(MigrationFlags.WITH_PRE_COPY, MigrationFlags.fromBits(5));
        assertEquals(EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY), MigrationFlags.WITH_PRE_COPY.flags());
    }

    @Test
    void toStringListsNamesInBitOrderAndParsesBack() {
        assertEquals("STOP_COPY,P2P,PRE_COPY", MigrationFlags.ALL.toString());
        for (MigrationFlags f : MigrationFlags.uapiFlagSets()) {
            assertSame(f, MigrationFlags.parse(f.toString()));
        }
    }

    @Test
    void flagsWithoutStopCopyAreRefusedNamingTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationFlags.parse("P2P"));
        assertEquals("migration flags 'P2P': STOP_COPY is mandatory for every migratable device", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MigrationFlags.fromBits(2));
        assertEquals("migration flags 0x2: STOP_COPY is mandatory for every migratable device", e.getMessage());
    }

    @Test
    void unknownFlagIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationFlags.parse("STOP_COPY,DIRTY"));
        assertEquals("migration flags 'STOP_COPY,DIRTY': unknown flag 'DIRTY', expected a comma-separated list of "
                + "STOP_COPY, P2P, PRE_COPY", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MigrationFlags.parse(""));
        assertThrows(IllegalArgumentException.class, () -> MigrationFlags.parse("STOP_COPY,"));
        e = assertThrows(IllegalArgumentException.class, () -> MigrationFlags.fromBits(9));
        assertTrue(e.getMessage().startsWith("migration flags 0x9: unknown bits 0x8"), e.getMessage());
    }

    @Test
    void repeatedFlagIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationFlags.parse("STOP_COPY,P2P,p2p"));
        assertEquals("migration flags 'STOP_COPY,P2P,p2p': P2P given twice", e.getMessage());
    }

    /** flags: supported states in uapi order. */
    @Test
    void supportedStatesPerFlagSet() {
        assertEquals("[STOP, RUNNING, STOP_COPY, RESUMING]", MigrationFlags.STOP_COPY_ONLY.supportedStates().toString());
        assertEquals("[STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P]",
                MigrationFlags.WITH_P2P.supportedStates().toString());
        assertEquals("[STOP, RUNNING, STOP_COPY, RESUMING, PRE_COPY]",
                MigrationFlags.WITH_PRE_COPY.supportedStates().toString());
        assertEquals("[STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P]",
                MigrationFlags.ALL.supportedStates().toString());
    }

    @Test
    void errorIsNeverSupported() {
        for (MigrationFlags f : MigrationFlags.uapiFlagSets()) {
            assertFalse(f.supports(MigrationState.ERROR), f.toString());
        }
    }

    @Test
    void flagSetsAreEqualExactlyWhenTheirBitsAre() {
        for (MigrationFlags a : MigrationFlags.uapiFlagSets()) {
            for (MigrationFlags b : MigrationFlags.uapiFlagSets()) {
                assertEquals(a.bits() == b.bits(), a.equals(b), a + " vs " + b);
            }
        }
        assertFalse(MigrationFlags.ALL.equals(MigrationFlags.ALL.bits()), "an int is not a flag set");
        assertFalse(MigrationFlags.ALL.equals(null));
    }

    @Test
    void theFourFlagSetsHashApartSoTheyCanKeyAHashMap() {
        assertEquals(4, MigrationFlags.uapiFlagSets().stream().mapToInt(MigrationFlags::hashCode).distinct().count());
        assertEquals(MigrationFlags.parse("P2P,STOP_COPY").hashCode(), MigrationFlags.WITH_P2P.hashCode());
    }
}
