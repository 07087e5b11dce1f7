package dev.mmiomediator.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The states: uapi numbers, names and what each allows (docs/vfio-migration.md, "States and flags"). */
class MigrationStateTest {
    @Test
    void uapiNumbersAreTheKernels() {
        String expected = "ERROR=0 STOP=1 RUNNING=2 STOP_COPY=3 RESUMING=4 RUNNING_P2P=5 PRE_COPY=6 PRE_COPY_P2P=7";
        StringBuilder actual = new StringBuilder();
        for (MigrationState s : MigrationState.values()) {
            actual.append(actual.length() == 0 ? "" : " ").append(s).append('=').append(s.uapi());
            assertEquals(s, MigrationState.fromUapi(s.uapi()));
            assertEquals(s.ordinal(), s.uapi());
        }
        assertEquals(expected, actual.toString());
    }

    @Test
    void unknownUapiNumberIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationState.fromUapi(8));
        assertTrue(e.getMessage().startsWith("migration state number 8: expected 0 to 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MigrationState.fromUapi(-1));
    }

    @Test
    void parseIgnoresCase() {
        assertEquals(MigrationState.RUNNING_P2P, MigrationState.parse("running_p2p"));
        assertEquals(MigrationState.STOP_COPY, MigrationState.parse(" Stop_Copy "));
    }

    @Test
    void unknownNameIsRefusedListingTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationState.parse("RUNING"));
        assertEquals("migration state 'RUNING': expected one of ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, "
                + "PRE_COPY, PRE_COPY_P2P", e.getMessage());
    }

    /** state: acceptsInboundMmio mayInitiateDma mustNotBeTouched isSaving isResuming (docs/vfio-migration.md). */
    private static final String[] PREDICATES = {
        "ERROR        - - X - -",
        "STOP         - - X - -",
        "RUNNING      X X - - -",
        "STOP_COPY    - - X X -",
        "RESUMING     - - X - X",
        "RUNNING_P2P  X - - - -",
        "PRE_COPY     X X - X -",
        "PRE_COPY_P2P X - - X -",
    };

    @Test
    void predicatesPerState() {
        for (String row : PREDICATES) {
            String[] f = row.trim().split(" +");
            MigrationState s = MigrationState.parse(f[0]);
            assertEquals(f[1].equals("X"), s.acceptsInboundMmio(), s + " acceptsInboundMmio");
            assertEquals(f[2].equals("X"), s.mayInitiateDma(), s + " mayInitiateDma");
            assertEquals(f[3].equals("X"), s.mustNotBeTouched(), s + " mustNotBeTouched");
            assertEquals(f[4].equals("X"), s.isSaving(), s + " isSaving");
            assertEquals(f[5].equals("X"), s.isResuming(), s + " isResuming");
        }
        assertEquals(MigrationState.values().length, PREDICATES.length);
    }

    @Test
    void acceptingInboundMmioAndMustNotBeTouchedAreComplements() {
        for (MigrationState s : MigrationState.values()) {
            assertEquals(!s.acceptsInboundMmio(), s.mustNotBeTouched(), s.name());
        }
    }

    @Test
    void requiredFlagsAreTheKernelsStateFlagsTable() {
        assertEquals("STOP_COPY", MigrationState.STOP.requiredFlags().orElseThrow().toString());
        assertEquals("STOP_COPY", MigrationState.RESUMING.requiredFlags().orElseThrow().toString());
        assertEquals("STOP_COPY,P2P", MigrationState.RUNNING_P2P.requiredFlags().orElseThrow().toString());
        assertEquals("STOP_COPY,PRE_COPY", MigrationState.PRE_COPY.requiredFlags().orElseThrow().toString());
        assertEquals("STOP_COPY,P2P,PRE_COPY", MigrationState.PRE_COPY_P2P.requiredFlags().orElseThrow().toString());
        assertEquals(Optional.empty(), MigrationState.ERROR.requiredFlags());
        assertEquals(~0, MigrationState.ERROR.requiredFlagBits());
    }
}
