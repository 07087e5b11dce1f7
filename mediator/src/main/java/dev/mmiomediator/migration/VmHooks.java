package dev.mmiomediator.migration;

import dev.mmiomediator.migration.stream.RamSection;

import java.time.Duration;
import java.util.List;

/**
 * What the migration needs from the VMM around the devices: stopping and resuming the VM's own DMA (software
 * devices, vCPUs), and its RAM. The simulator implements it for {@link dev.mmiomediator.migration.sim.SimulatedVm};
 * an emulator implements it for its own main loop.
 */
public interface VmHooks {
    /** Asks the VM to stop issuing DMA (QEMU's {@code vm_stop}); does not wait. Idempotent. */
    void requestStop();

    /** Whether the VM has stopped: no DMA in flight and none to come until {@link #resume()}. */
    boolean stopped();

    /**
     * Waits at most {@code timeout} for the VM to stop after {@link #requestStop()}, on a condition (not by
     * polling).
     *
     * @return whether it stopped in time
     */
    boolean awaitStopped(Duration timeout) throws InterruptedException;

    /**
     * Starts (again) the VM's DMA: after a cancelled migration on the source, after loading on the destination.
     * Called only after {@link #requestStop()} (on the source) or on a VM that has not run (destination); it
     * finishes a stop still under way first.
     */
    void resume();

    /** The RAM to carry, read while the VM is stopped (source). */
    List<RamSection> saveRam();

    /**
     * Checks that a carried RAM section fits this VM's RAM (destination), as the stream arrives and before anything
     * is applied; the default accepts every section and leaves the check to {@link #loadRam}.
     *
     * @throws IllegalArgumentException naming the section if it does not fit: the stream is refused
     */
    default void checkRam(RamSection section) {
    }

    /**
     * Writes carried RAM back (destination), before {@link #resume()}; called in batches, in stream order, once
     * the whole stream is known good.
     *
     * @throws IllegalArgumentException naming the section if it does not fit this VM's RAM
     */
    void loadRam(List<RamSection> ram);
}
