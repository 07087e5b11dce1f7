package dev.mmiomediator.cli;

import dev.mmiomediator.policy.PolicyLoadException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.jar.JarFile;

/**
 * The {@code --policy-path} directories of {@code policies} and {@code plan}: their jars, and a class loader
 * over them in which a provider that cannot be used is bad input (one line, exit 2).
 */
final class PolicyPath {
    /** The option's help: what it reads, and that it runs the jars' code. */
    static final String OPTION_DESCRIPTION = "A directory of policy jars (every *.jar in it, not its "
            + "subdirectories); repeatable. Trust it as you would a plugin directory: a jar's provider code runs "
            + "in this process with your rights when its policy is used (a provider without @PolicyInfo also "
            + "whenever policies are listed or looked up by name), so give only directories that you and no one "
            + "else can write to, holding jars you trust.";

    private PolicyPath() {
    }

    /**
     * {@code body} applied to a class loader that sees the tool's class path plus the jars of {@code dirs}
     * (just the tool's if {@code dirs} is empty), closed afterwards: {@code body} must finish with the
     * providers before it returns.
     */
    static <T> T withLoader(List<Path> dirs, ClassLoader tool, Function<ClassLoader, T> body) {
        List<URL> jars = new ArrayList<>();
        for (Path dir : dirs) {
            jars.addAll(jarsIn(dir));
        }
        if (jars.isEmpty()) {
            return body.apply(tool);
        }
        try (URLClassLoader loader = new URLClassLoader(jars.toArray(new URL[0]), tool)) {
            return body.apply(loader);
        } catch (PolicyLoadException e) {
            throw new BadInputException("cannot load the policies of --policy-path " + dirs + ": "
                    + oneLine(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code *.jar} files of {@code dir}, sorted, each checked to open as a jar. */
    static List<URL> jarsIn(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException("--policy-path " + dir + ": no such directory");
        }
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    jars.add(p);
                }
            }
        } catch (IOException e) {
            throw new BadInputException("--policy-path " + dir + ": cannot list it: " + oneLine(e));
        }
        if (jars.isEmpty()) {
            throw new BadInputException("--policy-path " + dir + ": holds no *.jar file");
        }
        jars.sort(null);
        List<URL> urls = new ArrayList<>();
        for (Path jar : jars) {
            try (JarFile f = new JarFile(jar.toFile())) {
                f.getManifest();    // reads the central directory and the manifest: a broken jar fails here
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new BadInputException("--policy-path " + dir + ": " + jar + ": " + oneLine(e));
            } catch (IOException | SecurityException e) {
                throw new BadInputException("--policy-path " + dir + ": " + jar + " is not a readable jar: "
                        + oneLine(e));
            }
        }
        return urls;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s*\\R\\s*", " ");
    }
}
