package dev.mmiomediator.mtree;

import dev.mmiomediator.fixtures.QemuDumps;
import dev.mmiomediator.input.MtreeFormatException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public dump in the fixtures' {@code versions/} (listed in {@code versions/versions.list}) through the checks
 * a reviewer makes: a tree dump re-exports as QEMU printed it (byte for byte where the publication changed nothing),
 * and its re-export reads back to itself; a flat dump prints back and reads back to the same views; the audit finds
 * every VFIO BAR the text names; a tree and a flat dump of the same VM agree range for range; a format the importer
 * does not read is refused in one line naming it.
 */
class VersionFixturesTest {
    /** QEMU's VFIO BAR names, found in the raw text: the reference the audit is checked against. */
    private static final Pattern BAR = Pattern.compile("([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]) BAR ([0-5])");

    static List<String> versions() {
        List<String> out = new ArrayList<>();
        for (String line : QemuDumps.read("versions/versions.list").split("\n")) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                out.add(t);
            }
        }
        return out;
    }

    static String text(String file) {
        return QemuDumps.read("versions/" + file);
    }

    static MtreeImport importTree(String text, String source) throws IOException {
        return new MtreeImporter().importTree(new StringReader(text), source);
    }

    /** The BARs QEMU's names in {@code text} denote, as "DEVICE BAR N". */
    static Set<String> barsNamedIn(String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = BAR.matcher(text);
        while (m.find()) {
            out.add(m.group(1) + " BAR " + m.group(2));
        }
        return out;
    }

    static Set<String> barsFound(PassthroughAudit audit) {
        Set<String> out = new TreeSet<>();
        audit.placements().forEach(p -> out.add(p.bar().device() + " BAR " + p.bar().bar()));
        return out;
    }

    /** Whether the importer repaired what the publication did to the text (each repair is a note saying so). */
    static boolean repaired(List<String> notes) {
        return notes.stream().anyMatch(n -> n.contains("taken off") || n.contains("joined again")
                || n.contains("dropped") || n.contains("skipped") || n.contains("without its leading space"));
    }

    @ParameterizedTest
    @MethodSource("versions")
    void passesTheReviewersChecks(String file) throws IOException {
        String text = text(file);
        if (file.startsWith("pre-2.10-")) {
            MtreeFormatException e = assertThrows(MtreeFormatException.class, () -> importTree(text, file));
            assertTrue(e.getMessage().contains("QEMU 2.9 and earlier"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        if (FlatDump.looksFlat(text)) {
            FlatDump d = FlatDump.parse(text, file);
            String printed = d.printed();
            FlatDump again = FlatDump.parse(printed, "printed " + file);
            assertEquals(printed, again.printed(), file + ": printed flat dump reads back to itself");
            assertEquals(d.canonicalViews(), again.canonicalViews());
            if (!repaired(d.notes())) {
                // as published; QEMU's blank line after the last view added where the publication lost it
                assertEquals(text.endsWith("\n\n") ? text : text + "\n", printed, file + ": printed back as it came");
            }
            assertEquals(barsNamedIn(text), barsFound(PassthroughAudit.of(d, VcpuSpaces.defaults())),
                    file + ": the audit finds every VFIO BAR");
            return;
        }
        MtreeImport imp = importTree(text, file);
        String tree = MtreeExporter.tree(imp);
        if (!repaired(imp.notes())) {
            assertEquals(text.endsWith("\n\n") ? text : text + "\n", tree, file + ": re-exported byte for byte");
        }
        MtreeImport again = importTree(tree, "re-export of " + file);
        assertEquals(tree, MtreeExporter.tree(again), file + ": the re-export reads back to itself");
        String flat = MtreeExporter.flat(imp.addressSpaces(), imp.style());
        assertEquals(flat, MtreeExporter.flat(again.addressSpaces(), again.style()));
        FlatDump ours = FlatDump.parse(flat, "flat of " + file);
        assertEquals(barsNamedIn(text), barsFound(PassthroughAudit.of(imp, VcpuSpaces.defaults())),
                file + ": the audit finds every VFIO BAR");
        String flatFile = file.replace(".tree.txt", ".flat.txt");
        if (!flatFile.equals(file) && versions().contains(flatFile)) {
            // QEMU's own flat dump of the same VM: every address space both name renders the same ranges
            FlatDump qemu = FlatDump.parse(text(flatFile), flatFile);
            int compared = 0;
            for (FlatDump.View v : qemu.views()) {
                for (FlatDump.AsLine as : v.addressSpaces()) {
                    List<String> theirs = v.ranges().stream().map(FlatDump.Range::text).toList();
                    List<String> mine = rangesOf(ours, as.name());
                    if (mine != null) {
                        assertEquals(theirs, mine, file + " vs " + flatFile + ": address space " + as.name());
                        compared++;
                    }
                }
            }
            assertTrue(compared > 0, file + " and " + flatFile + " share no address space");
        }
    }

    static List<String> rangesOf(FlatDump d, String addressSpace) {
        for (FlatDump.View v : d.views()) {
            if (v.addressSpaces().stream().anyMatch(a -> a.name().equals(addressSpace))) {
                return v.ranges().stream().map(FlatDump.Range::text).toList();
            }
        }
        return null;
    }
}
