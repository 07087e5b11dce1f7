package dev.mmiomediator.migration.plan;

import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.vfio.MigrationState;

/**
 * One question the planner asked the policy about a device that lacks P2P, and the answer. Immutable.
 *
 * @param initiator the software device making the access
 * @param bar       the target BAR index
 * @param phase     the VM's migration phase
 * @param state     the target's state, one that does not accept inbound MMIO
 * @param write     whether the access is a write (else a read)
 * @param decision  the policy's decision
 */
public record HandlingCase(String initiator, int bar, MigrationPhase phase, MigrationState state, boolean write,
                           Decision decision) {
}
