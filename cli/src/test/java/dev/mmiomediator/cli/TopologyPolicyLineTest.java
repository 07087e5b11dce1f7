package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology's {@code policy} line is honoured by every command alike: {@code simulate} and {@code migrate} run the
 * policy it names with its options, {@code --policy} overrides it, and an unknown name, from either, exits 2 with the
 * names that exist.
 */
class TopologyPolicyLineTest {
    /** The embedded default VM, without a policy line. */
    static final String DEFAULT_VM = """
            vm demo-q35
            passthrough nic   0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=0:0x4000,2:0x1000
            passthrough gpu   0000:02:00.0 flags=STOP_COPY,P2P           bars=0:0x400000,2:0x100000
            passthrough fpga  0000:03:00.0 flags=STOP_COPY               bars=0:0x10000,2:0x200000
            software virtio-net
            software nvme
            """;
    static final String NAMES = "abort-migration, example-nic-first, fail-always, queue-and-replay, require-p2p";

    @TempDir
    Path tmp;

    private MigrateProcess destination;
    private MigrateProcess source;

    @AfterEach
    void stopProcesses() {
        MigrateProcess.destroyAll(destination, source);
    }

    private Path topology(String policyLine) throws IOException {
        return Files.writeString(tmp.resolve("vm.topology"), DEFAULT_VM + policyLine + "\n");
    }

    private static List<String> policiesRun(CliRun r) {
        assertEquals(0, r.code(), r.err());
        JsonArray runs = JsonReport.of(r.out()).getAsJsonArray("runs");
        return runs.asList().stream().map(e -> JsonReport.field(e.getAsJsonObject(), "policy")).toList();
    }

    @Test
    void simulateRunsThePolicyTheTopologyNamesWithItsOptions() throws IOException {
        Path file = topology("policy queue-and-replay read-fallback=fail");
        CliRun r = CliRun.of("simulate", file.toString(), "--json", "--seed", "2");
        assertEquals(List.of("queue-and-replay"), policiesRun(r));
        JsonObject run = JsonReport.of(r.out()).getAsJsonArray("runs").get(0).getAsJsonObject();
        assertEquals("completed", JsonReport.field(run, "outcome"), r.out());
        assertEquals(0, JsonReport.integer(run, "aborts"), "reads fail instead of asking to abort: " + r.out());
    }

    @Test
    void simulatesPolicyOptionOverridesTheTopologysLine() throws IOException {
        Path file = topology("policy queue-and-replay read-fallback=fail");
        // fail-always takes no options: the line's options belong to the policy it names, not to --policy's
        assertEquals(List.of("fail-always"), policiesRun(CliRun.of("simulate", file.toString(), "--policy",
                "fail-always", "--json")));
    }

    @Test
    void simulateWithoutAPolicyLineRunsEveryBuiltin() throws IOException {
        assertEquals(List.of("fail-always", "abort-migration", "queue-and-replay", "require-p2p"),
                policiesRun(CliRun.of("simulate", topology("").toString(), "--json")));
    }

    @Test
    void migrateUsesThePolicyTheTopologyNames() throws IOException {
        // require-p2p blocks this VM (the FPGA lacks P2P) before the side listens: one process suffices
        CliRun r = CliRun.of("migrate", "--listen", "0", topology("policy require-p2p").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("require-p2p", JsonReport.field(r.out(), "policy"));
        assertEquals("blocked", JsonReport.field(r.out(), "outcome"));
    }

    @Test
    void migratesPolicyOptionOverridesTheTopologysLine() throws IOException {
        CliRun r = CliRun.of("migrate", "--to", "127.0.0.1:9", topology("policy fail-always").toString(), "--policy",
                "require-p2p", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("require-p2p", JsonReport.field(r.out(), "policy"));
        assertEquals("blocked", JsonReport.field(r.out(), "outcome"));
    }

    @Test
    void twoMigrateProcessesBothRunTheirTopologysPolicy() throws Exception {
        String file = topology("policy fail-always").toString();
        destination = MigrateProcess.start(tmp, "destination", "--listen", "0", file, "--json");
        int port = destination.awaitPort(Duration.ofSeconds(60));
        source = MigrateProcess.start(tmp, "source", "--to", "127.0.0.1:" + port, file, "--json");
        assertTrue(source.awaitExit(Duration.ofSeconds(120)), MigrateProcess.diagnostics(source, destination));
        assertTrue(destination.awaitExit(Duration.ofSeconds(120)), MigrateProcess.diagnostics(source, destination));
        String diagnostics = MigrateProcess.diagnostics(source, destination);
        assertEquals(0, source.process.exitValue(), diagnostics);
        assertEquals(0, destination.process.exitValue(), diagnostics);
        for (MigrateProcess side : List.of(source, destination)) {
            assertEquals("fail-always", side.field("policy"), diagnostics);
            assertEquals("completed", side.field("outcome"), diagnostics);
            assertEquals(0, side.number("forwarded"), "fail-always forwards nothing" + diagnostics);
            assertEquals(0, side.number("queued"), diagnostics);
        }
        assertTrue(source.number("failed") > 0, diagnostics);
    }

    @Test
    void anUnknownNameExitsTwoWithTheNamesThatExistInEveryCommand() throws IOException {
        String file = topology("policy nope").toString();
        String message = "unknown policy 'nope': expected one of " + NAMES;
        for (List<String> args : List.of(List.of("simulate", file), List.of("plan", file),
                List.of("migrate", "--listen", "0", file), List.of("migrate", "--to", "127.0.0.1:9", file),
                List.of("simulate", "--policy", "nope"), List.of("plan", "--policy", "nope"),
                List.of("migrate", "--listen", "0", "--policy", "nope"), List.of("policies", "--policy", "nope"))) {
            PoliciesCommandTest.assertBadInput(CliRun.of(args.toArray(new String[0])), message);
        }
    }

    @Test
    void anUnknownNameListsThePolicyPathsPoliciesToo() throws IOException {
        String dir = LabGuardJar.policyDir(tmp).toString();
        String names = "abort-migration, example-nic-first, fail-always, lab-guard, queue-and-replay, require-p2p";
        for (String command : List.of("simulate", "plan", "policies")) {
            PoliciesCommandTest.assertBadInput(CliRun.of(command, "--policy-path", dir, "--policy", "nope"),
                    "unknown policy 'nope': expected one of " + names);
        }
    }
}
