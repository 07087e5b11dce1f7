package dev.mmiomediator.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inputs that used to crash the tool (NullPointerException, StackOverflowError, a bare MalformedInputException or
 * NumberFormatException): each is now bad input, exit 2, one line on stderr naming the file and line.
 */
class MalformedInputTest {
    static final String ROOT = "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n";

    @TempDir
    Path dir;

    static void assertOneLineBadInput(CliRun r, String prefix, String... parts) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("mmio-mediator: " + prefix), r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "'" + p + "' in: " + r.err());
        }
        assertFalse(r.err().contains("Exception") || r.err().contains("Error"), r.err());
    }

    @Test
    void emptyMemoryRegionHeaderBeforeAnotherHeaderIsBadInputForTreeFlattenAndAudit() throws Exception {
        Path dump = Files.writeString(dir.resolve("empty-block.txt"), "address-space: memory\n" + ROOT + "\n"
                + "memory-region: foo\nmemory-region: system\n" + ROOT);
        for (String command : List.of("tree", "flatten", "audit")) {
            assertOneLineBadInput(CliRun.of("mtree", command, dump.toString()), dump + ":5: 'memory-region: system' "
                    + "right after the header of block 'memory-region: foo' (line 4)");
        }
    }

    @Test
    void nestingThousandsOfLevelsDeepIsBadInputNamingTheFirstLinePastTheLimit() throws Exception {
        for (int depth : new int[] {4000, 10000}) {
            StringBuilder sb = new StringBuilder("address-space: memory\n").append(ROOT);
            for (int d = 1; d <= depth; d++) {
                sb.append("  ".repeat(d + 1)).append("0000000000001000-0000000000001fff (prio 0, i/o): r").append(d)
                        .append('\n');
            }
            Path dump = Files.writeString(dir.resolve("deep" + depth + ".txt"), sb);
            for (String command : List.of("tree", "flatten", "audit")) {
                assertOneLineBadInput(CliRun.of("mtree", command, dump.toString()), dump + ":1002: region nested 1001 "
                        + "levels deep", "expected at most 1000 levels");
            }
        }
    }

    @Test
    void undecodableBytesAreBadInputNamingLineAndByteOffset() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(("address-space: memory\n" + ROOT.replace("system\n", "sys")).getBytes(StandardCharsets.UTF_8));
        int offset = bytes.size();
        bytes.write(0xff);
        bytes.write("tem\n".getBytes(StandardCharsets.UTF_8));
        Path dump = Files.write(dir.resolve("latin1.txt"), bytes.toByteArray());
        for (String command : List.of("tree", "flatten", "audit")) {
            assertOneLineBadInput(CliRun.of("mtree", command, dump.toString()), dump + ":2: undecodable byte 0xff at "
                    + "byte offset " + offset);
        }
        Path catalogue = Files.write(dir.resolve("rules.txt"), new byte[] {'m', 'm', 'i', 'o', ' ', (byte) 0xe9, '\n'});
        assertOneLineBadInput(CliRun.of("mtree", "catalogue", "--catalogue", catalogue.toString()), catalogue
                + ":1: undecodable byte 0xe9 at byte offset 5");
    }

    @Test
    void flatDumpPriorityPast32BitsIsBadInputNamingTheValue() throws Exception {
        Path dump = Files.writeString(dir.resolve("flat.txt"), "FlatView #0\n AS \"memory\", root: system\n"
                + " Root memory region: system\n  0000000000000000-ffffffffffffffff (prio 2147483648, i/o): system\n");
        for (String command : List.of("flatten", "audit")) {
            assertOneLineBadInput(CliRun.of("mtree", command, dump.toString()), dump + ":4: priority 2147483648: "
                    + "expected a 32-bit signed integer");
        }
    }

    @Test
    void outOfOrderDumpWithDisabledRegionsIsBadInput() throws Exception {
        Path dump = Files.writeString(dir.resolve("order.txt"), "address-space: memory\n" + ROOT
                + "    0000000000000000-00000000000000ff (prio 0, ram): a\n"
                + "    0000000000000010-000000000000001f (prio 0, ram): b\n"
                + "    0000000000000000-00000000000000ff (prio 0, ram): c [disabled]\n");
        assertOneLineBadInput(CliRun.of("mtree", "flatten", dump.toString()), dump + ":5: 'c' at 0x0 (prio 0) is "
                + "printed after its sibling 'b' at 0x10");
    }

    @Test
    void undecodableTopologyIsBadInputForPlanAndSimulate() throws Exception {
        Path topology = Files.write(dir.resolve("vm.topology"), "vm a\nsoftware caf\u00e9\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        for (String command : List.of("plan", "simulate")) {
            assertOneLineBadInput(CliRun.of(command, topology.toString()), topology + ":2: undecodable byte 0xe9 at "
                    + "byte offset 17");
        }
    }

    @Test
    void topologyLineLongerThanTheLimitIsBadInput() throws Exception {
        Path topology = Files.writeString(dir.resolve("long.topology"), "vm a\nsoftware " + "n".repeat(70_000) + "\n");
        assertOneLineBadInput(CliRun.of("plan", topology.toString()), topology + ":2: line of more than 65536 bytes");
    }

    @Test
    void anInternalFailureIsOneLineWithExitThree() {
        StringWriter err = new StringWriter();
        int code = Main.internalFailure(new NullPointerException("Cannot read field \"children\"\nbecause n is null"),
                new PrintWriter(err));
        assertEquals(Main.EXIT_INTERNAL, code);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("mmio-mediator: internal error, please report it with the input that "
                + "caused it: java.lang.NullPointerException: Cannot read field \"children\" because n is null (at "
                + MalformedInputTest.class.getName() + ".anInternalFailureIsOneLineWithExitThree:"), err.toString());
    }
}
