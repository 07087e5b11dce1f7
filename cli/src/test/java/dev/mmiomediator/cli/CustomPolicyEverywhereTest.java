package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule class of a policy author's own, compiled in the test into its own jar ({@link LabGuardJar}), run through
 * every command with {@code --policy-path}: listed with its options, planned, simulated, and migrated between two
 * processes, its decisions visible in each report.
 */
class CustomPolicyEverywhereTest {
    @TempDir
    Path tmp;

    private MigrateProcess destination;
    private MigrateProcess source;

    @AfterEach
    void stopProcesses() {
        MigrateProcess.destroyAll(destination, source);
    }

    private Path topology(String policyLine) throws IOException {
        return Files.writeString(tmp.resolve("vm.topology"), TopologyPolicyLineTest.DEFAULT_VM + policyLine + "\n");
    }

    private static JsonObject run(CliRun r) {
        assertEquals(0, r.code(), r.err());
        JsonArray runs = JsonReport.of(r.out()).getAsJsonArray("runs");
        assertEquals(1, runs.size(), r.out());
        return runs.get(0).getAsJsonObject();
    }

    private static void assertIntact(JsonObject run) {
        assertEquals("completed", JsonReport.field(run, "outcome"), run.toString());
        assertEquals(0, JsonReport.integer(run, "lost"), run.toString());
        assertEquals(0, JsonReport.integer(run, "duplicated"), run.toString());
        assertEquals("true", JsonReport.field(run, "imagesMatch"), run.toString());
        assertEquals(JsonReport.integer(run, "p2pAccesses"), JsonReport.integer(run, "forwarded")
                + JsonReport.integer(run, "failed") + JsonReport.integer(run, "queued"), run.toString());
    }

    @Test
    void policiesJsonListsItsOptionsWithTheBuiltins() throws IOException {
        Path dir = LabGuardJar.policyDir(tmp);
        CliRun r = CliRun.of("policies", "--policy-path", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject lab = null;
        for (JsonElement e : JsonReport.of(r.out()).getAsJsonArray("policies")) {
            JsonObject p = e.getAsJsonObject();
            assertTrue(p.get("options").isJsonArray(), "every policy here declares its options: " + p);
            if (JsonReport.field(p, "name").equals(LabGuardJar.NAME)) {
                lab = p;
            }
        }
        assertTrue(lab != null, r.out());
        assertEquals("fail one device, forward the rest while it accepts", JsonReport.field(lab, "description"));
        assertEquals(LabGuardJar.PROVIDER, JsonReport.field(lab, "providerClass"));
        assertEquals(dir.resolve("lab-guard.jar").toString(), JsonReport.field(lab, "location"));
        assertEquals("true", JsonReport.field(lab, "declared"));
        assertEquals(JsonParser.parseString("[{\"name\":\"blocked-device\",\"description\":\"the device every access "
                + "to fails\",\"default\":\"0000:03:00.0\",\"allowed\":[]},{\"name\":\"stopped-writes\","
                + "\"description\":\"what a write to a stopped device gets\",\"default\":\"queue\",\"allowed\":"
                + "[\"queue\",\"fail\"]}]"), lab.get("options"));
    }

    @Test
    void aClassDirectoryIsAPolicyPathToo() throws IOException {
        LabGuardJar.policyDir(tmp);
        Path classes = tmp.resolve("build").resolve("classes");
        Files.createDirectories(classes.resolve("META-INF/services"));
        Files.writeString(classes.resolve(PolicyJar.SERVICE), LabGuardJar.PROVIDER + "\n");
        CliRun r = CliRun.of("policies", "--policy-path", classes.toString(), "--policy", LabGuardJar.NAME, "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject lab = JsonReport.of(r.out()).getAsJsonArray("policies").get(0).getAsJsonObject();
        assertEquals(classes.toString(), JsonReport.field(lab, "location"));
        CliRun plan = CliRun.of("plan", "--policy-path", classes.toString(), "--policy", LabGuardJar.NAME, "--json");
        assertEquals(0, plan.code(), plan.err());
        assertEquals(LabGuardJar.NAME, JsonReport.field(JsonReport.of(plan.out()).getAsJsonArray("plans").get(0)
                .getAsJsonObject(), "policy"));
    }

    @Test
    void policiesTextShowsItsOptions() throws IOException {
        CliRun r = CliRun.of("policies", "--policy-path", LabGuardJar.policyDir(tmp).toString(), "--policy",
                LabGuardJar.NAME);
        assertEquals(0, r.code(), r.err());
        String nl = System.lineSeparator();
        assertEquals("lab-guard  fail one device, forward the rest while it accepts" + nl
                + "           option blocked-device: the device every access to fails (default 0000:03:00.0)" + nl
                + "           option stopped-writes: what a write to a stopped device gets (default queue; one of "
                + "queue, fail)" + nl, r.out());
    }

    @Test
    void anOptionItDoesNotDeclareIsRefusedByEveryCommandAlike() throws IOException {
        String dir = LabGuardJar.policyDir(tmp).toString();
        String message = "policy 'lab-guard': stopped-writes=drop, expected queue or fail";
        for (String command : List.of("policies", "plan", "simulate")) {
            PoliciesCommandTest.assertBadInput(CliRun.of(command, "--policy-path", dir, "--policy", LabGuardJar.NAME,
                    "--option", "stopped-writes=drop"), message);
        }
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--listen", "0", "--policy-path", dir, "--policy",
                LabGuardJar.NAME, "--option", "stopped-writes=drop"), message);
    }

