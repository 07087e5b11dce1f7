package dev.mmiomediator.vfio;

import static dev.mmiomediator.vfio.MigrationState.ERROR;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY_P2P;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * What a refused move says, per rule: the full sentence ({@code getMessage}) and the short reason the
 * {@code fsm table} command prints. The rules and their order are the kernel's ({@code vfio_mig_get_next_state},
 * docs/vfio-migration.md): current state first, then requested, then the table.
 */
class MigrationTransitionExceptionTest {
    private static MigrationTransitionException refused(MigrationFlags flags, MigrationState from, MigrationState to) {
        return assertThrows(MigrationTransitionException.class, () -> MigrationFsm.nextStep(flags, from, to));
    }

    @Test
    void anUnsupportedCurrentStateIsNamedWithTheFlagsItNeeds() {
        MigrationTransitionException e = refused(MigrationFlags.WITH_P2P, PRE_COPY_P2P, STOP);
        assertEquals(MigrationTransitionException.Kind.CURRENT_UNSUPPORTED, e.kind());
        assertEquals("PRE_COPY_P2P -> STOP: PRE_COPY_P2P is not supported by a device with flags STOP_COPY,P2P: "
                + "it needs STOP_COPY,P2P,PRE_COPY", e.getMessage());
        assertEquals("PRE_COPY_P2P is not supported: it needs STOP_COPY,P2P,PRE_COPY", e.reason());
    }

    @Test
    void anUnsupportedRequestedStateHasAShortReason() {
        MigrationTransitionException e = refused(MigrationFlags.WITH_PRE_COPY, RUNNING, RUNNING_P2P);
        assertEquals("RUNNING_P2P is not supported: it needs STOP_COPY,P2P", e.reason());
    }

    @Test
    void errorAsCurrentStateSaysOnlyAResetLeavesIt() {
        MigrationTransitionException e = refused(MigrationFlags.ALL, ERROR, RUNNING);
        assertEquals("ERROR -> RUNNING: ERROR is never a valid current state; a reset brings the device back to RUNNING",
                e.getMessage());
        assertEquals("ERROR is never a valid current state", e.reason());
    }

    @Test
    void errorAsRequestedStateSaysOnlyAFailedArcEntersIt() {
        MigrationTransitionException e = refused(MigrationFlags.ALL, STOP, ERROR);
        assertEquals("STOP -> ERROR: ERROR is never a valid requested state; a device only enters it when an arc fails",
                e.getMessage());
        assertEquals("ERROR is never a valid requested state", e.reason());
    }

    @Test
    void aBlockedArcNamesTheStateItIsBlockedAtAndTheFlags() {
        MigrationTransitionException e = refused(MigrationFlags.ALL, STOP_COPY, PRE_COPY);
        assertEquals(MigrationTransitionException.Kind.REFUSED_BY_KERNEL, e.kind());
        assertEquals("STOP_COPY -> PRE_COPY is refused by the kernel: its next-step table leads from STOP_COPY to "
                + "ERROR (a blocked arc; device flags STOP_COPY,P2P,PRE_COPY)", e.getMessage());
        assertEquals("refused by the kernel: the next step from STOP_COPY is ERROR", e.reason());
    }
}
