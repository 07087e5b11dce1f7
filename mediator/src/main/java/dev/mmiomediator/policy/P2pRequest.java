package dev.mmiomediator.policy;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;

import java.util.Objects;

/**
 * What a {@link P2pPolicy} is asked about: one P2P access and the target's situation when it was made.
 * Immutable and thread-safe, but its access may be a port's reused one ({@link P2pAccess}: valid during the call),
 * so a policy reads a request during {@link P2pPolicy#decide} only; the engine reuses a request for the next access
 * of the same port in the same situation. A policy must not touch the access's data buffer.
 *
 * @param access            the access: initiator, target BAR, offset, length, direction
 * @param targetState       the target device's migration state, read once when the access arrived
 * @param targetSupportsP2p whether the target implements the P2P states (RUNNING_P2P)
 * @param phase             where the VM's migration is
 */
public record P2pRequest(P2pAccess access, MigrationState targetState, boolean targetSupportsP2p,
                         MigrationPhase phase) {
    /** Checks that nothing is null. */
    public P2pRequest {
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(targetState, "target state");
        Objects.requireNonNull(phase, "migration phase");
    }

    /** The target device. */
    public PciAddress device() {
        return access.bar().device();
    }

    /** The target BAR index. */
    public int bar() {
        return access.bar().bar();
    }

    /** Whether the access is a write (posted). */
    public boolean write() {
        return access.write();
    }

    /** Whether the target's state accepts inbound MMIO ({@link MigrationState#acceptsInboundMmio()}). */
    public boolean targetAccepts() {
        return targetState.acceptsInboundMmio();
    }

    @Override
    public String toString() {
        return access + " (target " + targetState + (targetSupportsP2p ? ", P2P" : ", no P2P") + ", phase " + phase
                + ")";
    }
}
