package dev.mmiomediator.migration;

import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;

import java.util.List;
import java.util.Map;

/**
 * What one side of a migration came to.
 *
 * @param outcome        {@link MigrationOutcome#COMPLETED}, {@link MigrationOutcome#ABORTED} (source) or
 *                       {@link MigrationOutcome#REFUSED} (destination)
 * @param reason         why it did not complete; empty when it did
 * @param paths          per device, every state it went through, in order (the kernel's paths, joined)
 * @param queuedCarried  held P2P writes the stream carried (source: sent and confirmed; destination: imported)
 * @param downtimeMillis source: from the first device stop to the destination's reply; destination: from the
 *                       stream's first byte to every device RUNNING
 * @param streamBytes    the size of the migration stream
 */
public record MigrationResult(MigrationOutcome outcome, String reason, Map<PciAddress, List<MigrationState>> paths,
                              long queuedCarried, long downtimeMillis, long streamBytes) {
    /** Whether the migration completed. */
    public boolean completed() {
        return outcome == MigrationOutcome.COMPLETED;
    }
}
