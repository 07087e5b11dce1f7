package dev.mmiomediator.mtree;

import dev.mmiomediator.fixtures.QemuDumps;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static dev.mmiomediator.mtree.PassthroughDumps.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PassthroughAuditTest {
    static final PassthroughBar BAR0 = new PassthroughBar(PciAddress.parse("0000:01:00.0"), 0);
    /** The x86 vCPU address-space names the README's audit section lists, written apart from {@link VcpuSpaces}. */
    static final Pattern ISSUE_VCPU = Pattern.compile("memory|I/O|cpu-memory-.*|cpu-smm-.*|KVM-SMRAM");

    static PassthroughAudit memflow() {
        return PassthroughAudit.of(FlatDump.parse(QemuDumps.read("memflow-vfio5.flat.txt"), "memflow-vfio5.flat.txt"),
                VcpuSpaces.defaults());
    }

    /** The non-vCPU {@code AS} lines of the memflow dump's view of {@code system}, counted from its text. */
    static List<String> memflowDeviceSpacesSharingTheSystemView() {
        List<String> out = new ArrayList<>();
        boolean inSystemView = false;
        for (String line : QemuDumps.read("memflow-vfio5.flat.txt").split("\n")) {
            if (line.startsWith("FlatView #")) {
                inSystemView = false;
            } else if (line.equals(" AS \"memory\", root: system")) {
                inSystemView = true;
            } else if (inSystemView && line.startsWith(" AS \"")) {
                String name = line.substring(5, line.indexOf('"', 5));
                if (!ISSUE_VCPU.matcher(name).matches()) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    static String placement(PassthroughAudit.Placement p) {
        return p.bar() + " " + p.addressSpace() + " " + Long.toHexString(p.start()) + "-" + Long.toHexString(p.last());
    }

    @Test
    void memflowListsEveryBarInTheVcpuSpaceThatHasIt() {
        List<String> got = new ArrayList<>();
        memflow().placements().forEach(p -> got.add(placement(p)));
        assertEquals(List.of(
                "0000:0c:00.0 BAR 0 memory c0000000-c0ffffff",
                "0000:0c:00.0 BAR 1 memory 800000000-80fffffff",
                "0000:0c:00.0 BAR 3 memory 810000000-811ffffff",
                "0000:0c:00.0 BAR 5 I/O e000-e07f",
                "0000:0c:00.1 BAR 0 memory c2200000-c2203fff",
                "0000:0c:00.2 BAR 0 memory 812100000-81213ffff",
                "0000:0c:00.2 BAR 3 memory 812140000-81214ffff",
                "0000:0c:00.3 BAR 0 memory c2000000-c2000fff",
                "0000:0e:00.3 BAR 0 memory c1a00000-c1afffff"), got);
        assertEquals(5, memflow().devices().size());
    }

    @Test
    void memflowEveryDeviceSpaceSharingTheSystemViewReachesEveryMemoryBar() {
        PassthroughAudit a = memflow();
        List<String> expected = memflowDeviceSpacesSharingTheSystemView();
        assertEquals(30, expected.size(), "counted by hand: lines 88-117 of the dump");
        List<String> names = new ArrayList<>();
        for (PassthroughAudit.DeviceSpace d : a.deviceSpaces()) {
            names.add(d.name());
            assertEquals(8, d.reachable().size(), d.name());
            assertFalse(d.reachable().contains(new PassthroughBar(PciAddress.parse("0000:0c:00.0"), 5)), d.name());
        }
        assertEquals(expected, names);
        assertEquals(30 * 8, a.exposures().size());
    }

    @Test
    void memflowIoBarIsReachedByNoDeviceSpace() {
        assertEquals(List.of(new PassthroughBar(PciAddress.parse("0000:0c:00.0"), 5)), memflow().unreachable());
    }

    @Test
    void memflowVcpuSpacesAreNotListed() {
        PassthroughAudit a = memflow();
        assertEquals(19, a.vcpuSpaces().size(), "memory, I/O, cpu-memory-0..15, KVM-SMRAM");
        assertTrue(a.deviceSpaces().stream().noneMatch(d -> ISSUE_VCPU.matcher(d.name()).matches()));
    }

    @Test
    void exposuresRepeatAddressSpacesThatShareAName() {
        long vfio = memflow().exposures().stream().filter(e -> e.addressSpace().equals("vfio-pci")
                && e.bar().equals(new PassthroughBar(PciAddress.parse("0000:0c:00.0"), 0))).count();
        assertEquals(5, vfio);
    }

    @Test
    void q35BareHasNoPassthroughDevice() throws IOException {
        for (String f : List.of("q35-bare.flat.txt", "q35-bare.tree.txt", "q35-bare.treeD.txt")) {
            PassthroughAudit a = f.contains("flat")
                    ? PassthroughAudit.of(FlatDump.parse(QemuDumps.read(f), f), VcpuSpaces.defaults())
                    : PassthroughAudit.of(new MtreeImporter().importTree(new StringReader(QemuDumps.read(f)), f),
                            VcpuSpaces.defaults());
            assertFalse(a.hasPassthrough(), f);
            assertEquals(List.of(), a.exposures(), f);
            assertFalse(a.deviceSpaces().isEmpty(), f);
        }
    }

    @Test
    void ivshmemRamBarIsNotAPassthroughDevice() throws IOException {
        PassthroughAudit tree = PassthroughAudit.of(new MtreeImporter().importTree(
                new StringReader(QemuDumps.tree("x86-q35-misc", true)), "x86-q35-misc"), VcpuSpaces.defaults());
        PassthroughAudit flat = PassthroughAudit.of(FlatDump.parse(QemuDumps.flat("x86-q35-misc"), "x86-q35-misc"),
                VcpuSpaces.defaults());
        for (PassthroughAudit a : List.of(tree, flat)) {
            assertFalse(a.hasPassthrough());
            assertTrue(a.deviceSpaces().stream().anyMatch(d -> d.name().equals("ivshmem-plain")));
        }
    }

    @Test
    void syntheticTreeListsTheBarInMemoryWithItsFullSize() throws IOException {
        PassthroughAudit a = PassthroughAudit.of(load(PassthroughDumps.ONE_BAR), VcpuSpaces.defaults());
        assertEquals(1, a.placements().size());
        PassthroughAudit.Placement p = a.placements().get(0);
        assertEquals("0000:01:00.0 BAR 0 memory c0000000-c0ffffff", placement(p));
        assertEquals(3, p.ranges(), "mmaps[0], msix-table, the trapped rest");
    }

    @Test
    void syntheticTreeExposesTheBarToTheBusMastersThatAliasSystem() throws IOException {
        PassthroughAudit a = PassthroughAudit.of(load(PassthroughDumps.ONE_BAR), VcpuSpaces.defaults());
        assertEquals(List.of(new PassthroughAudit.Exposure("virtio-net-pci", BAR0),
                new PassthroughAudit.Exposure("vfio-pci", BAR0)), a.exposures());
        PassthroughAudit.DeviceSpace e1000 = a.deviceSpaces().get(2);
        assertEquals("e1000", e1000.name());
        assertEquals(List.of(), e1000.reachable(), "its bus-master alias is disabled");
    }

    @Test
    void flatAuditOfTheRenderedSyntheticTreeAgreesWithTheTreeAudit() throws IOException {
        MtreeImport imp = load(PassthroughDumps.ONE_BAR);
        PassthroughAudit tree = PassthroughAudit.of(imp, VcpuSpaces.defaults());
        PassthroughAudit flat = PassthroughAudit.of(FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "rendered"),
                VcpuSpaces.defaults());
        assertEquals(tree.placements(), flat.placements());
        assertEquals(tree.exposures(), flat.exposures());
    }

    @Test
    void piecesOnlyBarSpansItsPieces() throws IOException {
        PassthroughAudit a = PassthroughAudit.of(load(PassthroughDumps.PIECES_ONLY), VcpuSpaces.defaults());
        assertEquals(List.of("0000:02:00.0 BAR 2 memory d0000000-d0003fff"),
                a.placements().stream().map(PassthroughAuditTest::placement).toList());
        assertEquals(List.of("nvme"), a.exposures().stream().map(PassthroughAudit.Exposure::addressSpace).toList());
    }

    @Test
    void withoutVcpuRulesTheSystemSpaceIsADmaInitiatorToo() throws IOException {
        PassthroughAudit a = PassthroughAudit.of(load(PassthroughDumps.ONE_BAR), VcpuSpaces.none());
        assertEquals(List.of("memory", "virtio-net-pci", "vfio-pci"),
                a.exposures().stream().map(PassthroughAudit.Exposure::addressSpace).toList());
        assertEquals("memory", a.placements().get(0).addressSpace(), "no vCPU space: the first space that shows it");
    }

    @Test
    void addressSpaceDeclaredVcpuIsNotListed() throws IOException {
        PassthroughAudit a = PassthroughAudit.of(load(PassthroughDumps.ONE_BAR),
                VcpuSpaces.defaults().plusName("vfio-pci"));
        assertEquals(List.of("virtio-net-pci"),
                a.exposures().stream().map(PassthroughAudit.Exposure::addressSpace).toList());
    }

    @Test
    void barThatRendersNowhereIsListedUnmapped() throws IOException {
        String dump = PassthroughDumps.ONE_BAR.replace("(prio 1, i/o): 0000:01:00.0 BAR 0\n",
                "(prio 1, i/o): 0000:01:00.0 BAR 0 [disabled]\n");
        PassthroughAudit a = PassthroughAudit.of(load(dump), VcpuSpaces.defaults());
        PassthroughAudit.Placement p = a.placements().get(0);
        assertEquals(BAR0, p.bar());
        assertFalse(p.mapped());
        assertEquals(List.of(), a.exposures());
    }
}
