package dev.mmiomediator.mtree;

import dev.mmiomediator.fixtures.QemuDumps;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every real QEMU capture: rendering its tree (with and without -D) reproduces QEMU's own {@code info mtree -f}
 * range for range, and re-exporting the tree reproduces the dump.
 */
class QemuCaptureTest {

    /**
     * Captures with several identical regions of one name as alias targets (AMD-Vi's per-function
     * {@code amdvi_root}): the dump does not say which one each bus-master alias points to, so which address
     * spaces share a FlatView is not determined (what each renders is).
     */
    static final java.util.Set<String> AMBIGUOUS_SHARING = java.util.Set.of("x86-q35-switch");

    static MtreeImport importDump(String text, String source) throws IOException {
        return new MtreeImporter().importTree(new StringReader(text), source);
    }

    static List<String> diff(List<String> ours, List<String> qemu) {
        List<String> out = new ArrayList<>();
        for (String v : ours) {
            if (!qemu.contains(v)) {
                out.add("only ours:\n" + v);
            }
        }
        for (String v : qemu) {
            if (!ours.contains(v)) {
                out.add("only QEMU's:\n" + v);
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> flattenOfEveryCaptureEqualsQemusFlatView() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String capture : QemuDumps.captures()) {
            for (boolean disabled : new boolean[] {true, false}) {
                String file = capture + (disabled ? ".treeD.txt" : ".tree.txt");
                tests.add(DynamicTest.dynamicTest(file, () -> {
                    MtreeImport imp = importDump(QemuDumps.tree(capture, disabled), file);
                    FlatDump ours = FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "ours");
                    FlatDump qemu = FlatDump.parse(QemuDumps.flat(capture), capture + ".flat.txt");
                    assertEquals(List.of(), diff(ours.canonicalAddressSpaces(), qemu.canonicalAddressSpaces()),
                            file + ": flat views differ from QEMU's (notes: " + imp.notes() + ")");
                    if (!AMBIGUOUS_SHARING.contains(capture)) {
                        // and the same address spaces share one view, as in QEMU
                        assertEquals(List.of(), diff(ours.canonicalViews(), qemu.canonicalViews()), file);
                    }
                    int ranges = qemu.views().stream().mapToInt(v -> v.ranges().size()).sum();
                    assertTrue(ranges > 0, "capture has ranges");
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> importingAndExportingEveryCaptureReproducesTheDump() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String capture : QemuDumps.captures()) {
            for (boolean disabled : new boolean[] {true, false}) {
                String file = capture + (disabled ? ".treeD.txt" : ".tree.txt");
                tests.add(DynamicTest.dynamicTest(file, () -> {
                    String dump = QemuDumps.tree(capture, disabled);
                    MtreeImport imp = importDump(dump, file);
                    assertEquals(QemuDumps.lf(dump), MtreeExporter.tree(imp));
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void everyAddressSpaceOfEveryCaptureIsCovered() throws IOException {
        int spaces = 0;
        int views = 0;
        for (String capture : QemuDumps.captures()) {
            FlatDump qemu = FlatDump.parse(QemuDumps.flat(capture), capture);
            MtreeImport imp = importDump(QemuDumps.tree(capture, true), capture);
            int qemuSpaces = qemu.views().stream().mapToInt(v -> v.addressSpaces().size()).sum();
            assertEquals(qemuSpaces, imp.addressSpaces().size(), capture + ": address spaces");
            spaces += qemuSpaces;
            views += qemu.views().size();
        }
        System.out.println("QEMU captures: " + QemuDumps.captures().size() + ", address spaces matched: " + spaces
                + ", flat views: " + views);
        assertTrue(QemuDumps.captures().size() >= 9);
    }

    @Test
    void theCatalogueIsWhatMakesTheDumpWithoutDisabledRegionsRenderRight() throws IOException {
        // without the catalogue, the empty 'bus master container' and 'smram' leaves would be taken as MMIO
        String dump = QemuDumps.tree("q35-bare", false);
        MtreeImport plain = new MtreeImporter(RegionCatalogue.empty()).importTree(new StringReader(dump), "q35-bare");
        FlatDump ours = FlatDump.parse(MtreeExporter.flat(plain.addressSpaces()), "ours");
        FlatDump qemu = FlatDump.parse(QemuDumps.flat("q35-bare"), "q35-bare.flat.txt");
        assertNotEquals(qemu.canonicalViews(), ours.canonicalViews());
    }

    @Test
    void sharedFixtureCopiesAreTheOriginals() throws IOException {
        java.nio.file.Path shared = java.nio.file.Path.of("..", "..", "shared", "fixtures", "qemu-mtree");
        if (!java.nio.file.Files.isDirectory(shared)) {
            shared = java.nio.file.Path.of("..", "shared", "fixtures", "qemu-mtree");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(shared),
                "../shared is beside the checkout in CI and on developer machines");
        for (String f : List.of("q35-bare.tree.txt", "q35-bare.treeD.txt", "q35-bare.flat.txt", "memflow-vfio5.flat.txt")) {
            assertEquals(java.nio.file.Files.readString(shared.resolve(f)), QemuDumps.read(f), f);
        }
    }

    @Test
    void memflowFlatDumpWithKvmSuffixesParses() throws IOException {
        FlatDump d = FlatDump.parse(QemuDumps.read("memflow-vfio5.flat.txt"), "memflow");
        assertFalse(d.views().isEmpty());
        long kvm = d.views().stream().flatMap(v -> v.ranges().stream()).filter(r -> r.suffix().equals("KVM")).count();
        assertTrue(kvm > 0, "KVM suffixes kept apart from names");
        assertTrue(d.views().stream().flatMap(v -> v.ranges().stream())
                .anyMatch(r -> r.name().equals("0000:0c:00.0 BAR 0 mmaps[0]") && r.type().equals("ramd")));
        // the canonical text drops the suffix but keeps everything else
        FlatDump.Range r = d.views().get(1).ranges().get(0);
        assertFalse(r.text().endsWith("KVM"));
    }
}
