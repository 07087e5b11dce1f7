package dev.mmiomediator.vfio;

import java.io.IOException;

/**
 * What a {@link PassthroughDevice} calls to move the real (or simulated) device: one arc of the kernel's state
 * machine at a time, mirroring {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}, and {@code VFIO_DEVICE_RESET}.
 *
 * <p>Arcs and the data they return, as the kernel defines them:
 * <ul>
 *   <li>an arc into the saving group from outside it (STOP to STOP_COPY, RUNNING to PRE_COPY, RUNNING_P2P to
 *       PRE_COPY_P2P) opens a saving session and returns its {@link MigrationDataSource};</li>
 *   <li>the arc into RESUMING (from STOP) opens a resuming session and returns its {@link MigrationDataSink};</li>
 *   <li>every other arc returns {@code null}; arcs within the saving group keep the open session, and leaving
 *       the saving group or RESUMING ends it.</li>
 * </ul>
 *
 * <p><b>Note:</b> the device calls a driver with its transition lock held, one call at a time; a driver need
 * not be thread-safe towards the device, but must be towards its own other users.
 */
public interface MigrationDriver {
    /**
     * Performs the arc {@code from -> to}; {@code from} is the device's current state.
     *
     * @return the session the arc opens, as above, or {@code null}
     * @throws IOException (or any exception) if the device could not perform the arc; the device then counts
     *                     as ERROR
     */
    MigrationData arc(MigrationState from, MigrationState to) throws IOException;

    /**
     * Checks, without touching the device, whether it could load {@code state} (bytes a saving session of a device
     * like it produced), so that a destination can refuse a stream before it moves any device: a driver that knows
     * its state format checks its framing and checksums here. The default accepts everything (a real VFIO device's
     * data is opaque until the kernel loads it).
     *
     * @throws MigrationStreamException naming what is wrong if the device could not load it
     */
    default void checkState(byte[] state) throws MigrationStreamException {
    }

    /**
     * Resets the device ({@code VFIO_DEVICE_RESET}), ending any session; it is RUNNING afterwards.
     *
     * @throws IOException if the reset failed
     */
    void reset() throws IOException;

    /** Whether an arc must open a session: an arc into the saving group from outside it, or into RESUMING. */
    static boolean opensSession(MigrationState from, MigrationState to) {
        return to.isResuming() || (to.isSaving() && !from.isSaving());
    }
}
