package dev.mmiomediator.policy;

/**
 * Decides, per P2P access, what the {@link PolicyEngine} does with it. Called on the accessing thread,
 * concurrently, while the engine holds the target device's shared
 * {@link dev.mmiomediator.vfio.PassthroughDevice#inboundLock() inbound lock} (so the state in the request stays
 * true until the decision is carried out): implementations must be thread-safe, should be fast (no I/O, no locks
 * on the common path), must not transition devices and must not throw (the engine master-aborts an access whose
 * policy throws or returns null, as a policy bug). A policy only decides; the engine carries the decision out.
 */
public interface P2pPolicy {
    /** The name the policy is selected by, e.g. {@code fail-always}. */
    String name();

    /** One line saying what the policy does. */
    String description();

    /**
     * The decision for {@code request}. {@link Decision#QUEUE} is meaningful for posted writes only.
     *
     * @return never null
     */
    Decision decide(P2pRequest request);
}
