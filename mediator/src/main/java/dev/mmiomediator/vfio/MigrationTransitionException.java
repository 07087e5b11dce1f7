package dev.mmiomediator.vfio;

/**
 * A requested migration state change that the kernel's rules refuse; nothing was done.
 *
 * <p>{@link #getMessage()} is a full sentence naming both states, the device flags and the rule;
 * {@link #reason()} is the short form {@code mmio-mediator fsm table} prints after {@code invalid:}.
 * An {@link IllegalArgumentException}: the request, not the device, is at fault.
 */
public final class MigrationTransitionException extends IllegalArgumentException {
    /** Which rule refused the move, in the order the kernel checks them. */
    public enum Kind {
        /** The current state is ERROR: only a reset leaves it. */
        CURRENT_IS_ERROR,
        /** The current state needs flags the device lacks. */
        CURRENT_UNSUPPORTED,
        /** ERROR was requested: a device only lands there when an arc fails. */
        REQUESTED_IS_ERROR,
        /** The requested state needs flags the device lacks. */
        REQUESTED_UNSUPPORTED,
        /** The next-step table leads to ERROR: a blocked arc (STOP_COPY to the pre-copy states). */
        REFUSED_BY_KERNEL
    }

    private final Kind kind;
    private final MigrationFlags flags;
    private final MigrationState current;
    private final MigrationState requested;
    private final MigrationState blockedAt;

    MigrationTransitionException(Kind kind, MigrationFlags flags, MigrationState current, MigrationState requested,
            MigrationState blockedAt) {
        super(message(kind, flags, current, requested, blockedAt));
        this.kind = kind;
        this.flags = flags;
        this.current = current;
        this.requested = requested;
        this.blockedAt = blockedAt;
    }

    private static String message(Kind kind, MigrationFlags flags, MigrationState current, MigrationState requested,
            MigrationState blockedAt) {
        String move = current + " -> " + requested;
        switch (kind) {
            case CURRENT_IS_ERROR:
                return move + ": ERROR is never a valid current state; a reset brings the device back to RUNNING";
            case REQUESTED_IS_ERROR:
                return move + ": ERROR is never a valid requested state; a device only enters it when an arc fails";
            case CURRENT_UNSUPPORTED:
                return move + ": " + unsupported(current, flags);
            case REQUESTED_UNSUPPORTED:
                return move + ": " + unsupported(requested, flags);
            case REFUSED_BY_KERNEL:
            default:
                return move + " is refused by the kernel: its next-step table leads from " + blockedAt
                        + " to ERROR (a blocked arc; device flags " + flags + ")";
        }
    }

    private static String unsupported(MigrationState state, MigrationFlags flags) {
        return state + " is not supported by a device with flags " + flags + ": it needs "
                + state.requiredFlags().orElseThrow();
    }

    /** Which rule refused the move. */
    public Kind kind() {
        return kind;
    }

    /** The device's flags. */
    public MigrationFlags flags() {
        return flags;
    }

    /** The state the device was in. */
    public MigrationState current() {
        return current;
    }

    /** The state that was requested. */
    public MigrationState requested() {
        return requested;
    }

    /**
     * The short reason, as {@code mmio-mediator fsm table} prints it, e.g.
     * {@code RUNNING_P2P is not supported: it needs STOP_COPY,P2P}.
     */
    public String reason() {
        switch (kind) {
            case CURRENT_IS_ERROR:
                return "ERROR is never a valid current state";
            case REQUESTED_IS_ERROR:
                return "ERROR is never a valid requested state";
            case CURRENT_UNSUPPORTED:
                return current + " is not supported: it needs " + current.requiredFlags().orElseThrow();
            case REQUESTED_UNSUPPORTED:
                return requested + " is not supported: it needs " + requested.requiredFlags().orElseThrow();
            case REFUSED_BY_KERNEL:
            default:
                return "refused by the kernel: the next step from " + blockedAt + " is ERROR";
        }
    }
}
