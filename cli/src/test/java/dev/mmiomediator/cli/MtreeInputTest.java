package dev.mmiomediator.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mmiomediator.fixtures.QemuDumps;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code plan}, {@code simulate} and {@code migrate} with {@code --mtree FILE}: the real VFIO guest as input. */
class MtreeInputTest {
    /** The five VFIO functions of the memflow guest, each with flags as an operator would give them. */
    static final String[] DEVICES = {
        "--device", "0000:0c:00.0=STOP_COPY,P2P", "--device", "0000:0c:00.1=STOP_COPY,P2P,PRE_COPY",
        "--device", "0000:0c:00.2=STOP_COPY,P2P", "--device", "0000:0c:00.3=stop_copy,p2p",
        "--device", "0000:0e:00.3=STOP_COPY,P2P"};

    @TempDir
    Path dir;

    Path memflow;

    @BeforeEach
    void writeTheDump() throws Exception {
        memflow = dir.resolve("memflow-vfio5.flat.txt");
        Files.writeString(memflow, QemuDumps.read("memflow-vfio5.flat.txt"));
    }

    String[] args(String... head) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(DEVICES));
        return all.toArray(String[]::new);
    }

    @Test
    void planNamesTheBarsAndInitiatorsTheAuditFinds() {
        CliRun audit = CliRun.of("mtree", "audit", "--json", memflow.toString());
        CliRun plan = CliRun.of(args("plan", "--json", "--policy", "queue-and-replay", "--mtree", memflow.toString()));
        assertEquals(0, audit.code(), audit.err());
        assertEquals(0, plan.code(), plan.err());
        JsonObject a = JsonReport.of(audit.out());
        JsonObject topology = JsonReport.member(JsonReport.of(plan.out()), "topology").getAsJsonObject();

        Set<String> auditBars = new LinkedHashSet<>();
        for (JsonElement e : a.getAsJsonArray("passthrough")) {
            JsonObject p = e.getAsJsonObject();
            auditBars.add(p.get("device").getAsString() + " BAR " + p.get("bar").getAsInt());
        }
        Set<String> planBars = new LinkedHashSet<>();
        for (JsonElement e : topology.getAsJsonArray("passthrough")) {
            JsonObject d = e.getAsJsonObject();
            for (JsonElement b : d.getAsJsonArray("bars")) {
                planBars.add(d.get("address").getAsString() + " BAR " + b.getAsJsonObject().get("index").getAsInt());
            }
        }
        assertEquals(9, auditBars.size(), a.toString());
        assertEquals(auditBars, planBars);

        // each initiator address space that reaches a BAR, once per space (names repeat), in the dump's order
        List<String> auditSpaces = new ArrayList<>();
        String firstOfSpace = null;
        for (JsonElement e : a.getAsJsonArray("exposures")) {
            JsonObject x = e.getAsJsonObject();
            String space = x.get("addressSpace").getAsString();
            // exposures of one space are consecutive, starting again at the first BAR for the next space
            String key = x.get("device").getAsString() + "/" + x.get("bar").getAsInt();
            if (firstOfSpace == null || !space.equals(auditSpaces.get(auditSpaces.size() - 1)) || key.equals(firstOfSpace)) {
                auditSpaces.add(space);
                firstOfSpace = key;
            }
        }
        List<String> planSpaces = new ArrayList<>();
        topology.getAsJsonArray("software").forEach(s -> planSpaces.add(s.getAsString().replaceFirst("\\.[0-9]+$", "")));
        assertEquals(30, planSpaces.size(), topology.toString());
        assertEquals(auditSpaces, planSpaces);
    }

    @Test
    void planTextSaysTheVmCameFromTheDump() {
        CliRun r = CliRun.of(args("plan", "--mtree", memflow.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Migration plan for VM memflow-vfio5.flat.txt, from " + memflow
                + " (an info mtree dump; flags from --device)"), r.out());
        assertTrue(r.out().contains("  0000:0c:00.0  vfio0  STOP_COPY,P2P           yes  0: 16 MiB, 1: 256 MiB, 3: 32 MiB, 5: 128 B\n"),
                r.out());
        assertTrue(r.out().contains("Software devices: mch, ICH9-LPC, ich9-ahci"), r.out());
    }

    @Test
    void simulateMigratesTheRealGuestUnderEveryBuiltInWithIntegrityKept() {
        CliRun r = CliRun.of(args("simulate", "--json", "--settle-ms", "20", "--mtree", memflow.toString()));
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> policies = new ArrayList<>();
        for (JsonElement e : JsonReport.of(r.out()).getAsJsonArray("runs")) {
            JsonObject run = e.getAsJsonObject();
            policies.add(run.get("policy").getAsString());
            assertNotEquals("blocked", run.get("outcome").getAsString(), run.toString());
            assertEquals(0, run.get("lost").getAsLong(), run.toString());
            assertEquals(0, run.get("duplicated").getAsLong(), run.toString());
            assertEquals(0, run.get("unrecorded").getAsLong(), run.toString());
            assertTrue(run.get("imagesMatch").getAsBoolean(), run.toString());
            assertTrue(run.get("p2pAccesses").getAsLong() > 0, run.toString());
        }
        assertEquals(SimulateCommand.BUILTINS, policies);
    }

    @Test
    void aFunctionWithoutFlagsIsBadInputListingTheMissingOnes() {
        CliRun r = CliRun.of("plan", "--mtree", memflow.toString(), "--device", "0000:0c:00.0=STOP_COPY,P2P",
                "--device", "0000:0c:00.2=none");
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("no --device flags for 0000:0c:00.1, 0000:0c:00.3, 0000:0e:00.3:"), r.err());
    }

    @Test
    void simulateWithoutAnyFlagsIsBadInputListingAllFive() {
        CliRun r = CliRun.of("simulate", "--mtree", memflow.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(
                "no --device flags for 0000:0c:00.0, 0000:0c:00.1, 0000:0c:00.2, 0000:0c:00.3, 0000:0e:00.3:"), r.err());
    }

    @Test
    void flagsForAFunctionTheDumpLacksAreBadInput() {
        List<String> a = new ArrayList<>(List.of(args("plan", "--mtree", memflow.toString())));
        a.addAll(List.of("--device", "0000:01:00.0=STOP_COPY"));
        CliRun r = CliRun.of(a.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--device 0000:01:00.0: no such passthrough function in " + memflow
                + ", expected one of 0000:0c:00.0, 0000:0c:00.1, 0000:0c:00.2, 0000:0c:00.3, 0000:0e:00.3"), r.err());
    }

    @Test
    void aDumpAndATopologyFileTogetherAreBadInput() throws Exception {
        Path topology = dir.resolve("vm.topology");
        Files.writeString(topology, "passthrough nic 0000:01:00.0 flags=STOP_COPY,P2P bars=0:64K\n");
        for (String command : List.of("plan", "simulate")) {
            CliRun r = CliRun.of(args(command, topology.toString(), "--mtree", memflow.toString()));
            assertEquals(2, r.code(), command + ": " + r.err());
            assertTrue(r.err().contains("expected one or the other"), r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void aDeviceFlagWithoutADumpIsBadInput() {
        CliRun r = CliRun.of("plan", "--device", "0000:0c:00.0=STOP_COPY");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("expected only with --mtree FILE"), r.err());
    }

    @Test
    void anUnknownFlagIsBadInput() {
        CliRun r = CliRun.of("plan", "--mtree", memflow.toString(), "--device", "0000:0c:00.0=STOP_COPY,FAST");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("unknown flag 'FAST'"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void aFlagGivenTwiceIsBadInput() {
        CliRun r = CliRun.of("plan", "--mtree", memflow.toString(), "--device", "0000:0c:00.0=STOP_COPY,p2p,P2P");
        assertEquals(2, r.code(), r.err());
        assertEquals("mmio-mediator: --device 0000:0c:00.0=STOP_COPY,p2p,P2P: P2P given twice, expected each flag once",
                r.err().strip());
    }
}
