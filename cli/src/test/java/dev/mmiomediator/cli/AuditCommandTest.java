package dev.mmiomediator.cli;

import dev.mmiomediator.fixtures.QemuDumps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
                + "\"start\":\"0xc0000000\",\"end\":\"0xc0ffffff\"}],"
                + "\"exposures\":[{\"addressSpace\":\"virtio-net-pci\",\"device\":\"0000:01:00.0\",\"bar\":0}]}\n", r.out());
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
    void memflowJsonParsesWithNinePlacementsAndAnExposurePerAddressSpaceAndBar() throws Exception {
        CliRun r = run("mtree", "audit", "--json", fixture("memflow-vfio5.flat.txt").toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> json = Json.object(r.out());
        assertEquals(List.of("passthrough", "exposures"), new ArrayList<>(json.keySet()));
        List<?> pt = (List<?>) json.get("passthrough");
        assertEquals(9, pt.size());
        assertEquals(Map.of("device", "0000:0c:00.0", "bar", 5L, "addressSpace", "I/O", "start", "0xe000",
                "end", "0xe07f"), pt.get(3));
        List<?> ex = (List<?>) json.get("exposures");
        assertEquals(240, ex.size());
        assertEquals(Map.of("addressSpace", "mch", "device", "0000:0c:00.0", "bar", 0L), ex.get(0));
    }

    @Test
    void q35BareSaysThereIsNoPassthroughDevice() throws Exception {
        for (String f : List.of("q35-bare.tree.txt", "q35-bare.flat.txt")) {
            CliRun r = run("mtree", "audit", fixture(f).toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("No passthrough (VFIO) device"), r.out());
            CliRun j = run("mtree", "audit", "--json", fixture(f).toString());
            assertEquals("{\"passthrough\":[],\"exposures\":[]}\n", j.out());
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
            assertTrue(r.out().contains("\"addressSpace\":\"virtio-net-pci\""), r.out());
        } finally {
            System.setIn(old);
        }
    }

    @Test
    void vcpuSpaceOptionTakesAnAddressSpaceOutOfTheList() throws Exception {
        CliRun r = run("mtree", "audit", "--json", "--vcpu-space", "virtio-net-pci", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().endsWith("\"exposures\":[]}\n"), r.out());
    }

    @Test
    void withoutDefaultVcpuRulesTheSystemSpaceIsListed() throws Exception {
        CliRun r = run("mtree", "audit", "--json", "--no-default-vcpu-spaces", file("one-bar.txt", ONE_BAR).toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"exposures\":[{\"addressSpace\":\"memory\""), r.out());
    }

    @Test
    void vcpuPatternOptionMatchesWholeNames() throws Exception {
        CliRun r = run("mtree", "audit", "--json", "--vcpu-pattern", "virtio-.*", file("one-bar.txt", ONE_BAR).toString());
        assertTrue(r.out().endsWith("\"exposures\":[]}\n"), r.out());
    }

    @Test
    void addressSpaceNamesAreEscapedInJson() throws Exception {
        String name = "nic \"a\\b\"\tx";
        String dump = ONE_BAR.replace("address-space: virtio-net-pci\n", "address-space: " + name + "\n");
        CliRun r = run("mtree", "audit", "--json", file("odd.txt", dump).toString());
        assertEquals(0, r.code(), r.err());
        List<?> ex = (List<?>) Json.object(r.out()).get("exposures");
        assertEquals(name, ((Map<?, ?>) ex.get(0)).get("addressSpace"));
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

    /** A minimal JSON reader (objects, arrays, strings, integers, null, booleans), strict enough to check output. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> object(String text) {
            Json j = new Json(text);
            Object v = j.value();
            j.ws();
            if (j.i != text.length()) {
                throw new AssertionError("text after the JSON value at " + j.i);
            }
            return (Map<String, Object>) v;
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private void expect(char c) {
            ws();
            if (i >= s.length() || s.charAt(i) != c) {
                throw new AssertionError("expected '" + c + "' at " + i + " in " + s);
            }
            i++;
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                do {
                    ws();
                    String k = string();
                    expect(':');
                    if (m.put(k, value()) != null) {
                        throw new AssertionError("duplicate key " + k);
                    }
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != '}') {
                    throw new AssertionError("expected '}' at " + (i - 1));
                }
                return m;
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                do {
                    l.add(value());
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != ']') {
                    throw new AssertionError("expected ']' at " + (i - 1));
                }
                return l;
            }
            if (c == '"') {
                return string();
            }
            for (String lit : new String[] {"null", "true", "false"}) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return lit.equals("null") ? null : Boolean.valueOf(lit);
                }
            }
            int start = i;
            if (c == '-') {
                i++;
            }
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == start) {
                throw new AssertionError("unexpected '" + c + "' at " + i);
            }
            return Long.parseLong(s.substring(start, i));
        }

        private String string() {
            if (s.charAt(i) != '"') {
                throw new AssertionError("expected a string at " + i);
            }
            i++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw new AssertionError("raw control character in a string at " + (i - 1));
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u':
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default:
                        throw new AssertionError("bad escape \\" + e + " at " + (i - 1));
                }
            }
        }
    }
}
