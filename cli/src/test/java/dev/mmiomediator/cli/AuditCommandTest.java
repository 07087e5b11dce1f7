package dev.mmiomediator.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mmiomediator.fixtures.QemuDumps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditCommandTest {
    @TempDir
    Path dir;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    Path fixture(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, QemuDumps.read(name));
        return p;
    }

    Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    /**
     * One passthrough function: {@code 0000:01:00.0 BAR 0} holds its {@code mmaps[0]} ram device and a
     * {@code msix-table}; {@code virtio-net-pci} aliases system memory.
     */
    static final String ONE_BAR = "address-space: memory\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
            + "    00000000c0000000-00000000ffffffff (prio -1, i/o): alias pci-hole @pci 00000000c0000000-00000000ffffffff\n"
            + "\n"
            + "address-space: virtio-net-pci\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\n"
            + "    0000000000000000-ffffffffffffffff (prio 0, i/o): alias bus master @system 0000000000000000-ffffffffffffffff\n"
            + "\n"
            + "memory-region: pci\n"
            + "  0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
            + "    00000000c0000000-00000000c0ffffff (prio 1, i/o): 0000:01:00.0 BAR 0\n"
            + "      00000000c0000000-00000000c0feffff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0]\n"
            + "      00000000c0ff0000-00000000c0ff00ff (prio 0, i/o): msix-table\n"
            + "\n"
            + "memory-region: system\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
            + "    00000000c0000000-00000000ffffffff (prio -1, i/o): alias pci-hole @pci 00000000c0000000-00000000ffffffff\n"
            + "\n";

    @Test
    void syntheticTreeJsonIsExactlyThePassthroughBarAndItsExposure() throws Exception {
        CliRun r = run("mtree", "audit", "--json", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("{\"passthrough\":[{\"device\":\"0000:01:00.0\",\"bar\":0,\"addressSpace\":\"memory\","
                + "\"start\":\"0xc0000000\",\"end\":\"0xc0ffffff\",\"pieces\":["
                + "{\"start\":\"0xc0000000\",\"end\":\"0xc0feffff\",\"region\":\"0000:01:00.0 BAR 0 mmaps[0]\",\"acceleratorMapped\":null},"
                + "{\"start\":\"0xc0ff0000\",\"end\":\"0xc0ff00ff\",\"region\":\"msix-table\",\"acceleratorMapped\":null},"
                + "{\"start\":\"0xc0ff0100\",\"end\":\"0xc0ffffff\",\"region\":\"0000:01:00.0 BAR 0\",\"acceleratorMapped\":null}]}],"
                + "\"exposures\":[{\"addressSpace\":\"virtio-net-pci\",\"device\":\"0000:01:00.0\",\"bar\":0,"
                + "\"initiator\":\"software\"}],\"notes\":[]}\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void syntheticTreeTextListsTheBarAndWhoReachesIt() throws Exception {
        CliRun r = run("mtree", "audit", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Passthrough devices: 1 function, 1 BAR\n"
                + "  0000:01:00.0 BAR 0  memory  00000000c0000000-00000000c0ffffff  16 MiB    3 ranges\n"), r.out());
        assertTrue(r.out().contains("  1 address space reaches 1 BAR:\n    BARs: 0000:01:00.0 BAR 0\n"
                + "    from: virtio-net-pci\n"), r.out());
        assertTrue(r.out().contains("becomes a P2P section"), r.out());
    }

    @Test
    void memflowTextListsFiveFunctionsNineBarsAndThirtyInitiators() throws Exception {
        CliRun r = run("mtree", "audit", fixture("memflow-vfio5.flat.txt").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Passthrough audit of " + dir.resolve("memflow-vfio5.flat.txt")
                + ", a flat dump: BAR extents inferred from their pieces\n"), r.out());
        assertTrue(r.out().contains("Passthrough devices: 5 functions, 9 BARs\n"), r.out());
        assertTrue(r.out().contains("  0000:0c:00.0 BAR 0  memory  00000000c0000000-00000000c0ffffff  16 MiB    3 ranges\n"),
                r.out());
        assertTrue(r.out().contains("  0000:0c:00.0 BAR 5  I/O     000000000000e000-000000000000e07f  128 B     1 range\n"),
                r.out());
        assertTrue(r.out().contains("DMA initiators (non-vCPU address spaces): 30, of which 30 reach passthrough BARs "
                + "today\n  30 address spaces reach 8 BARs:\n"), r.out());
        assertTrue(r.out().contains("pcie-root-port x13"), r.out());
        assertTrue(r.out().contains("Reached by no DMA initiator (vCPUs only): 0000:0c:00.0 BAR 5\n"), r.out());
        assertTrue(r.out().contains("240 exposures"), r.out());
    }

    @Test
    void aFlatViewWithoutItsAsLinesIsNotSaidToBeReachedByNoInitiator() throws Exception {
        // the shape of a 2026 blog post's paste: the system view of a q35 guest with a passthrough GPU, no AS lines
        String paste = "Root memory region: system\n"
                + "  0000000000000000-000000000002ffff (prio 0, ram): pc.ram KVM\n"
                + "  0000000080000000-0000000080087fff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] KVM\n";
        CliRun r = run("mtree", "audit", file("headerless.txt", paste).toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("No DMA initiator reaches a passthrough BAR"), r.out());
        assertFalse(r.out().contains("vCPUs only"), r.out());
        assertTrue(r.out().contains("Not known whether a DMA initiator reaches a passthrough BAR"), r.out());
    }

    @Test
    void memflowJsonParsesWithNinePlacementsAndAnExposurePerAddressSpaceAndBar() throws Exception {
        CliRun r = run("mtree", "audit", "--json", fixture("memflow-vfio5.flat.txt").toString());
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonReport.of(r.out());
        assertEquals(List.of("passthrough", "exposures", "notes"), new ArrayList<>(json.keySet()));
        JsonArray pt = json.getAsJsonArray("passthrough");
        assertEquals(9, pt.size());
        // compared as printed, so that a bar printed as 5.0 fails
        assertEquals("{\"device\":\"0000:0c:00.0\",\"bar\":5,\"addressSpace\":\"I/O\",\"start\":\"0xe000\","
                + "\"end\":\"0xe07f\",\"pieces\":[{\"start\":\"0xe000\",\"end\":\"0xe07f\","
                + "\"region\":\"0000:0c:00.0 BAR 5\",\"acceleratorMapped\":false}]}", pt.get(3).toString());
        // QEMU: "00000000c1afe080-00000000c1afffff (prio 0, ramd): 0000:0e:00.3 BAR 0 mmaps[0] @00000000000fe080",
        // the one piece of a memory BAR that KVM does not map
        String e3 = pt.get(8).toString();
        assertTrue(e3.contains("{\"start\":\"0xc1a00000\",\"end\":\"0xc1afdfff\",\"region\":\"0000:0e:00.3 BAR 0 mmaps[0]\","
                + "\"acceleratorMapped\":true}") && e3.contains("{\"start\":\"0xc1afe080\",\"end\":\"0xc1afffff\","
                + "\"region\":\"0000:0e:00.3 BAR 0 mmaps[0]\",\"acceleratorMapped\":false}"), e3);
        JsonArray ex = json.getAsJsonArray("exposures");
        assertEquals(240, ex.size());
        assertEquals("{\"addressSpace\":\"mch\",\"device\":\"0000:0c:00.0\",\"bar\":0,\"initiator\":\"software\"}",
                ex.get(0).toString());
        long vfio = ex.asList().stream().filter(e -> e.getAsJsonObject().get("initiator").getAsString()
                .equals("passthrough")).count();
        assertEquals(5 * 8, vfio, "the five vfio-pci spaces' exposures are the passthrough functions' own");
    }

    @Test
    void q35BareSaysThereIsNoPassthroughDevice() throws Exception {
        for (String f : List.of("q35-bare.tree.txt", "q35-bare.flat.txt")) {
            CliRun r = run("mtree", "audit", fixture(f).toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("No passthrough (VFIO) device"), r.out());
            CliRun j = run("mtree", "audit", "--json", fixture(f).toString());
            assertEquals("{\"passthrough\":[],\"exposures\":[],\"notes\":[]}\n", j.out());
        }
    }

    @Test
    void ivshmemCaptureHasNoPassthroughDevice() throws Exception {
        CliRun r = run("mtree", "audit", fixture("x86-q35-misc.treeD.txt").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("No passthrough (VFIO) device"), r.out());
    }

    @Test
    void withoutFileAuditsTheBundledSample() {
        CliRun r = run("mtree", "audit");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Passthrough audit of bundled sample"), r.out());
        assertTrue(r.out().contains("No passthrough (VFIO) device"), r.out());
    }

    @Test
    void dashReadsStandardInput() {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(ONE_BAR.getBytes(StandardCharsets.UTF_8)));
        try {
            CliRun r = run("mtree", "audit", "--json", "-");
            assertEquals(0, r.code(), r.err());
            assertEquals("virtio-net-pci", exposedIn(r.out(), 0), r.out());
        } finally {
            System.setIn(old);
        }
    }

    @Test
    void vcpuSpaceOptionTakesAnAddressSpaceOutOfTheList() throws Exception {
        CliRun r = run("mtree", "audit", "--json", "--vcpu-space", "virtio-net-pci", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(0, JsonReport.of(r.out()).getAsJsonArray("exposures").size(), r.out());
    }

    @Test
    void withoutDefaultVcpuRulesTheSystemSpaceIsListed() throws Exception {
        CliRun r = run("mtree", "audit", "--json", "--no-default-vcpu-spaces", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("memory", exposedIn(r.out(), 0), r.out());
    }

    @Test
    void vcpuPatternOptionMatchesWholeNames() throws Exception {
        CliRun r = run("mtree", "audit", "--json", "--vcpu-pattern", "virtio-.*", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(0, JsonReport.of(r.out()).getAsJsonArray("exposures").size(), r.out());
    }

    @Test
    void addressSpaceNamesAreEscapedInJson() throws Exception {
        String name = "nic \"a\\b\"\tx";
        String dump = ONE_BAR.replace("address-space: virtio-net-pci\n", "address-space: " + name + "\n");
        CliRun r = run("mtree", "audit", "--json", file("odd.txt", dump).toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(name, exposedIn(r.out(), 0));
    }

    @Test
    void htmlCharactersInNamesPrintAsThemselves() throws Exception {
        String name = "nic<a>&b='c'";
        String dump = ONE_BAR.replace("address-space: virtio-net-pci\n", "address-space: " + name + "\n");
        CliRun r = run("mtree", "audit", "--json", file("html.txt", dump).toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"addressSpace\":\"" + name + "\""), r.out());
        assertEquals(name, exposedIn(r.out(), 0));
    }

    /** The address space of the {@code index}th exposure in the JSON report {@code out}. */
    private static String exposedIn(String out, int index) {
        return JsonReport.of(out).getAsJsonArray("exposures").get(index).getAsJsonObject().get("addressSpace")
                .getAsString();
    }

    @Test
    void malformedDumpExitsTwoWithOneLine() throws Exception {
        CliRun r = run("mtree", "audit", file("bad.txt", "FlatView #0\n AS \"memory\", root: system\n"
                + " Root memory region: system\n  00000000000010zz-0000000000001fff (prio 0, ram): x\n").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("mmio-mediator: "), r.err());
        assertTrue(r.err().contains("bad.txt:4"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingFileExitsTwo() {
        CliRun r = run("mtree", "audit", dir.resolve("nope.txt").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nope.txt"), r.err());
        assertEquals(1, r.err().strip().lines().count());
    }

    @Test
    void invalidVcpuPatternExitsTwoNamingIt() throws Exception {
        CliRun r = run("mtree", "audit", "--vcpu-pattern", "cpu-([", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'cpu-(['"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void unknownOptionExitsTwo() {
        assertEquals(2, run("mtree", "audit", "--bogus").code());
    }

    @Test
    void helpExitsZero() {
        CliRun r = run("mtree", "audit", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: mmio-mediator mtree audit"), r.out());
        assertTrue(r.out().contains("--json"), r.out());
    }

    @Test
    void notesOptionReportsTheTaggedDevice() throws Exception {
        CliRun r = run("mtree", "audit", "--notes", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code());
        assertTrue(r.err().contains("passthrough device 0000:01:00.0"), r.err());
        assertFalse(r.out().contains("note:"), r.out());
    }
}
