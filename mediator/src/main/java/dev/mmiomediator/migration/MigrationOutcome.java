package dev.mmiomediator.migration;

import java.util.Locale;

/**
 * How one side of a migration, or one simulated run of both, ended. Reports print {@link #word()}, the lowercase
 * name, in text and JSON alike.
 */
public enum MigrationOutcome {
    /** The VM runs on the destination. */
    COMPLETED,
    /** Source: the migration was cancelled and its devices are back to RUNNING. */
    ABORTED,
    /** Destination: the stream was not applied, or what was applied has been undone. */
    REFUSED,
    /** The plan forbade the migration, so it never started. */
    BLOCKED;

    /** The word reports print: {@code completed}, {@code aborted}, {@code refused} or {@code blocked}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
