package dev.mmiomediator.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Finds {@link PolicyProvider}s through {@link ServiceLoader}. Each call loads afresh (no cache), so a class
 * loader that gained jars sees them. Thread-safe.
 */
public final class Policies {
    private Policies() {
    }

    /**
     * Every provider {@code loader} sees, sorted by name.
     *
     * @throws IllegalStateException naming the name and both classes if two providers share a name
     */
    public static List<PolicyProvider> available(ClassLoader loader) {
        Map<String, PolicyProvider> byName = new TreeMap<>();
        for (PolicyProvider p : ServiceLoader.load(PolicyProvider.class, loader)) {
            PolicyProvider old = byName.putIfAbsent(p.name(), p);
            if (old != null) {
                throw new IllegalStateException("policy name '" + p.name() + "' is provided twice: by "
                        + old.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        List<PolicyProvider> out = new ArrayList<>(byName.values());
        out.sort(Comparator.comparing(PolicyProvider::name));
        return List.copyOf(out);
    }

    /**
     * The provider named {@code name} (exact match).
     *
     * @throws IllegalArgumentException naming {@code name} and listing the names found if there is none
     */
    public static PolicyProvider find(String name, ClassLoader loader) {
        Objects.requireNonNull(name, "policy name");
        List<PolicyProvider> all = available(loader);
        for (PolicyProvider p : all) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown policy '" + name + "': "
                + (all.isEmpty() ? "no policies found (is the policies jar on the class path?)"
                : "expected one of " + all.stream().map(PolicyProvider::name).collect(Collectors.joining(", "))));
    }

    /** Shorthand for {@code find(name, loader).create(options)}. */
    public static P2pPolicy create(String name, Map<String, String> options, ClassLoader loader) {
        return find(name, loader).create(options);
    }
}
