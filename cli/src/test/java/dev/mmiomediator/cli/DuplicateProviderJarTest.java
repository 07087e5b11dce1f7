package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provider class found in two jars is bad input naming both jars, whichever command loads the policies: which
 * copy would run depends on the order of the class path, so neither is picked silently.
 */
class DuplicateProviderJarTest {
    @TempDir
    Path tmp;

    private static String message(Path first, Path second) {
        return "policy provider " + LabGuardJar.PROVIDER + " is listed twice, in " + first + " and in " + second
                + ": expected one copy, remove one of them";
    }

    @Test
    void twoCopiesInOneDirectoryAreRefusedNamingBoth() throws IOException {
        Path dir = LabGuardJar.policyDir(tmp);
        Path copy = Files.copy(dir.resolve("lab-guard.jar"), dir.resolve("lab-guard-copy.jar"));
        String expected = "cannot load the policies of --policy-path [" + dir + "]: "
                + message(copy, dir.resolve("lab-guard.jar"));
        for (String command : new String[] {"policies", "plan", "simulate"}) {
            PoliciesCommandTest.assertBadInput(CliRun.of(command, "--policy-path", dir.toString()), expected);
        }
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--listen", "0", "--policy-path", dir.toString(),
                "--policy", LabGuardJar.NAME), expected);
    }

    @Test
    void copiesInTwoPolicyPathsAreRefusedNamingBoth() throws IOException {
        Path first = LabGuardJar.policyDir(tmp.resolve("a"));
        Path second = LabGuardJar.policyDir(tmp.resolve("b"));
        CliRun r = CliRun.of("simulate", "--policy-path", first.toString(), "--policy-path", second.toString(),
                "--policy", LabGuardJar.NAME);
        PoliciesCommandTest.assertBadInput(r, "cannot load the policies of --policy-path [" + first + ", " + second
                + "]: " + message(first.resolve("lab-guard.jar"), second.resolve("lab-guard.jar")));
        assertEquals(2, r.code());
    }
}
