package dev.mmiomediator.policy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Class loaders for the discovery tests: each sees only the service files a test writes (the module's own test
 * service file is hidden) and loads {@link Providers} afresh, so no test sees another's initialized classes.
 */
final class ServiceFiles {
    static final String SERVICE_FILE = "META-INF/services/dev.mmiomediator.policy.PolicyProvider";
    private static final String HOST = Providers.class.getName();
    private static final String PROVIDERS = HOST + "$";

    private ServiceFiles() {
    }

    /** The binary name of the provider fixture {@code simpleName}, e.g. {@code Providers$Alpha}. */
    static String provider(String simpleName) {
        return PROVIDERS + simpleName;
    }

    /** Writes a class directory {@code dir} whose service file has {@code lines}; returns {@code dir}. */
    static Path classDirectory(Path dir, String... lines) {
        try {
            Path file = dir.resolve(SERVICE_FILE);
            Files.createDirectories(file.getParent());
            Files.writeString(file, String.join("\n", lines) + "\n");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the jar {@code jar} holding only a service file with {@code lines}; returns {@code jar}. */
    static Path jar(Path jar, String... lines) {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(SERVICE_FILE));
            out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A loader over {@code roots} (class directories or jars) with fresh {@link Providers}, none missing. */
    static URLClassLoader isolated(Path... roots) {
        return isolated(Set.of(), roots);
    }

    /**
     * A loader over {@code roots} that defines the {@link Providers} classes itself, from this module's class
     * files, and fails to find those named in {@code missing} (simple names), like a jar that lacks them.
     */
    static URLClassLoader isolated(Set<String> missing, Path... roots) {
        URL[] urls = new URL[roots.length];
        for (int i = 0; i < roots.length; i++) {
            try {
                urls[i] = roots[i].toUri().toURL();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new IsolatingLoader(urls, missing);
    }

    /** A loader that sees one service file at {@code url} (of any protocol), served from memory. */
    static ClassLoader at(String url, String... lines) {
        byte[] content = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        return serving(url, () -> new ByteArrayInputStream(content));
    }

    /** A loader that sees one service file at {@code url} that cannot be read. */
    static ClassLoader unreadable(String url) {
        return serving(url, () -> {
            throw new IOException("disk on fire");
        });
    }

    /** A loader whose look-up of service files fails. */
    static ClassLoader failingLookup() {
        return new ClassLoader(ServiceFiles.class.getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                throw new IOException("no class path");
            }
        };
    }

    private interface Opener {
        InputStream open() throws IOException;
    }

    private static ClassLoader serving(String url, Opener opener) {
        URL file;
        try {
            file = new URL(null, url, new URLStreamHandler() {
                @Override
                protected URLConnection openConnection(URL u) {
                    return new URLConnection(u) {
                        @Override
                        public void connect() {
                        }

                        @Override
                        public InputStream getInputStream() throws IOException {
                            return opener.open();
                        }
                    };
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ClassLoader(ServiceFiles.class.getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                return name.equals(SERVICE_FILE) ? Collections.enumeration(List.of(file)) : super.getResources(name);
            }
        };
    }

    /** Hides the test module's own service file and defines {@link Providers} afresh. */
    private static final class IsolatingLoader extends URLClassLoader {
        private final Set<String> missing;

        IsolatingLoader(URL[] urls, Set<String> missing) {
            super(urls, ServiceFiles.class.getClassLoader());
            this.missing = missing;
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            return name.equals(SERVICE_FILE) ? findResources(name) : super.getResources(name);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            // the nest host too, so the copies may call its private helpers
            if (!name.equals(HOST) && !name.startsWith(PROVIDERS)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    if (name.startsWith(PROVIDERS) && missing.contains(name.substring(PROVIDERS.length()))) {
                        throw new ClassNotFoundException(name);
                    }
                    String resource = name.replace('.', '/') + ".class";
                    try (InputStream in = getParent().getResourceAsStream(resource)) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        c = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}
