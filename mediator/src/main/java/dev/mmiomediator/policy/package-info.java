/**
 * The P2P policy engine: what happens to a non-vCPU access that hits a passthrough device's BAR (the contract,
 * with the built-ins, in docs/policies.md).
 *
 * <h2>For policy authors</h2>
 * A {@link dev.mmiomediator.policy.P2pPolicy} turns a {@link dev.mmiomediator.policy.P2pRequest} (the access,
 * the target's migration state, whether it supports P2P, the {@link dev.mmiomediator.policy.MigrationPhase})
 * into a {@link dev.mmiomediator.policy.Decision}. Most policies need no code beyond
 * {@link dev.mmiomediator.policy.Rule}s composed first-match by a {@link dev.mmiomediator.policy.RulePolicy}:
 * <pre>{@code
 * P2pPolicy policy = RulePolicy.builder("gpu-writes")
 *         .when(Rule.device("0000:01:00.0").writes().targetAccepts()).then(Decision.FORWARD)
 *         .otherwise(Decision.FAIL)
 *         .build();
 * }</pre>
 * Ship it as a jar with a {@link dev.mmiomediator.policy.PolicyProvider} listed in
 * {@code META-INF/services/dev.mmiomediator.policy.PolicyProvider} and annotated with
 * {@link dev.mmiomediator.policy.PolicyInfo}, its options with {@link dev.mmiomediator.policy.PolicyOption};
 * {@link dev.mmiomediator.policy.Policies} finds it by the declared name without initializing any provider class
 * but the one selected, and checks options against the declaration before that one runs.
 *
 * <h2>Trust</h2>
 * A policy jar is a plugin: the provider selected runs its code in the JVM with the user's rights. Load only
 * jars you trust. A provider that fails (its class, static initializer, constructor or {@code create}) is a
 * {@link dev.mmiomediator.policy.PolicyLoadException} naming the class and its jar.
 *
 * <h2>The engine</h2>
 * A {@link dev.mmiomediator.policy.PolicyEngine} is the mediator's {@link dev.mmiomediator.dma.P2pHandler}: it
 * looks the target up among the devices registered with it, asks the policy, and carries the decision out
 * through the device's {@link dev.mmiomediator.policy.P2pTarget} and the
 * {@link dev.mmiomediator.policy.MigrationControl}. It counts outcomes per initiator and target
 * ({@link dev.mmiomediator.policy.PolicyCounters}); it never logs one line per access. Writes it must keep
 * ({@link dev.mmiomediator.policy.Decision#QUEUE}, or an abort) become {@link dev.mmiomediator.policy.QueuedWrite}s
 * in a bounded per-target queue, replayed exactly once, in order, when the target accepts again, or carried to
 * the destination by the migration stream.
 *
 * <h2>Threading</h2>
 * Policies, rules and the engine are called on the accessing thread, concurrently: every type here is immutable
 * or thread-safe, and policies must be too. A policy is asked while the engine holds the target device's shared
 * inbound lock, so it must not transition devices; a {@link dev.mmiomediator.policy.MigrationControl} is called
 * with no lock held.
 */
package dev.mmiomediator.policy;
