package dev.mmiomediator.policies;

import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyInfo;
import dev.mmiomediator.policy.PolicyOptions;
import dev.mmiomediator.policy.P2pRequest;


/**
 * {@code fail-always}: every P2P access is a master abort, as on a system without peer-to-peer support.
 *
 * <p>Contract: {@link #decide} returns {@link Decision#FAIL} for every request, whatever the initiator, target,
 * direction, target state, P2P support or migration phase. With the engine, a read returns all-ones and a write
 * is dropped; the device is never touched; the first failure of each (initiator, BAR) is logged at WARN. Takes
 * no options. Immutable and thread-safe.
 */
public final class FailAlwaysPolicy implements P2pPolicy {
    /** The name it is selected by. */
    public static final String NAME = "fail-always";
    /** Its one-line description. */
    public static final String DESCRIPTION =
            "every P2P access is a master abort (reads all-ones, writes dropped), whatever the target's state";

    /** The policy. */
    public FailAlwaysPolicy() {
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
        return Decision.FAIL;
    }

    @Override
    public String toString() {
        return NAME;
    }

    /** Finds {@link FailAlwaysPolicy} by name; takes no options. */
    @PolicyInfo(name = NAME, description = DESCRIPTION)
    @PolicyOptions({})
    public static final class Provider extends NoOptionsProvider {
        /** For {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, DESCRIPTION, FailAlwaysPolicy::new);
        }
    }
}
