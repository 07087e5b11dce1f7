/**
 * The built-in P2P policies, found by name through {@link dev.mmiomediator.policy.Policies}:
 * {@code fail-always} ({@link dev.mmiomediator.policies.FailAlwaysPolicy}), {@code abort-migration}
 * ({@link dev.mmiomediator.policies.AbortMigrationPolicy}), {@code queue-and-replay}
 * ({@link dev.mmiomediator.policies.QueueAndReplayPolicy}) and {@code require-p2p}
 * ({@link dev.mmiomediator.policies.RequireP2pPolicy}); each class's Javadoc is its exact contract. Every class
 * here is immutable and thread-safe.
 */
package dev.mmiomediator.policies;
