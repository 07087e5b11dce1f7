package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds a third-party policy jar in a test: compiles Java sources against the test class path with the JDK's
 * compiler, and writes the classes plus a {@code META-INF/services} file into a jar. Fails (never skips) if the
 * JDK has no compiler.
 */
final class PolicyJar {
    static final String SERVICE = "META-INF/services/dev.mmiomediator.policy.PolicyProvider";

    private PolicyJar() {
    }

    /**
     * Compiles {@code sources} (binary class name to source text) in {@code work} and writes {@code jar} with the
     * classes and a services file listing {@code providers}.
     */
    static Path build(Path work, Path jar, Map<String, String> sources, List<String> providers) throws IOException {
        return build(work, jar, sources, providers, Set.of());
    }

    /**
     * As {@link #build(Path, Path, Map, List)}, but leaves the classes named in {@code omit} (binary names) out of
     * the jar, as a jar built against a class it does not ship.
     */
    static Path build(Path work, Path jar, Map<String, String> sources, List<String> providers, Set<String> omit)
            throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "this test needs a JDK with a Java compiler (javax.tools), not a JRE");
        Path src = Files.createDirectories(work.resolve("src"));
        Path classes = Files.createDirectories(work.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-proc:none", "-classpath",
                System.getProperty("java.class.path"), "-d", classes.toString()));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
            args.add(file.toString());
        }
        StringWriter diagnostics = new StringWriter();
        try (var err = new java.io.PrintWriter(diagnostics)) {
            int rc = javac.run(null, null, new WriterStream(err), args.toArray(new String[0]));
            err.flush();
            assertTrue(rc == 0, "javac failed (" + rc + "):\n" + diagnostics);
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String entry = classes.relativize(f).toString().replace('\\', '/');
                if (omit.contains(entry.replace('/', '.').replaceFirst("\\.class$", ""))) {
                    continue;
                }
                out.putNextEntry(new JarEntry(entry));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry(SERVICE));
            out.write((String.join("\n", providers) + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }

    /** An OutputStream onto a PrintWriter, for javac's error output. */
    private static final class WriterStream extends OutputStream {
        private final java.io.PrintWriter w;

        WriterStream(java.io.PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            w.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            w.write(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }
}
