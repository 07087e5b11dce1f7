package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmio-mediator simulate}: the main job, its JSON report per policy, and bad input. */
class SimulateCommandTest {
    @Test
    void everyBuiltinRunsOnTheDefaultVmWithItsIntegrityKept() {
        CliRun r = CliRun.of("simulate", "--json", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().endsWith("}\n") && r.out().indexOf('\n') == r.out().length() - 1, r.out());
        JsonObject report = JsonReport.of(r.out());
        assertEquals(List.of("runs"), new ArrayList<>(report.keySet()), r.out());
        StringBuilder outcomes = new StringBuilder();
        for (JsonElement element : report.getAsJsonArray("runs")) {
            JsonObject run = element.getAsJsonObject();
            String policy = JsonReport.field(run, "policy");
            outcomes.append(policy).append('=').append(JsonReport.field(run, "outcome")).append(' ');
            assertEquals(JsonReport.integer(run, "p2pAccesses"), JsonReport.integer(run, "forwarded")
                    + JsonReport.integer(run, "failed") + JsonReport.integer(run, "queued"), run.toString());
            assertEquals(0, JsonReport.integer(run, "lost"), run.toString());
            assertEquals(0, JsonReport.integer(run, "duplicated"), run.toString());
            assertEquals(0, JsonReport.integer(run, "unrecorded"), run.toString());
            assertEquals(new JsonPrimitive(true), run.get("imagesMatch"), run.toString());
            if (policy.equals("queue-and-replay")) {
                assertEquals(JsonReport.integer(run, "queued"), JsonReport.integer(run, "replayed"), run.toString());
                assertTrue(JsonReport.integer(run, "queued") > 0, run.toString());
                assertEquals(JsonReport.integer(run, "forwarded") + JsonReport.integer(run, "queued"),
                        JsonReport.integer(run, "taken"), run.toString());
            }
        }
        assertEquals("fail-always=completed abort-migration=aborted queue-and-replay=completed "
                + "require-p2p=blocked ", outcomes.toString(), r.out());
        assertEquals("", r.err(), "standard error is not a terminal and there is no -v: no progress");
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
