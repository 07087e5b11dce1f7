package dev.mmiomediator.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Finds {@link PolicyProvider}s listed in {@code META-INF/services/dev.mmiomediator.policy.PolicyProvider}
 * files, the {@link java.util.ServiceLoader} format, on a class loader. Each call loads afresh (no cache), so a
 * class loader that gained jars sees them. Thread-safe.
 *
 * <h2>Trust</h2>
 * A policy jar is a plugin: instantiating its provider runs the jar's code (static initializers, constructor,
 * {@code create}) in this JVM with the rights of the user running it. Put on the class loader only jars you
 * trust. To run as little of it as possible, the methods here load provider classes without initializing them
 * and read each one's {@link PolicyInfo}: {@link #find} and {@link #create} then instantiate only the provider
 * of the name asked for, and {@link #describe} instantiates none that declares itself. A provider without
 * {@link PolicyInfo} can say its name only by running; such providers are instantiated only when the name asked
 * for is not declared by any provider, by {@link #describe}, and by {@link #available}, which instantiates all.
 *
 * <h2>Errors</h2>
 * A provider that cannot be used (its class is missing or not a public concrete {@link PolicyProvider} with a
 * public no-argument constructor; its static initializer, constructor or a method throws; {@code create}
 * returns null) or two providers with one name are a {@link PolicyLoadException} whose one-line message names
 * the provider class, its jar and the cause.
 */
public final class Policies {
    private Policies() {
    }

    /**
     * Every provider {@code loader} sees, sorted by name. Instantiates every one: this runs every provider's
     * code; prefer {@link #describe} to list and {@link #find} to select.
     *
     * @throws PolicyLoadException naming the class and jar if a provider cannot be used, or the name and both
     *                             classes if two providers share a name
     */
    public static List<PolicyProvider> available(ClassLoader loader) {
        Map<String, ProviderClass> owners = new TreeMap<>();
        Map<String, PolicyProvider> byName = new TreeMap<>();
        for (ProviderClass c : ProviderClass.scan(loader)) {
            PolicyProvider p = c.instantiate();
            String name = c.name(p);
            claim(owners, name, c);
            byName.put(name, p);
        }
        return List.copyOf(byName.values());
    }

    /**
     * Name, description and origin of every policy {@code loader} sees, sorted by name. A provider that declares
     * {@link PolicyInfo} is described from it and never initialized; one that does not is instantiated to ask it
     * (see the class comment).
     *
     * @throws PolicyLoadException as {@link #available} does
     */
    public static List<PolicyEntry> describe(ClassLoader loader) {
        Map<String, ProviderClass> owners = new TreeMap<>();
        Map<String, PolicyEntry> byName = new TreeMap<>();
        for (ProviderClass c : ProviderClass.scan(loader)) {
            PolicyEntry e;
            if (c.declared()) {
                e = new PolicyEntry(c.declaredName(), c.declaredDescription(), c.className(), c.location(), true);
            } else {
                PolicyProvider p = c.instantiate();
                e = new PolicyEntry(c.name(p), c.description(p), c.className(), c.location(), false);
            }
            claim(owners, e.name(), c);
            byName.put(e.name(), e);
        }
        return List.copyOf(byName.values());
    }

    /**
     * The provider named {@code name} (exact match), instantiated. If a provider declares {@code name} in its
     * {@link PolicyInfo}, only that provider is initialized; otherwise the providers that do not declare a name
     * are instantiated to ask theirs.
     *
     * @throws IllegalArgumentException naming {@code name} and listing the names found if there is none
     * @throws PolicyLoadException      naming the class and jar if a provider cannot be used, or the name and both
     *                                  classes if two providers share a name
     */
    public static PolicyProvider find(String name, ClassLoader loader) {
        Objects.requireNonNull(name, "policy name");
        List<ProviderClass> all = ProviderClass.scan(loader);
        Map<String, ProviderClass> owners = new TreeMap<>();
        for (ProviderClass c : all) {
            if (c.declared()) {
                claim(owners, c.declaredName(), c);
            }
        }
        ProviderClass declared = owners.get(name);
        if (declared != null) {
            return declared.instantiate();
        }
        PolicyProvider found = null;
        for (ProviderClass c : all) {
            if (!c.declared()) {
                PolicyProvider p = c.instantiate();
                String n = c.name(p);
                claim(owners, n, c);
                if (n.equals(name)) {
                    found = p;
                }
            }
        }
        if (found != null) {
            return found;
        }
        throw new IllegalArgumentException("unknown policy '" + name + "': "
                + (owners.isEmpty() ? "no policies found (is the policies jar on the class path?)"
                : "expected one of " + String.join(", ", owners.keySet())));
    }

    /**
     * {@code find(name, loader).create(options)}, with {@code create}'s failures other than a bad option made a
     * {@link PolicyLoadException} naming the provider class and jar.
     *
     * @throws IllegalArgumentException as {@link #find} does, or from {@code create} for an unknown or invalid
     *                                  option
     * @throws PolicyLoadException      as {@link #find} does, or if {@code create} throws anything else or
     *                                  returns null
     */
    public static P2pPolicy create(String name, Map<String, String> options, ClassLoader loader) {
        Objects.requireNonNull(options, "options of policy " + name);
        return ProviderClass.create(find(name, loader), options);
    }

    /** Records that {@code c} provides {@code name}, refusing a second provider of it. */
    private static void claim(Map<String, ProviderClass> owners, String name, ProviderClass c) {
        ProviderClass old = owners.putIfAbsent(name, c);
        if (old != null) {
            throw new PolicyLoadException("policy name '" + name + "' is provided twice: by " + old.className()
                    + " (in " + old.location() + ") and " + c.className() + " (in " + c.location() + ")",
                    c.className(), c.location(), null);
        }
    }
}
