/**
 * Planning a live migration of a VM with several passthrough (VFIO) devices: the {@link
 * dev.mmiomediator.migration.plan.Topology} (parsed from a small line-based file by {@link
 * dev.mmiomediator.migration.plan.TopologyParser}), and the {@link dev.mmiomediator.migration.plan.MigrationPlanner}
 * that turns it and a P2P policy into a {@link dev.mmiomediator.migration.plan.MigrationPlan}: a verdict with its
 * reasons in plain words, the exact kernel state path of every device on the source and on the destination in
 * QEMU's order, what the policy does with DMA into each device that lacks P2P, and what QEMU 8.2's own rule decides.
 *
 * <p>Every type here is immutable and thread-safe; the planner is a pure function of its inputs (it only asks the
 * policy, which must itself be thread-safe).
 */
package dev.mmiomediator.migration.plan;
