package dev.mmiomediator.policies;

import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyInfo;
import dev.mmiomediator.policy.PolicyOptions;
import dev.mmiomediator.policy.P2pRequest;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.PassthroughDevice;

import java.util.Collection;
import java.util.Optional;

/**
 * {@code require-p2p}: QEMU 8.2's rule, for parity.
 *
 * <p>Contract:
 * <ul>
 *   <li>Per access, {@link #decide} returns {@link Decision#FORWARD} when the target's state accepts inbound MMIO
 *       ({@link dev.mmiomediator.vfio.MigrationState#acceptsInboundMmio()}: RUNNING, RUNNING_P2P, PRE_COPY,
 *       PRE_COPY_P2P) and {@link Decision#FAIL} otherwise (STOP, STOP_COPY, RESUMING, ERROR), for reads and
 *       writes alike, whatever the initiator, P2P support or phase.</li>
 *   <li>Before a migration, {@link #migrationBlocker} refuses a set of more than one passthrough device unless
 *       every one supports P2P, with QEMU's message {@value #MULTIPLE_DEVICES_MESSAGE}. (QEMU counts only devices
 *       with migration support; every {@link PassthroughDevice} has it.)</li>
 * </ul>
 * Takes no options. Immutable and thread-safe.
 */
public final class RequireP2pPolicy implements P2pPolicy {
    /** The name it is selected by. */
    public static final String NAME = "require-p2p";
    /** Its one-line description. */
    public static final String DESCRIPTION = "QEMU 8.2 parity: migrating several devices needs P2P on all; "
            + "accesses are forwarded when the target accepts and fail otherwise";
    /** QEMU's migration blocker message, verbatim ({@code hw/vfio/common.c} in QEMU 8.2). */
    public static final String MULTIPLE_DEVICES_MESSAGE =
            "Multiple VFIO devices migration is supported only if all of them support P2P migration";

    /** The policy. */
    public RequireP2pPolicy() {
    }

    /**
     * QEMU's check: {@link #MULTIPLE_DEVICES_MESSAGE} if {@code devices} holds more than one device and not all
     * of them have the {@link MigrationFlag#P2P} flag; empty (migration allowed) otherwise.
     */
    public static Optional<String> migrationBlocker(Collection<PassthroughDevice> devices) {
        if (devices.size() <= 1) {
            return Optional.empty();
        }
        for (PassthroughDevice d : devices) {
            if (!d.flags().has(MigrationFlag.P2P)) {
                return Optional.of(MULTIPLE_DEVICES_MESSAGE);
            }
        }
        return Optional.empty();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return DESCRIPTION;
    }

    @Override
    public Decision decide(P2pRequest request) {
        return request.targetAccepts() ? Decision.FORWARD : Decision.FAIL;
    }

    @Override
    public String toString() {
        return NAME;
    }

    /** Finds {@link RequireP2pPolicy} by name; takes no options. */
    @PolicyInfo(name = NAME, description = DESCRIPTION)
    @PolicyOptions({})
    public static final class Provider extends NoOptionsProvider {
        /** For {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, DESCRIPTION, RequireP2pPolicy::new);
        }
    }
}
