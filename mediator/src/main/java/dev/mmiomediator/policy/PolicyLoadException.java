package dev.mmiomediator.policy;

/**
 * A policy provider that cannot be used: its class cannot be loaded or is not a usable {@link PolicyProvider},
 * its static initializer, constructor, {@code name()}, {@code description()} or {@code create()} threw (anything
 * but the {@link IllegalArgumentException} that {@code create()} throws for a bad option), {@code create()}
 * returned {@code null}, or two providers claim one name. The message is one line naming the provider class,
 * the jar or directory it comes from, and the cause.
 *
 * <p>An {@link IllegalStateException}, so callers written against the duplicate-name error still catch it.
 */
public final class PolicyLoadException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** The binary name of the provider class at fault. */
    private final String providerClass;
    /** Where it comes from: a jar or class directory path, or a URL if it is not a file. */
    private final String location;

    PolicyLoadException(String message, String providerClass, String location, Throwable cause) {
        super(message, cause);
        this.providerClass = providerClass;
        this.location = location;
    }

    /** "policy provider CLASS in LOCATION: PROBLEM". */
    static PolicyLoadException provider(String providerClass, String location, String problem, Throwable cause) {
        return new PolicyLoadException("policy provider " + providerClass + " in " + location + ": " + problem,
                providerClass, location, cause);
    }

    /**
     * The binary name of the provider class at fault, e.g. {@code com.example.GpuGuard$Provider}; null if the
     * fault is in a service file, not a class.
     */
    public String providerClass() {
        return providerClass;
    }

    /**
     * The jar (or class directory) the provider comes from, as a file path, or a URL if it is not a file; null
     * if the service files could not even be looked up.
     */
    public String location() {
        return location;
    }
}
