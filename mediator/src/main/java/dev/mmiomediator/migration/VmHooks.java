package dev.mmiomediator.migration;

import dev.mmiomediator.migration.stream.RamSection;

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

    /** Starts (again) the VM's DMA: after a cancelled migration on the source, after loading on the destination. */
    void resume();

    /** The RAM to carry, read while the VM is stopped (source). */
    List<RamSection> saveRam();

    /**
     * Writes carried RAM back (destination), before {@link #resume()}.
     *
     * @throws IllegalArgumentException naming the section if it does not fit this VM's RAM
     */
    void loadRam(List<RamSection> ram);
}
