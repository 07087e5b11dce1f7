package dev.mmiomediator.vfio;

/**
 * Told when a {@link PassthroughDevice}'s migration state has changed, by a transition (also one that failed into
 * ERROR) or a reset. Called on the transitioning thread with the device's transition lock and the exclusive side
 * of its {@link PassthroughDevice#inboundLock()} held: no access to the device is in flight and none starts until
 * the listener returns. Keep it short; it must not transition or reset the device (that thread would wait for
 * itself) and should not throw (an exception is logged and ignored).
 */
@FunctionalInterface
public interface StateListener {
    /**
     * The device went from {@code before} to {@code now} ({@code now != before}).
     */
    void stateChanged(PassthroughDevice device, MigrationState before, MigrationState now);
}
