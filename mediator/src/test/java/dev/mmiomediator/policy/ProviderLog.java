package dev.mmiomediator.policy;

import java.util.ArrayList;
import java.util.List;

/** Which {@link Providers} ran their static initializer: shared by every isolated copy of them. */
public final class ProviderLog {
    private static final List<String> INITIALIZED = new ArrayList<>();

    private ProviderLog() {
    }

    /** Called from a provider's static initializer. */
    public static synchronized void initialized(String name) {
        INITIALIZED.add(name);
    }

    /** The names logged since the last {@link #clear()}, in order. */
    public static synchronized List<String> initialized() {
        return List.copyOf(INITIALIZED);
    }

    /** Forgets every name. */
    public static synchronized void clear() {
        INITIALIZED.clear();
    }
}
