package dev.mmiomediator.memory;

import dev.mmiomediator.vfio.MigrationState;

/** A deliberate wrong import for {@code LayeringTest}: the memory model naming the VFIO state machine. */
final class LayeringCanary {
    private LayeringCanary() {
    }

    static boolean stopped(MigrationState s) {
        return s == MigrationState.STOP;
    }
}
