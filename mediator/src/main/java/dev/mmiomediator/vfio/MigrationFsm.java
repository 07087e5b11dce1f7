package dev.mmiomediator.vfio;

import static dev.mmiomediator.vfio.MigrationState.ERROR;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY_P2P;
import static dev.mmiomediator.vfio.MigrationState.RESUMING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The kernel's migration state machine: {@code vfio_mig_get_next_state()} in Linux
 * {@code drivers/vfio/vfio_main.c}, and the path every migration driver walks with it.
 *
 * <p>The next step from {@code current} towards {@code requested} is {@code table[current][requested]};
 * while that step is a state the device does not support, it is looked up again as
 * {@code table[step][requested]}. A step of ERROR refuses the move. Both states must be supported, and
 * ERROR never is. A path repeats the next step until it reaches the requested state; the kernel's table
 * makes every path the shortest one that never passes through the saving group
 * (PRE_COPY, PRE_COPY_P2P, STOP_COPY) on the way.
 *
 * <p>IMPLEMENTATION NOTES: the skip loop stops at ERROR, as the kernel does since the fix "vfio: prevent
 * infinite loop in vfio_mig_get_next_state() on blocked arc" (before it, STOP_COPY to PRE_COPY on a
 * PRE_COPY-capable device spun forever, because ERROR's row only leads to ERROR and no device supports it).
 *
 * <p>Stateless and thread-safe.
 */
public final class MigrationFsm {
    /** {@code vfio_from_fsm_table}, indexed by uapi number: row = current state, column = requested state. */
    private static final MigrationState[][] NEXT = new MigrationState[8][8];

    static {
        // columns in the order of docs/vfio-migration.md's table:
        //     cur           STOP         RUNNING      PRE_COPY     PRE_COPY_P2P  STOP_COPY     RESUMING  RUNNING_P2P
        row(STOP,         STOP,        RUNNING_P2P, RUNNING_P2P, RUNNING_P2P,  STOP_COPY,    RESUMING, RUNNING_P2P);
        row(RUNNING,      RUNNING_P2P, RUNNING,     PRE_COPY,    RUNNING_P2P,  RUNNING_P2P,  RUNNING_P2P, RUNNING_P2P);
        row(PRE_COPY,     RUNNING,     RUNNING,     PRE_COPY,    PRE_COPY_P2P, PRE_COPY_P2P, RUNNING,  RUNNING);
        row(PRE_COPY_P2P, RUNNING_P2P, RUNNING_P2P, PRE_COPY,    PRE_COPY_P2P, STOP_COPY,    RUNNING_P2P, RUNNING_P2P);
        row(STOP_COPY,    STOP,        STOP,        ERROR,       ERROR,        STOP_COPY,    STOP,     STOP);
        row(RESUMING,     STOP,        STOP,        STOP,        STOP,         STOP,         RESUMING, STOP);
        row(RUNNING_P2P,  STOP,        RUNNING,     RUNNING,     PRE_COPY_P2P, STOP,         STOP,     RUNNING_P2P);
        row(ERROR,        ERROR,       ERROR,       ERROR,       ERROR,        ERROR,        ERROR,    ERROR);
        for (MigrationState s : MigrationState.values()) {
            NEXT[s.uapi()][ERROR.uapi()] = ERROR;
        }
    }

    private static void row(MigrationState cur, MigrationState stop, MigrationState running, MigrationState preCopy,
            MigrationState preCopyP2p, MigrationState stopCopy, MigrationState resuming, MigrationState runningP2p) {
        MigrationState[] r = NEXT[cur.uapi()];
        r[STOP.uapi()] = stop;
        r[RUNNING.uapi()] = running;
        r[PRE_COPY.uapi()] = preCopy;
        r[PRE_COPY_P2P.uapi()] = preCopyP2p;
        r[STOP_COPY.uapi()] = stopCopy;
        r[RESUMING.uapi()] = resuming;
        r[RUNNING_P2P.uapi()] = runningP2p;
    }

    private MigrationFsm() {
    }

    /**
     * The raw table entry {@code vfio_from_fsm_table[current][requested]}, before unsupported steps are
     * skipped; ERROR marks a blocked arc.
     */
    public static MigrationState tableEntry(MigrationState current, MigrationState requested) {
        return NEXT[current.uapi()][requested.uapi()];
    }

    /**
     * Checks that a device with {@code flags} may be asked to go from {@code current} to {@code requested}:
     * both states supported (the current one first, as the kernel checks), and not a blocked arc.
     *
     * @throws MigrationTransitionException naming the states, the flags and the rule
     */
    public static void check(MigrationFlags flags, MigrationState current, MigrationState requested) {
        nextStep(flags, current, requested);
    }

    /**
     * The kernel's next state on the way from {@code current} to {@code requested}; {@code current} itself when
     * they are equal.
     *
     * @throws MigrationTransitionException if either state is ERROR or unsupported, or the move is refused
     */
    public static MigrationState nextStep(MigrationFlags flags, MigrationState current, MigrationState requested) {
        Objects.requireNonNull(flags, "flags");
        Objects.requireNonNull(current, "current state");
        Objects.requireNonNull(requested, "requested state");
        if (!flags.supports(current)) {
            throw new MigrationTransitionException(current == ERROR
                    ? MigrationTransitionException.Kind.CURRENT_IS_ERROR
                    : MigrationTransitionException.Kind.CURRENT_UNSUPPORTED, flags, current, requested, null);
        }
        if (!flags.supports(requested)) {
            throw new MigrationTransitionException(requested == ERROR
                    ? MigrationTransitionException.Kind.REQUESTED_IS_ERROR
                    : MigrationTransitionException.Kind.REQUESTED_UNSUPPORTED, flags, current, requested, null);
        }
        MigrationState next = NEXT[current.uapi()][requested.uapi()];
        while (next != ERROR && !flags.supports(next)) {
            next = NEXT[next.uapi()][requested.uapi()];
        }
        if (next == ERROR) {
            throw new MigrationTransitionException(MigrationTransitionException.Kind.REFUSED_BY_KERNEL, flags,
                    current, requested, current);
        }
        return next;
    }

    /**
     * The whole path from {@code current} to {@code requested}, both included: just {@code [current]} when
     * they are equal. Each consecutive pair is one arc a driver performs.
     *
     * @throws MigrationTransitionException if the move is invalid; nothing of the path is returned then
     */
    public static List<MigrationState> path(MigrationFlags flags, MigrationState current, MigrationState requested) {
        check(flags, current, requested);
        List<MigrationState> path = new ArrayList<>(4);
        path.add(current);
        MigrationState at = current;
        while (at != requested) {
            try {
                at = nextStep(flags, at, requested);
            } catch (MigrationTransitionException e) {
                // only a blocked arc can refuse a step once both ends are checked; name the whole move
                throw new MigrationTransitionException(e.kind(), flags, current, requested, at);
            }
            path.add(at);
            if (path.size() > NEXT.length) {
                throw new IllegalStateException("no progress from " + current + " to " + requested + " with flags "
                        + flags + ": " + path);
            }
        }
        return List.copyOf(path);
    }

    /** A path as the tools print it: {@code RUNNING -> RUNNING_P2P -> STOP}. */
    public static String format(List<MigrationState> path) {
        StringBuilder sb = new StringBuilder();
        for (MigrationState s : path) {
            sb.append(sb.length() == 0 ? "" : " -> ").append(s.name());
        }
        return sb.toString();
    }
}