    @Test
    void planAsksTheRuleClassWhatItDoesWithEachDevice() throws IOException {
        CliRun r = CliRun.of("plan", "--policy-path", LabGuardJar.policyDir(tmp).toString(), "--policy",
                LabGuardJar.NAME, "--option", "blocked-device=0000:01:00.0", "--json");
        assertEquals(0, r.code(), r.err());
        JsonArray plans = JsonReport.of(r.out()).getAsJsonArray("plans");
        assertEquals(1, plans.size(), r.out());
        JsonObject plan = plans.get(0).getAsJsonObject();
        assertEquals(LabGuardJar.NAME, JsonReport.field(plan, "policy"));
        assertEquals(JsonParser.parseString("{\"blocked-device\":\"0000:01:00.0\"}"), plan.get("options"));
        assertEquals("allowed", JsonReport.field(plan, "verdict"), r.out());
        JsonObject fpga = plan.getAsJsonArray("handling").get(0).getAsJsonObject();
        assertEquals("0000:03:00.0", JsonReport.field(fpga, "device"));
        // not the blocked device any more: its stopped writes take the default of stopped-writes, queue
        assertEquals(JsonParser.parseString("{\"write\":\"QUEUE\",\"read\":\"FAIL\"}"), fpga.get("whileStopped"));
    }

    @Test
    void simulateRunsItAndReportsItsDecisions() throws IOException {
        JsonObject run = run(CliRun.of("simulate", "--policy-path", LabGuardJar.policyDir(tmp).toString(),
                "--policy", LabGuardJar.NAME, "--json", "--seed", "5"));
        assertEquals(LabGuardJar.NAME, JsonReport.field(run, "policy"));
        assertIntact(run);
        assertTrue(JsonReport.integer(run, "failed") > 0, "the FPGA's accesses fail: " + run);
        assertTrue(JsonReport.integer(run, "forwarded") > 0, run.toString());
        assertTrue(JsonReport.integer(run, "queued") > 0, "writes to stopped devices queue: " + run);
        assertEquals(JsonReport.integer(run, "queued"), JsonReport.integer(run, "replayed"), run.toString());
    }

    @Test
    void simulateRunsItFromTheTopologysPolicyLineWithItsOptions() throws IOException {
        Path file = topology("policy lab-guard stopped-writes=fail");
        JsonObject run = run(CliRun.of("simulate", file.toString(), "--policy-path",
                LabGuardJar.policyDir(tmp).toString(), "--json", "--seed", "5"));
        assertEquals(LabGuardJar.NAME, JsonReport.field(run, "policy"));
        assertIntact(run);
        assertEquals(0, JsonReport.integer(run, "queued"), "stopped-writes=fail queues nothing: " + run);
        assertTrue(JsonReport.integer(run, "failed") > 0, run.toString());
    }

    @Test
    void migrateRunsItOnBothSidesOfTwoProcesses() throws Exception {
        String dir = LabGuardJar.policyDir(tmp).toString();
        destination = MigrateProcess.start(tmp, "destination", "--listen", "0", "--policy-path", dir, "--policy",
                LabGuardJar.NAME, "--json");
        int port = destination.awaitPort(Duration.ofSeconds(60));
        source = MigrateProcess.start(tmp, "source", "--to", "127.0.0.1:" + port, "--policy-path", dir,
                "--policy", LabGuardJar.NAME, "--json");
        assertTrue(source.awaitExit(Duration.ofSeconds(120)), "source did not finish"
                + MigrateProcess.diagnostics(source, destination));
        assertTrue(destination.awaitExit(Duration.ofSeconds(120)), "destination did not finish"
                + MigrateProcess.diagnostics(source, destination));
        String diagnostics = MigrateProcess.diagnostics(source, destination);
        assertEquals(0, source.process.exitValue(), diagnostics);
        assertEquals(0, destination.process.exitValue(), diagnostics);
        for (MigrateProcess side : List.of(source, destination)) {
            assertEquals(LabGuardJar.NAME, side.field("policy"), diagnostics);
            assertEquals("completed", side.field("outcome"), diagnostics);
        }
        assertTrue(source.number("failed") > 0, "the FPGA's accesses fail on the source" + diagnostics);
        assertTrue(source.number("forwarded") > 0, diagnostics);
        assertTrue(source.number("queued") > 0, "writes to stopped devices queue on the source" + diagnostics);
        assertEquals(source.number("carried"), destination.number("carried"), diagnostics);
        MigrateProcess.assertIntegrityKept(source, destination);
    }
}
