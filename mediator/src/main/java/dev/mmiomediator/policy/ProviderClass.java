package dev.mmiomediator.policy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * One provider class listed in a {@value #SERVICE_FILE} file: loaded, checked and its {@link PolicyInfo} read,
 * but not initialized, so none of its code has run. {@link #instantiate()} runs it. Every failure is a
 * {@link PolicyLoadException} naming the class and its jar. Immutable; thread-safe.
 *
 * <p>IMPLEMENTATION NOTES: the service files are read here, in {@link java.util.ServiceLoader}'s format and
 * order (class-path resources in {@link ClassLoader#getResources} order, lines in file order, first listing
 * wins), rather than through {@code ServiceLoader} itself, because a {@code ServiceLoader} iteration error
 * says neither which jar listed the class nor, for a {@link LinkageError}, which class failed.
 */
final class ProviderClass {
    /** The service file that lists providers, in a jar or class directory. */
    static final String SERVICE_FILE = "META-INF/services/dev.mmiomediator.policy.PolicyProvider";

    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    private final Class<?> type;
    private final String location;
    /** Declared name and description, or null if the class does not declare them. */
    private final PolicyInfo info;
    /** Declared options, or empty if the class does not declare them. */
    private final Optional<List<PolicyEntry.Option>> options;

    private ProviderClass(Class<?> type, String location, PolicyInfo info,
                          Optional<List<PolicyEntry.Option>> options) {
        this.type = type;
        this.location = location;
        this.info = info;
        this.options = options;
    }

    /**
     * Every provider class {@code loader}'s service files list, loaded but not initialized. A class listed by the
     * service files of two jars (or class directories) is an error naming both: which copy would run depends on
     * the order of the class path, so it is refused rather than picked silently.
     */
    static List<ProviderClass> scan(ClassLoader loader) {
        Objects.requireNonNull(loader, "class loader");
        Map<String, URL> listed = new LinkedHashMap<>();
        Enumeration<URL> files;
        try {
            files = loader.getResources(SERVICE_FILE);
        } catch (IOException e) {
            throw new PolicyLoadException("cannot look up " + SERVICE_FILE + ": " + describe(e), null, null, e);
        }
        while (files.hasMoreElements()) {
            URL file = files.nextElement();
            for (String name : classNames(file)) {
                URL first = listed.putIfAbsent(name, file);
                if (first != null && !location(first).equals(location(file))) {
                    throw new PolicyLoadException("policy provider " + name + " is listed twice, in "
                            + location(first) + " and in " + location(file) + ": expected one copy, remove one of "
                            + "them", name, location(file), null);
                }
            }
        }
        List<ProviderClass> out = new ArrayList<>(listed.size());
        listed.forEach((name, file) -> out.add(load(name, location(file), loader)));
        return out;
    }

    /** The class names in one service file: '#' starts a comment, blank lines are skipped. */
    private static List<String> classNames(URL file) {
        List<String> names = new ArrayList<>();
        try (InputStream in = file.openStream();
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                int hash = line.indexOf('#');
                String name = (hash >= 0 ? line.substring(0, hash) : line).strip();
                if (name.isEmpty()) {
                    continue;
                }
                if (!isBinaryName(name)) {
                    throw new PolicyLoadException(SERVICE_FILE + " in " + location(file) + ", line " + n + ": '"
                            + name + "' is not a class name", name, location(file), null);
                }
                names.add(name);
            }
        } catch (IOException e) {
            throw new PolicyLoadException("cannot read " + SERVICE_FILE + " in " + location(file) + ": "
                    + describe(e), null, location(file), e);
        }
        return names;
    }

    private static boolean isBinaryName(String name) {
        if (!Character.isJavaIdentifierStart(name.codePointAt(0))) {
            return false;
        }
        return name.codePoints().allMatch(c -> c == '.' || Character.isJavaIdentifierPart(c));
    }

    /** Loads {@code name} without initializing it and checks that it can be a provider. */
    private static ProviderClass load(String name, String listedIn, ClassLoader loader) {
        Class<?> type;
        try {
            type = Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            throw PolicyLoadException.provider(name, listedIn, "listed in " + SERVICE_FILE + " but no such class is "
                    + "found", null);
        } catch (LinkageError e) {
            throw PolicyLoadException.provider(name, listedIn, "cannot be loaded: " + describe(e), e);
        }
        String location = location(type, listedIn);
        if (!PolicyProvider.class.isAssignableFrom(type)) {
            throw PolicyLoadException.provider(name, location, "is not a " + PolicyProvider.class.getName(), null);
        }
        if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            throw PolicyLoadException.provider(name, location, "is abstract, expected a concrete class", null);
        }
        if (!Modifier.isPublic(type.getModifiers())) {
            throw PolicyLoadException.provider(name, location, "is not public", null);
        }
        try {
            type.getConstructor();
        } catch (NoSuchMethodException e) {
            throw PolicyLoadException.provider(name, location, "has no public no-argument constructor", null);
        } catch (LinkageError e) {
            throw PolicyLoadException.provider(name, location, "cannot be linked: " + describe(e), e);
        }
        PolicyInfo info;
        try {
            info = type.getAnnotation(PolicyInfo.class);   // reads the class file's attribute: no initialization
        } catch (RuntimeException | LinkageError | java.lang.annotation.AnnotationFormatError e) {
            throw PolicyLoadException.provider(name, location, "its @PolicyInfo cannot be read: " + describe(e), e);
        }
        if (info != null && !NAME.matcher(info.name()).matches()) {
            throw PolicyLoadException.provider(name, location, "declares @PolicyInfo(name = \"" + info.name()
                    + "\"): expected lower case letters and digits, words separated by '-'", null);
        }
        Optional<List<PolicyEntry.Option>> options;
        try {
            options = DeclaredOptions.of(type);
        } catch (IllegalArgumentException e) {
            throw PolicyLoadException.provider(name, location, e.getMessage(), null);
        } catch (RuntimeException | LinkageError | java.lang.annotation.AnnotationFormatError e) {
            throw PolicyLoadException.provider(name, location, "its @PolicyOption cannot be read: " + describe(e), e);
        }
        return new ProviderClass(type, location, info, options);
    }

    /** The binary name of the class. */
    String className() {
        return type.getName();
    }

    /** The jar or class directory the class comes from. */
    String location() {
        return location;
    }

    /** Whether the class declares {@link PolicyInfo}, so its name is known without running its code. */
    boolean declared() {
        return info != null;
    }

    /** The declared name; only if {@link #declared()}. */
    String declaredName() {
        return info.name();
    }

    /** The declared description; only if {@link #declared()}. */
    String declaredDescription() {
        return info.description();
    }

    /** The options the class declares with {@link PolicyOption}; empty if it declares none. */
    Optional<List<PolicyEntry.Option>> declaredOptions() {
        return options;
    }

    /**
     * A new instance: initializes the class (its static initializers run) and calls its constructor; for a
     * declared class, checks that {@code name()} and {@code description()} return the declared values.
     */
    PolicyProvider instantiate() {
        Object o;
        try {
            Constructor<?> ctor = type.getConstructor();
            o = ctor.newInstance();
        } catch (InvocationTargetException e) {
            throw fail("its constructor threw " + describe(e.getCause()), e.getCause());
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw fail("its static initializer threw " + describe(cause), cause);
        } catch (ReflectiveOperationException e) {
            throw fail("cannot be instantiated: " + describe(e), e);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (LinkageError e) {
            throw fail("cannot be initialized: " + describe(e), e);
        } catch (RuntimeException | Error e) {
            // an Error thrown by a static initializer reaches us unwrapped
            throw fail("its static initializer threw " + describe(e), e);
        }
        PolicyProvider p = (PolicyProvider) o;
        if (info != null) {
            String name = name(p);
            if (!name.equals(info.name())) {
                throw fail("declares @PolicyInfo(name = \"" + info.name() + "\") but name() returns '" + name
                        + "'", null);
            }
            String description = description(p);
            if (!description.equals(info.description())) {
                throw fail("declares @PolicyInfo(description = \"" + info.description()
                        + "\") but description() returns '" + description + "'", null);
            }
        }
        return p;
    }

    /** {@code p.name()}, which must not throw nor return null. */
    String name(PolicyProvider p) {
        return nonNull("name()", call("name()", p::name));
    }

    /** {@code p.description()}, which must not throw nor return null. */
    String description(PolicyProvider p) {
        return nonNull("description()", call("description()", p::description));
    }

    /**
     * {@code p.create(options)}: an {@link IllegalArgumentException} (a bad option) passes unchanged; anything
     * else it throws, or a null result, is a {@link PolicyLoadException} naming {@code p}'s class and jar.
     */
    static P2pPolicy create(PolicyProvider p, Map<String, String> options) {
        Class<?> type = p.getClass();
        String what = "create(" + new TreeMap<>(options) + ")";
        P2pPolicy policy;
        try {
            policy = p.create(options);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw PolicyLoadException.provider(type.getName(), location(type, "(unknown location)"),
                    what + " threw " + describe(e), e);
        }
        if (policy == null) {
            throw PolicyLoadException.provider(type.getName(), location(type, "(unknown location)"),
                    what + " returned null, expected a policy", null);
        }
        return policy;
    }

    private <T> T call(String what, Supplier<T> body) {
        try {
            return body.get();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw fail(what + " threw " + describe(e), e);
        }
    }

    private String nonNull(String what, String value) {
        if (value == null) {
            throw fail(what + " returned null, expected a string", null);
        }
        return value;
    }

    PolicyLoadException fail(String problem, Throwable cause) {
        return PolicyLoadException.provider(type.getName(), location, problem, cause);
    }

    /** The jar or class directory {@code type} was loaded from, else {@code fallback}. */
    private static String location(Class<?> type, String fallback) {
        CodeSource cs = type.getProtectionDomain().getCodeSource();
        return cs == null || cs.getLocation() == null ? fallback : path(cs.getLocation());
    }

    /** The jar or class directory holding the service file {@code file}. */
    private static String location(URL file) {
        String s = file.toString();
        if (s.endsWith(SERVICE_FILE)) {
            s = s.substring(0, s.length() - SERVICE_FILE.length());
        }
        if (s.startsWith("jar:") && s.endsWith("!/")) {
            s = s.substring("jar:".length(), s.length() - "!/".length());
        }
        try {
            return path(new URL(s));
        } catch (java.net.MalformedURLException e) {
            return file.toString();
        }
    }

    private static String path(URL url) {
        if ("file".equals(url.getProtocol())) {
            try {
                return Path.of(url.toURI()).toString();
            } catch (URISyntaxException | IllegalArgumentException e) {
                return url.toString();
            }
        }
        return url.toString();
    }

    /** A throwable on one line: its class, its message, and its cause's, if any. */
    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getClass().getName());
        if (t.getMessage() != null) {
            sb.append(": ").append(t.getMessage());
        }
        Throwable c = t.getCause();
        if (c != null && c != t) {
            sb.append(" (caused by ").append(c.getClass().getName());
            if (c.getMessage() != null) {
                sb.append(": ").append(c.getMessage());
            }
            sb.append(')');
        }
        return sb.toString().replaceAll("\\s*\\R\\s*", " ");
    }
}
