package dev.mmiomediator.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mmiomediator.fixtures.QemuDumps;
import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.SparseRam;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.sim.GuestMap;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.SoftwareDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.policy.MigrationControl;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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

    private MigrateProcess destination;
    private MigrateProcess source;

    @AfterEach
    void stopProcesses() {
        MigrateProcess.destroyAll(destination, source);
    }

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

        // each software initiator address space that reaches a BAR, once per space (names repeat), in the dump's
        // order; the passthrough functions' own spaces (vfio-pci) are hardware P2P, in both outputs
        List<String> auditSpaces = new ArrayList<>();
        String firstOfSpace = null;
        int passthroughExposures = 0;
        for (JsonElement e : a.getAsJsonArray("exposures")) {
            JsonObject x = e.getAsJsonObject();
            if (x.get("initiator").getAsString().equals("passthrough")) {
                assertEquals("vfio-pci", x.get("addressSpace").getAsString(), x.toString());
                passthroughExposures++;
                continue;
            }
            assertEquals("software", x.get("initiator").getAsString(), x.toString());
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
        assertEquals(25, planSpaces.size(), topology.toString());
        assertEquals(auditSpaces, planSpaces);
        assertEquals(5 * 8, passthroughExposures, "five vfio-pci spaces, each reaching the 8 BARs in memory");
        assertFalse(planSpaces.contains("vfio-pci"), planSpaces.toString());
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
        assertTrue(r.out().replaceAll("\\s+", " ").contains("ich9-intel-hda Not software devices: 5 passthrough "
                + "functions' own bus-master spaces (vfio-pci x5) reach BARs too: hardware P2P, which the kernel's P2P states govern, "
                + "not software devices."), r.out());
    }

    /** mtree audit says the same of the vfio-pci spaces as plan: DMA initiators, but not software devices. */
    @Test
    void auditSaysTheVfioSpacesAreHardwareP2pNotSoftwareDevices() {
        CliRun r = CliRun.of("mtree", "audit", memflow.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().replace("\n", " ").replaceAll(" +", " ").contains("Of these, 5 are passthrough "
                + "functions' own bus-master spaces (vfio-pci x5): hardware P2P, which the kernel's P2P states govern; "
                + "plan, simulate and migrate count the other 25 as software devices."), r.out());
    }

    /**
     * Every built-in on the real guest's own map (16 GiB of RAM, BARs up to 256 MiB at their guest addresses):
     * each policy's own outcome, and every accepted P2P write taken exactly once, by identity.
     */
    @Test
    void simulateMigratesTheRealGuestUnderEveryBuiltInWithIntegrityKept() {
        CliRun r = CliRun.of(args("simulate", "--json", "--settle-ms", "20", "--mtree", memflow.toString()));
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> policies = new ArrayList<>();
        for (JsonElement e : JsonReport.of(r.out()).getAsJsonArray("runs")) {
            JsonObject run = e.getAsJsonObject();
            String policy = run.get("policy").getAsString();
            policies.add(policy);
            assertEquals(0, run.get("lost").getAsLong(), run.toString());
            assertEquals(0, run.get("duplicated").getAsLong(), run.toString());
            assertEquals(0, run.get("unrecorded").getAsLong(), run.toString());
            assertTrue(run.get("imagesMatch").getAsBoolean(), run.toString());
            long p2p = run.get("p2pAccesses").getAsLong();
            assertTrue(p2p > 0, run.toString());
            String outcome = run.get("outcome").getAsString();
            long aborts = run.get("aborts").getAsLong();
            switch (policy) {
                case "fail-always" -> {
                    assertEquals("completed", outcome, run.toString());
                    assertEquals(p2p, run.get("failed").getAsLong(), "every P2P write master-aborts: " + run);
                    assertEquals(0, run.get("taken").getAsLong(), run.toString());
                }
                case "abort-migration" -> {
                    // thirty initiators meet a stopped device within the settle window; if none did, no abort
                    assertEquals(aborts > 0 ? "aborted" : "completed", outcome, run.toString());
                    assertEquals(0, run.get("failed").getAsLong(), run.toString());
                }
                case "queue-and-replay" -> {
                    assertEquals("completed", outcome, run.toString());
                    assertEquals(0, aborts, run.toString());
                    assertEquals(0, run.get("failed").getAsLong(), run.toString());
                    assertEquals(run.get("queued").getAsLong(), run.get("replayed").getAsLong(), run.toString());
                    assertEquals(p2p, run.get("taken").getAsLong(), "every write lands: " + run);
                }
                case "require-p2p" -> {
                    assertEquals("completed", outcome, "every function has P2P: " + run);
                    assertEquals(0, aborts, run.toString());
                }
                default -> throw new AssertionError("unexpected policy " + policy);
            }
        }
        assertEquals(SimulateCommand.BUILTINS, policies);
        assertTrue(r.out().isEmpty() || r.out().startsWith("{"), "JSON only on standard output");
    }

    /** The text report says it ran on the dump's map, with its RAM as the map has it. */
    @Test
    void simulateTextSaysItRanOnTheDumpsMap() {
        CliRun r = CliRun.of(args("simulate", "--policy", "fail-always", "--settle-ms", "20", "--mtree",
                memflow.toString()));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().replace('\n', ' ').startsWith("From an info mtree dump, with its memory map: RAM 16.0 GiB "
                + "in 20 ranges (pc.ram 16.0 GiB, synic-0-msg-page 4 KiB, synic-1-msg-page 4 KiB, 14 more) and 8 BARs "
                + "at the dump's guest addresses and sizes, sparse"), r.out());
    }

    /**
     * The simulated VM's RAM and BARs are the dump's (lines 139 and 208 of the fixture: pc.ram below and above
     * 4 GiB; line 209: BAR 1 of 0c:00.0), a write at a guest address lands at the region offset the dump maps it
     * to, and the 16 GiB guest costs only the chunks written.
     */
    @Test
    void theSimulatedVmHasTheDumpsRamAndBarsAtTheirAddresses() throws Exception {
        MtreeInput input = new MtreeInput();
        input.mtree = memflow;
        input.devices = List.of(Arrays.copyOfRange(DEVICES, 0, DEVICES.length)).stream()
                .filter(a -> !a.equals("--device")).toList();
        Topology topology = input.topology(null);
        GuestMap map = input.guestMap(topology);
        assertTrue(map.ram().contains(new GuestMap.RamPiece("pc.ram", 0x113000L, 0x113000L, 0x7fffffffL - 0x113000L + 1)),
                map.ram().toString());
        assertTrue(map.ram().contains(new GuestMap.RamPiece("pc.ram", 0x100000000L, 0x80000000L,
                0x47fffffffL - 0x100000000L + 1)), map.ram().toString());
        assertEquals(16L << 30, map.ramRegions().get("pc.ram"), "pc.ram's size: the end of its furthest piece");
        PciAddress gpu = PciAddress.parse("0000:0c:00.0");
        assertEquals(0x800000000L, map.bars().get(new PassthroughBar(gpu, 1)));
        assertFalse(map.bars().containsKey(new PassthroughBar(gpu, 5)), "BAR 5 is port I/O: no DMA target");

        SimulatedVm vm = new SimulatedVm(topology, map, SoftwareDevice.Side.SOURCE,
                Policies.create("fail-always", Map.of(), MtreeInputTest.class.getClassLoader()),
                MigrationControl.NONE, PolicyEngine.Settings.DEFAULT, 1);
        assertEquals(16L << 30, vm.ram().get("pc.ram").size());
        assertEquals(0x800000000L, vm.barAddresses(gpu).get(1));
        assertEquals(256L << 20, vm.devices().get(gpu).device().bars().stream().filter(b -> b.index() == 1)
                .findFirst().orElseThrow().size());
        DmaPort port = vm.mediator().port(Initiator.softwareDevice("test"));
        assertEquals(MemTxResult.OK, port.write(0x100000000L + 0x1238, 8, 0x5eed));
        assertEquals(0x5eed, vm.ram().get("pc.ram").read(0x80000000L + 0x1238, 8), "above 4 GiB, as the dump maps it");
        assertEquals(MemTxResult.OK, port.write(0x7fff0000L, 8, 0xbeef));
        assertEquals(0xbeef, vm.ram().get("pc.ram").read(0x7fff0000L, 8));
        long allocated = vm.ram().values().stream().mapToLong(SparseRam::allocatedBytes).sum();
        assertEquals(2 * 64 << 10, allocated, "two 64 KiB chunks for two writes, of 16 GiB");
        vm.stopSoftware();
    }

    /**
     * Two real processes migrate the memflow guest, each building it from the dump: the destination ends with
     * the source's part of memory (by digest of the sparse image) and took every P2P write accepted on either side
     * exactly once.
     */
    @Test
    void twoMigrateProcessesMigrateTheRealGuest() throws Exception {
        destination = MigrateProcess.start(dir, "destination", args("--listen", "0", "--json", "--mtree",
                memflow.toString()));
        int port = destination.awaitPort(Duration.ofSeconds(60));
        source = MigrateProcess.start(dir, "source", args("--to", "127.0.0.1:" + port, "--json", "--mtree",
                memflow.toString()));
        assertTrue(source.awaitExit(Duration.ofSeconds(120)), "source did not finish"
                + MigrateProcess.diagnostics(source, destination));
        assertTrue(destination.awaitExit(Duration.ofSeconds(120)), "destination did not finish"
                + MigrateProcess.diagnostics(source, destination));
        String diagnostics = MigrateProcess.diagnostics(source, destination);
        assertEquals(0, source.process.exitValue(), diagnostics);
        assertEquals(0, destination.process.exitValue(), diagnostics);
        for (MigrateProcess side : List.of(source, destination)) {
            assertEquals("queue-and-replay", side.field("policy"), diagnostics);
            assertEquals("completed", side.field("outcome"), diagnostics);
            assertEquals(0, side.number("failed"), diagnostics);
        }
        assertTrue(source.number("p2pAccesses") > 0, diagnostics);
        assertEquals(source.number("carried"), destination.number("carried"), diagnostics);
        MigrateProcess.assertIntegrityKept(source, destination);
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
