/**
 * The built-in P2P policies, found by name through {@link dev.mmiomediator.policy.Policies}:
 * {@code fail-always} ({@link dev.mmiomediator.policies.FailAlwaysPolicy}) and {@code require-p2p}
 * ({@link dev.mmiomediator.policies.RequireP2pPolicy}). {@code abort-migration} and {@code queue-and-replay}
 * are not built yet. Every class here is immutable and thread-safe.
 */
package dev.mmiomediator.policies;
