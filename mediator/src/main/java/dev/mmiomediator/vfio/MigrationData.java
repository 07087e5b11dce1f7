package dev.mmiomediator.vfio;

/**
 * The data transfer session an arc opens, the kernel's {@code data_fd}: a {@link MigrationDataSource} for the
 * saving group, a {@link MigrationDataSink} for RESUMING.
 *
 * <p>Implementations say how they may be used across threads.
 */
public sealed interface MigrationData permits MigrationDataSource, MigrationDataSink {
}
