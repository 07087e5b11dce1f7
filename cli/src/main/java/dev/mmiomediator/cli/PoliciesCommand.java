package dev.mmiomediator.cli;

import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.concurrent.Callable;
import java.util.jar.JarFile;

/**
 * {@code mmio-mediator policies}: lists the P2P policies found through {@link java.util.ServiceLoader}, the
 * built-ins on the tool's class path plus those in the jars of each {@code --policy-path} directory.
 */
@Command(name = "policies",
        mixinStandardHelpOptions = true,
        description = {"List the P2P access policies found, one per line: the name (what a policy is selected by) "
                + "and a one-line description, sorted by name.",
                "Policies come from the tool's own class path and from every *.jar in each --policy-path directory; "
                        + "a jar names its providers in the service file",
                "  META-INF/services/dev.mmiomediator.policy.PolicyProvider",
                "A directory that does not exist or holds no jar, a jar that cannot be read, a provider that cannot "
                        + "be loaded, or two policies with one name exit with code 2 and say which."})
final class PoliciesCommand implements Callable<Integer> {
    @Option(names = "--policy-path", paramLabel = "DIR",
            description = "A directory of policy jars (every *.jar in it, not its subdirectories); repeatable.")
    List<Path> policyPaths = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private record Row(String name, String description) {
    }

    @Override
    public Integer call() {
        List<URL> jars = new ArrayList<>();
        for (Path dir : policyPaths) {
            jars.addAll(jarsIn(dir));
        }
        ClassLoader tool = PoliciesCommand.class.getClassLoader();
        List<Row> rows;
        if (jars.isEmpty()) {
            rows = rows(tool);
        } else {
            try (URLClassLoader loader = new URLClassLoader(jars.toArray(new URL[0]), tool)) {
                rows = rows(loader);
            } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
                throw new BadInputException("cannot load the policies of --policy-path " + policyPaths + ": "
                        + oneLine(e));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        int width = rows.stream().mapToInt(r -> r.name().length()).max().orElse(0);
        PrintWriter out = spec.commandLine().getOut();
        for (Row r : rows) {
            out.println(String.format("%-" + width + "s  %s", r.name(), r.description()).stripTrailing());
        }
        return 0;
    }

    /** Name and description of every provider {@code loader} sees, read before the loader is closed. */
    private static List<Row> rows(ClassLoader loader) {
        List<Row> rows = new ArrayList<>();
        for (PolicyProvider p : Policies.available(loader)) {
            rows.add(new Row(p.name(), p.description()));
        }
        return rows;
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
