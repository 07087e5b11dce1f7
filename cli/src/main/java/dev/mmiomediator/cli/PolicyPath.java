package dev.mmiomediator.cli;

import dev.mmiomediator.policy.PolicyLoadException;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

/**
 * The {@code --policy-path} directories of every command that uses policies: their jars (or the directory itself,
 * when it is a class directory), and a class loader over them in which a provider that cannot be used is bad
 * input (one line, exit 2).
 */
final class PolicyPath {
    /** The service file that lists policy providers. */
    static final String SERVICE_FILE = "META-INF/services/dev.mmiomediator.policy.PolicyProvider";

    /** The option's help: what it reads, and that it runs the jars' code. */
    static final String OPTION_DESCRIPTION = "A directory of policy jars (every *.jar in it, not its "
            + "subdirectories), or a class directory (one holding META-INF/services/"
            + "dev.mmiomediator.policy.PolicyProvider); repeatable. Trust it as you would a plugin directory: a "
            + "jar's provider code runs in this process with your rights when its policy is used (a provider without "
            + "@PolicyInfo also whenever policies are listed or looked up by name), so give only directories that "
            + "you and no one else can write to, holding code you trust.";

    /** What {@link #withLoader} runs with the class loader. */
    @FunctionalInterface
    interface Body<T> {
        T apply(ClassLoader loader) throws IOException, InterruptedException;
    }

    private PolicyPath() {
    }

    /**
     * {@code body} applied to a class loader that sees the tool's class path plus the jars and class directories of
     * {@code dirs} (just the tool's if {@code dirs} is empty), closed afterwards: {@code body} must finish with the
     * providers and their policies before it returns.
     */
    static <T> T withLoader(List<Path> dirs, ClassLoader tool, Body<T> body) throws IOException,
            InterruptedException {
        List<URL> urls = new ArrayList<>();
        for (Path dir : dirs) {
            urls.addAll(urlsIn(dir));
        }
        if (urls.isEmpty()) {
            return body.apply(tool);
        }
        URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), tool);
        try {
            return body.apply(loader);
        } catch (PolicyLoadException e) {
            throw new BadInputException("cannot load the policies of --policy-path " + dirs + ": "
                    + oneLine(e));
        } finally {
            loader.close();
        }
    }

    /**
     * The class path entries {@code dir} stands for: {@code dir} itself if it is a class directory (holds the
     * service file), and its {@code *.jar} files, sorted, each checked to open as a jar.
     */
    static List<URL> urlsIn(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException("--policy-path " + dir + ": no such directory");
        }
        List<URL> urls = new ArrayList<>();
        if (Files.isRegularFile(dir.resolve(SERVICE_FILE))) {
            try {
                urls.add(dir.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new BadInputException("--policy-path " + dir + ": " + oneLine(e));
            }
        }
        List<URL> jars = jarsIn(dir);
        if (urls.isEmpty() && jars.isEmpty()) {
            throw new BadInputException("--policy-path " + dir + ": holds no *.jar file and no " + SERVICE_FILE
                    + ", expected a directory of policy jars or a class directory");
        }
        urls.addAll(jars);
        return urls;
    }

    /** The {@code *.jar} files of {@code dir}, sorted, each checked to open as a jar. */
    private static List<URL> jarsIn(Path dir) {
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
