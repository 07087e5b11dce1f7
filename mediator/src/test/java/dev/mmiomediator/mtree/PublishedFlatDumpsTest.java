package dev.mmiomediator.mtree;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flat dumps ({@code info mtree -f}) as people publish them, each case cut from a real public dump (the whole dumps
 * are in the fixtures' {@code versions/}, see {@code CAPTURES.md}).
 */
class PublishedFlatDumpsTest {

    static FlatDump parse(String text) {
        return FlatDump.parse(text, "paste");
    }

    @Test
    void rangeLinesAMailClientWrappedAreJoinedAgain() {
        // Alexey Kardashevskiy's qemu-devel mail of 2019-02-11: Thunderbird wrapped every line with an offset or a
        // long name before its ' @OFFSET kvm' or 'mmaps[0] kvm'
        String paste = "FlatView #0\n"
                + " AS \"memory\", root: system\n"
                + " AS \"vfio-pci\", root: bus master container\n"
                + " Root memory region: system\n"
                + "  0000000000000000-00000000000bffff (prio 0, ram): pc.ram kvm\n"
                + "  00000000000c0000-00000000000c0fff (prio 0, rom): pc.ram\n"
                + "@00000000000c0000 kvm\n"
                + "  00000000febc0000-00000000febc0fff (prio 0, ramd): 0000:00:1a.0 BAR 0\n"
                + "mmaps[0] kvm\n"
                + "  00000000febc1000-00000000febc102f (prio 0, i/o): msix-table\n";
        FlatDump d = parse(paste);
        List<FlatDump.Range> r = d.views().get(0).ranges();
        assertEquals(4, r.size());
        assertEquals(0xc0000L, r.get(1).offset());
        assertEquals("kvm", r.get(1).suffix());
        assertEquals("0000:00:1a.0 BAR 0 mmaps[0]", r.get(2).name());
        assertTrue(r.get(2).acceleratorMapped());
        assertEquals(10, r.get(3).line(), "line numbers stay those of the paste");
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("2 range lines wrapped")), d.notes().toString());
        PassthroughAudit audit = PassthroughAudit.of(d, VcpuSpaces.defaults());
        assertEquals(1, audit.placements().stream().map(PassthroughAudit.Placement::bar).distinct().count(),
                audit.placements().toString());
    }

    @Test
    void aFlatViewPastedFromItsRootLineWithoutItsLeadingSpaceIsReadAsHeaderless() {
        // a 2026 blog post ("Dumping QEMU Guest Memory & Analysis with volatility") pastes the system view of a
        // q35 guest with a passthrough NVIDIA GPU so: the Root line flush left, its ranges as QEMU prints them
        String paste = "Root memory region: system\n"
                + "  0000000000000000-000000000002ffff (prio 0, ram): pc.ram KVM\n"
                + "  0000000080000000-0000000080087fff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] KVM\n"
                + "  0000000080088000-0000000080088fff (prio 1, i/o): vfio-nvidia-bar0-88000-mirror-quirk\n"
                + "  0000000080089000-0000000080b8ffff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] @0000000000089000 KVM\n";
        assertTrue(FlatDump.looksFlat(paste));
        FlatDump d = parse(paste);
        assertTrue(d.headerless());
        assertEquals("system", d.views().get(0).root());
        assertEquals(4, d.views().get(0).ranges().size());
        assertEquals(" " + paste + "\n", d.printed(), "printed as QEMU prints the view");
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("without its leading space")), d.notes().toString());
        PassthroughAudit audit = PassthroughAudit.of(d, VcpuSpaces.defaults());
        assertEquals(List.of("0000:01:00.0 BAR 0"), audit.placements().stream().map(p -> p.bar().device() + " BAR " + p.bar().bar()).distinct()
                .toList());
    }

    @Test
    void ownersPrintedByDashOAreNotTakenForPartOfTheNameOrTheOffset() {
        // the first range is from a libvirt guest's 'info mtree -f -o' in a public security write-up (QEMU 4.x); the
        // BAR line is written in the same format (QEMU's mtree_print_mr_owner: ' owner:{dev id=ID}' before the tag)
        String paste = "FlatView #0\n"
                + " AS \"memory\", root: system\n"
                + " AS \"vfio-pci\", root: bus master container\n"
                + " Root memory region: system\n"
                + "  00000000000c0000-00000000000c0fff (prio 0, rom): pc.ram @00000000000c0000 owner:{obj path=/objects/pc.ram} KVM\n"
                + "  00000000fd000000-00000000fd0fffff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] owner:{dev id=hostdev0} KVM\n"
                + "  00000000fed00000-00000000fed003ff (prio 0, i/o): hpet owner:{dev path=/machine/unattached/device[14]}\n"
                + "  00000000fee00000-00000000feefffff (prio 4096, i/o): kvm-apic-msi orphan\n"
                + "\n";
        FlatDump d = parse(paste);
        List<FlatDump.Range> r = d.views().get(0).ranges();
        assertEquals("pc.ram", r.get(0).name());
        assertEquals(0xc0000L, r.get(0).offset());
        assertEquals("owner:{obj path=/objects/pc.ram}", r.get(0).owner());
        assertEquals("KVM", r.get(0).suffix());
        assertEquals("0000:01:00.0 BAR 0 mmaps[0]", r.get(1).name());
        assertEquals("hpet", r.get(2).name());
        assertEquals("", r.get(2).suffix());
        assertEquals("kvm-apic-msi", r.get(3).name());
        assertEquals(paste, d.printed(), "printed back with its owners");
        PassthroughAudit audit = PassthroughAudit.of(d, VcpuSpaces.defaults());
        assertEquals(List.of("0000:01:00.0 BAR 0"), audit.placements().stream()
                .map(p -> p.bar().device() + " BAR " + p.bar().bar()).distinct().toList());
    }

    @Test
    void aSpaceStuffedFlatDumpIsReadAsQemuPrintedIt() {
        // Philippe Mathieu-Daude's qemu-devel mail of 2020-02-13 (format=flowed, omap sx1): every line that starts
        // with a space has one more
        String paste = "FlatView #0\n"
                + "  AS \"memory\", root: system\n"
                + "  AS \"cpu-memory-0\", root: system\n"
                + "  Root memory region: system\n"
                + "   0000000000000000-0000000001ffffff (prio 0, romd): omap_sx1.flash0-1\n"
                + "   0000000002000000-0000000003ffffff (prio 0, i/o): sx1.cs0\n";
        FlatDump d = parse(paste);
        assertEquals(List.of("memory", "cpu-memory-0"), d.views().get(0).addressSpaces().stream()
                .map(FlatDump.AsLine::name).toList());
        assertEquals(2, d.views().get(0).ranges().size());
        assertEquals(paste.replaceAll("(?m)^ ", "") + "\n", d.printed());
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("space-stuffing")), d.notes().toString());
    }

    @Test
    void aDispatchTreePrintedByDashDIsSkippedWithANote() {
        // the shape of QEMU's mtree_print_dispatch as the 2020-02-13 omap sx1 mail shows it ('info mtree -f -d'),
        // unstuffed, two views
        String paste = "FlatView #0\n"
                + " AS \"memory\", root: system\n"
                + " Root memory region: system\n"
                + "  0000000000000000-0000000001ffffff (prio 0, romd): omap_sx1.flash0-1\n"
                + "  0000000002000000-0000000003ffffff (prio 0, i/o): sx1.cs0\n"
                + "  Dispatch\n"
                + "    Physical sections\n"
                + "      #0 @0000000000000000..ffffffffffffffff (noname) [unassigned]\n"
                + "      #1 @0000000000000000..0000000001ffffff omap_sx1.flash0-1 [not dirty]\n"
                + "    Nodes (9 bits per level, 6 levels) ptr=[3] skip=4\n"
                + "      [0]\n"
                + "          0       skip=3  ptr=[3]\n"
                + "          1..511  skip=1  ptr=NIL\n"
                + "\n"
                + "FlatView #1\n"
                + " AS \"I/O\", root: io\n"
                + " Root memory region: io\n"
                + "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
                + "  Dispatch\n"
                + "    Physical sections\n"
                + "      #0 @0000000000000000..ffffffffffffffff (noname) [unassigned]\n"
                + "\n";
        FlatDump d = parse(paste);
        assertEquals(2, d.views().size());
        assertEquals(2, d.views().get(0).ranges().size());
        assertEquals(1, d.views().get(1).ranges().size());
        assertEquals(paste.replaceAll("(?m)^  Dispatch\n(^   .*\n)*", ""), d.printed());
        assertTrue(d.notes().stream().anyMatch(n -> n.contains("2 dispatch trees")), d.notes().toString());
    }

    @Test
    void aTreeDumpWithOwnersIsRefusedInOneLineNamingDashO() {
        // QEMU's mtree_print_mr_owner after a tree line; without the refusal the owner became part of the name and a
        // VFIO BAR printed so was not found by the audit
        for (String line : new String[] {
                "    00000000fd000000-00000000fdffffff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] owner:{dev id=hostdev0}",
                "    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram "
                        + "0000000000000000-0000000007ffffff owner:{obj path=/machine/unattached}",
                "    00000000fee00000-00000000feefffff (prio 4096, i/o): kvm-apic-msi orphan"}) {
            String dump = "address-space: memory\n"
                    + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n" + line + "\n\n";
            dev.mmiomediator.input.MtreeFormatException e = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.mmiomediator.input.MtreeFormatException.class,
                    () -> new MtreeImporter().importTree(new java.io.StringReader(dump), "owners"));
            assertEquals(3, e.line());
            assertTrue(e.getMessage().contains("info mtree -o"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
