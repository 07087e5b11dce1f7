package dev.mmiomediator.vfio;

import java.util.List;
import java.util.Optional;

/**
 * What {@link PassthroughDevice#transition(MigrationState)} did: the path it walked and the session its last arc
 * opened, if any (the kernel's {@code data_fd}).
 *
 * <p>Immutable; the session it holds is not.
 *
 * @param path the states walked, the starting state first; one element when nothing had to be done
 * @param data the session opened by the last arc, or {@code null}
 */
public record Transition(List<MigrationState> path, MigrationData data) {
    /** Copies the path. */
    public Transition {
        path = List.copyOf(path);
        if (path.isEmpty()) {
            throw new IllegalArgumentException("a transition path starts with the current state: got no state");
        }
    }

    /** The state the device ended in. */
    public MigrationState target() {
        return path.get(path.size() - 1);
    }

    /** The saving session the transition opened, if it did. */
    public Optional<MigrationDataSource> source() {
        return data instanceof MigrationDataSource ? Optional.of((MigrationDataSource) data) : Optional.empty();
    }

    /** The resuming session the transition opened, if it did. */
    public Optional<MigrationDataSink> sink() {
        return data instanceof MigrationDataSink ? Optional.of((MigrationDataSink) data) : Optional.empty();
    }

    /** The path as the tools print it, e.g. {@code RUNNING -> RUNNING_P2P -> STOP}. */
    @Override
    public String toString() {
        return MigrationFsm.format(path) + (data == null ? "" : source().isPresent() ? " (+source)" : " (+sink)");
    }
}
