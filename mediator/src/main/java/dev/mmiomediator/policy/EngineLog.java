package dev.mmiomediator.policy;

import java.util.Objects;

/**
 * The migration side ({@code source} or {@code destination}) a {@link PolicyEngine}'s log lines name: the engine
 * knows the device but not the side, so the code that knows it names it on the threads that call the engine, and each
 * engine line then starts with {@code "source: "} or {@code "destination: "}; without it, lines have no side
 * prefix. A thread-local of its own rather than slf4j's MDC, which the slf4j-simple binding does not keep.
 *
 * <p><b>Note:</b> per thread; a thread the caller starts names its side itself.
 */
public final class EngineLog {
    private static final ThreadLocal<String> SIDE = new ThreadLocal<>();

    /** Restores the side named before; {@link #close} throws nothing. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private EngineLog() {
    }

    /** Names {@code side} on this thread until the returned scope is closed. */
    public static Scope side(String side) {
        Objects.requireNonNull(side, "side");
        String before = SIDE.get();
        SIDE.set(side);
        return () -> {
            if (before == null) {
                SIDE.remove();
            } else {
                SIDE.set(before);
            }
        };
    }

    /** The side named on this thread, as a line prefix ({@code "source: "}), or an empty string. */
    static String prefix() {
        String side = SIDE.get();
        return side == null ? "" : side + ": ";
    }
}
