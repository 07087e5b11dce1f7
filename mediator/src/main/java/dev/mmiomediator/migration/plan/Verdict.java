package dev.mmiomediator.migration.plan;

/** Whether a {@link MigrationPlan} lets the VM migrate. */
public enum Verdict {
    /** The migration may start; the plan's reasons say what risks remain. */
    ALLOWED,
    /** The migration must not start; the plan's reasons say why. */
    BLOCKED
}
