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
                e = new PolicyEntry(c.declaredName(), c.declaredDescription(), c.className(), c.location(), true,
                        c.declaredOptions());
            } else {
                PolicyProvider p = c.instantiate();
                e = new PolicyEntry(c.name(p), c.description(p), c.className(), c.location(), false,
                        c.declaredOptions());
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
        Found f = lookup(name, loader);
        return f.instance() != null ? f.instance() : f.type().instantiate();
    }

    /** A provider class and, if it had to be instantiated to learn its name, its instance. */
    private record Found(ProviderClass type, PolicyProvider instance) {
    }

    /** The provider of {@code name}, instantiated only if it does not declare its name (see {@link #find}). */
    private static Found lookup(String name, ClassLoader loader) {
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
            return new Found(declared, null);
        }
        Found found = null;
        for (ProviderClass c : all) {
            if (!c.declared()) {
                PolicyProvider p = c.instantiate();
                String n = c.name(p);
                claim(owners, n, c);
                if (n.equals(name)) {
                    found = new Found(c, p);
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
     * {@link PolicyLoadException} naming the provider class and jar. If the provider declares its options
     * ({@link PolicyOption}), {@code options} are first checked against that declaration, before any of its code
     * runs: an option it does not declare, or a value outside an option's allowed values, is refused there.
     *
     * @throws IllegalArgumentException as {@link #find} does; naming the option if it is not declared or its value
     *                                  not allowed; or from {@code create} for an unknown or invalid option
     * @throws PolicyLoadException      as {@link #find} does, or if {@code create} throws anything else or
     *                                  returns null
     */
    public static P2pPolicy create(String name, Map<String, String> options, ClassLoader loader) {
        Objects.requireNonNull(options, "options of policy " + name);
        Found f = lookup(name, loader);
        f.type().declaredOptions().ifPresent(declared -> DeclaredOptions.check(name, declared, options));
        return ProviderClass.create(f.instance() != null ? f.instance() : f.type().instantiate(), options);
    }

    /**
     * For a provider's {@code create}: {@code given} checked against the options {@code provider}'s class declares
     * with {@link PolicyOption}, with the declared default of each option not given added. Reading options through
     * this keeps what the provider uses, what {@link #create} accepts and what listings show one declaration.
     *
     * @return the options by name, in declaration order; an option without a default that was not given is absent
     * @throws IllegalArgumentException naming the policy and option if an option is not declared, or its value is
     *                                  not one of the declared allowed values
     * @throws IllegalStateException    if {@code provider}'s class declares no options ({@link PolicyOption} or
     *                                  {@link PolicyOptions})
     */
    public static Map<String, String> options(PolicyProvider provider, Map<String, String> given) {
        Class<?> type = provider.getClass();
        List<PolicyEntry.Option> declared = DeclaredOptions.of(type).orElseThrow(() -> new IllegalStateException(
                type.getName() + " declares no @" + PolicyOption.class.getSimpleName() + " nor @"
                        + PolicyOptions.class.getSimpleName() + ": expected its options declared on the class"));
        return DeclaredOptions.check(provider.name(), declared, given);
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
