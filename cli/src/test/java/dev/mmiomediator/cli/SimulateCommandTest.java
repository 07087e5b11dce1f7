package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmio-mediator simulate}: the main job, its JSON report per policy, and bad input. */
class SimulateCommandTest {
    private static long number(String run, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)[,}]").matcher(run);
        assertTrue(m.find(), name + " in " + run);
        return Long.parseLong(m.group(1));
    }

    private static String text(String run, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(run);
        assertTrue(m.find(), name + " in " + run);
        return m.group(1);
    }

    @Test
    void everyBuiltinRunsOnTheDefaultVmWithItsIntegrityKept() {
        CliRun r = CliRun.of("simulate", "--json", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("{\"runs\":[") && r.out().endsWith("]}\n"), r.out());
        StringBuilder outcomes = new StringBuilder();
        for (String run : r.out().substring(9, r.out().length() - 3).split("\\},\\{")) {
            String policy = text(run, "policy");
            outcomes.append(policy).append('=').append(text(run, "outcome")).append(' ');
            assertEquals(number(run, "p2pAccesses"),
                    number(run, "forwarded") + number(run, "failed") + number(run, "queued"), run);
            assertEquals(0, number(run, "lost"), run);
            assertEquals(0, number(run, "duplicated"), run);
            assertEquals(0, number(run, "unrecorded"), run);
            assertTrue(run.contains("\"imagesMatch\":true"), run);
            if (policy.equals("queue-and-replay")) {
                assertEquals(number(run, "queued"), number(run, "replayed"), run);
                assertTrue(number(run, "queued") > 0, run);
                assertEquals(number(run, "forwarded") + number(run, "queued"), number(run, "taken"), run);
            }
        }
        assertEquals("fail-always=completed abort-migration=aborted queue-and-replay=completed "
                + "require-p2p=blocked ", outcomes.toString(), r.out());
        assertTrue(r.err().contains("simulate: run 3 of 4: policy queue-and-replay"), r.err());
    }

    @Test
    void oneNamedPolicyWithAnOption() {
        CliRun r = CliRun.of("simulate", "--policy", "queue-and-replay", "--option", "read-fallback=fail");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nqueue-and-replay: completed\n"), r.out());
        assertTrue(r.out().matches("(?s).*integrity: lost 0, duplicated 0 \\(per write, of [1-9][0-9]* taken\\), "
                + "destination RAM and BARs equal.*"), r.out());
    }

    @Test
    void badInputExitsTwoWithOneLine() {
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "--policy", "nope"),
                "unknown policy 'nope': expected one of abort-migration, example-nic-first, fail-always, "
                        + "queue-and-replay, require-p2p");
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "--settle-ms", "-1"),
                "--settle-ms -1: expected 0 to 60000");
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "/no/such/file.topology"),
                "/no/such/file.topology: no such file");
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "--seed", "one"),
                "Invalid value for option '--seed': 'one' is not a long");
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "/"), "/: is a directory, expected a topology file");
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "--policy", "queue-and-replay", "--option",
                "read-fallback=maybe"), "policy 'queue-and-replay': read-fallback=maybe, expected abort or fail");
    }

    @Test
    void aMalformedTopologyIsBadInputNamingTheLine(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("vm.topology"), "vm broken\nsoftware\n");
        CliRun r = CliRun.of("simulate", file.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("mmio-mediator: " + file + ":2: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }
}
