package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import dev.mmiomediator.input.InputText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.mmiomediator.mtree.MtreeImporterTest.F;
import static dev.mmiomediator.mtree.MtreeImporterTest.Z;
import static dev.mmiomediator.mtree.MtreeImporterTest.bad;
import static dev.mmiomediator.mtree.MtreeImporterTest.line;
import static dev.mmiomediator.mtree.MtreeImporterTest.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed dumps that used to crash the importer or exporter: each is now a format error naming file and line. */
class MtreeInputLimitsTest {
    @TempDir
    Path dir;

    /** An address space whose root holds a chain of {@code depth} nested regions below it. */
    static String nested(int depth) {
        StringBuilder sb = new StringBuilder("address-space: memory\n").append(line(2, Z, F, 0, "i/o", "system"));
        for (int d = 1; d <= depth; d++) {
            sb.append(line(2 + 2 * d, "0000000000001000", "0000000000001fff", 0, "i/o", "r" + d));
        }
        return sb.append('\n').toString();
    }

    static void assertMessage(MtreeFormatException e, String prefix, String... parts) {
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void memoryRegionHeaderRightAfterAnEmptyMemoryRegionHeaderNamesTheBlock() {
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system") + "\n"
                + "memory-region: foo\n"
                + "memory-region: system\n" + line(2, Z, F, 0, "i/o", "system"));
        assertEquals(5, e.line());
        assertMessage(e, "test.txt:5: ", "'memory-region: system' right after the header of block "
                + "'memory-region: foo' (line 4)", "expected that block's region lines or a blank line");
    }

    @Test
    void memoryRegionHeaderRightAfterAnAddressSpaceHeaderIsRefused() {
        MtreeFormatException e = bad("address-space: memory\nmemory-region: system\n" + line(2, Z, F, 0, "i/o", "system"));
        assertMessage(e, "test.txt:2: ", "block 'address-space: memory' (line 1)");
    }

    @Test
    void emptyBlocksAsQemuPrintsThemStillImport() throws IOException {
        // a disabled root without -D: QEMU prints the header, no region line, then the blank line ending the block
        MtreeImport imp = load("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system") + "\n"
                + "address-space: off\n\n"
                + "memory-region: foo\n\n");
        assertEquals(2, imp.addressSpaces().size());
        assertEquals(1, imp.memoryRegionBlocks().size());
    }

    @Test
    void nestingAtTheDepthLimitImportsAndRoundTrips() throws IOException {
        String dump = nested(MtreeImporter.MAX_DEPTH - 1); // the root is level 1
        MtreeImport imp = load(dump);
        assertEquals(dump, MtreeExporter.tree(imp));
        assertTrue(MtreeExporter.flat(imp.addressSpaces()).contains("0000000000001000-0000000000001fff (prio 0, i/o): r"
                + (MtreeImporter.MAX_DEPTH - 1)));
    }

    @Test
    void nestingPastTheDepthLimitIsRefusedAtItsFirstLine() {
        for (int depth : new int[] {MtreeImporter.MAX_DEPTH, 4000, 10000}) {
            MtreeFormatException e = bad(nested(depth));
            // line 1 is the header, line 2 the root at level 1, line k + 2 region r(k) at level k + 1
            int first = MtreeImporter.MAX_DEPTH + 2;
            assertEquals(first, e.line(), e.getMessage());
            assertMessage(e, "test.txt:" + first + ": ", "region nested " + (MtreeImporter.MAX_DEPTH + 1)
                    + " levels deep (an indent of " + 2 * (MtreeImporter.MAX_DEPTH + 1) + " spaces): expected at most "
                    + MtreeImporter.MAX_DEPTH + " levels");
        }
    }

    @Test
    void exporterPrintsTreesDeeperThanTheImportLimitWithoutRecursion() throws IOException {
        // 4,000 levels overflowed the recursive exporter; models built in code have no depth limit. The root is
        // disabled so that nothing renders: the (recursive) renderer relies on the import's depth limit
        dev.mmiomediator.memory.MemorySystem system = new dev.mmiomediator.memory.MemorySystem();
        dev.mmiomediator.memory.MemoryRegion root = system.container("system", dev.mmiomediator.memory.Size.FULL);
        root.setEnabled(false);
        dev.mmiomediator.memory.MemoryRegion parent = root;
        for (int d = 1; d <= 4000; d++) {
            dev.mmiomediator.memory.MemoryRegion r = system.container("r" + d, dev.mmiomediator.memory.Size.of(0x1000));
            parent.addSubregion(r, parent == root ? 0x1000 : 0);
            parent = r;
        }
        String tree = MtreeExporter.tree(List.of(system.addressSpace("memory", root)), true);
        assertEquals(nested(4000).replace("): system\n", "): system [disabled]\n"), tree);
    }

    /** An address space with an alias into the first of {@code n} memory-region blocks, each an alias of the next. */
    static String aliasChain(int n) {
        String window = " 0000000000000000-00000000000000ff";
        StringBuilder sb = new StringBuilder("address-space: memory\n")
                .append(line(2, Z, "00000000000000ff", 0, "i/o", "alias head @c0" + window)).append('\n');
        for (int i = 0; i < n; i++) {
            sb.append("memory-region: c").append(i).append('\n').append(line(2, Z, "00000000000000ff", 0, "i/o",
                    i + 1 < n ? "alias c" + i + " @c" + (i + 1) + window : "c" + i)).append('\n');
        }
        return sb.toString();
    }

    @Test
    void aliasChainWithinTheDepthLimitRenders() throws IOException {
        MtreeImport imp = load(aliasChain(MtreeImporter.MAX_DEPTH - 1));
        String last = "c" + (MtreeImporter.MAX_DEPTH - 2);
        assertTrue(MtreeExporter.flat(imp.addressSpaces()).contains("(prio 0, i/o): " + last + "\n"));
    }

    @Test
    void aliasChainPastTheDepthLimitIsRefusedNamingTheAlias() {
        for (int n : new int[] {MtreeImporter.MAX_DEPTH, 10000}) {
            MtreeFormatException e = bad(aliasChain(n));
            assertTrue(e.line() > 0, e.getMessage());
            assertMessage(e, "test.txt:" + e.line() + ": alias '", "levels deep: expected at most "
                    + MtreeImporter.MAX_DEPTH + " levels in all");
        }
    }

    @Test
    void undecodableBytesNameFileLineAndByteOffset() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] head = ("address-space: memory\n" + "  " + Z + "-" + F + " (prio 0, i/o): sys").getBytes(StandardCharsets.UTF_8);
        out.write(head);
        out.write(0xff);
        out.write("tem\n".getBytes(StandardCharsets.UTF_8));
        Path file = Files.write(dir.resolve("bad-utf8.txt"), out.toByteArray());
        MtreeFormatException e = assertThrows(MtreeFormatException.class, () -> new MtreeImporter().importTree(file));
        assertEquals(2, e.line());
        assertMessage(e, file + ":2: undecodable byte 0xff at byte offset " + head.length + " (byte "
                + (head.length - "address-space: memory\n".length() + 1) + " of the line): expected UTF-8 text");
    }

    @Test
    void lineLongerThanTheLimitIsRefused() {
        String dump = "address-space: memory\n" + line(2, Z, F, 0, "i/o", "x".repeat(InputText.MAX_LINE_LENGTH));
        MtreeFormatException e = bad(dump);
        assertMessage(e, "test.txt:2: line of more than " + InputText.MAX_LINE_LENGTH + " characters");
        MtreeFormatException decoded = assertThrows(MtreeFormatException.class,
                () -> MtreeImporter.decode(dump.getBytes(StandardCharsets.UTF_8), "f.txt"));
        assertMessage(decoded, "f.txt:2: line of more than " + InputText.MAX_LINE_LENGTH + " bytes");
    }

    /** A name of exactly {@code bytes} bytes of UTF-8, mostly 3-byte characters, starting with {@code tag}. */
    static String nameOfBytes(String tag, int bytes) {
        int rest = bytes - tag.length();
        return tag + "\u20ac".repeat(rest / 3) + "x".repeat(rest % 3);
    }

    /**
     * A dump whose names are as long as {@code bytes}: an address space (named {@code A...}) with root {@code R...}
     * holding an alias {@code L...} of {@code T...}, and one ({@code B...}) whose root is an alias {@code M...} of
     * {@code T...}, so that the flat export prints {@code AS "B...", root: M..., alias T...}.
     */
    static String longNames(int bytes) {
        String t = nameOfBytes("T", bytes);
        return "address-space: " + nameOfBytes("A", bytes) + "\n"
                + line(2, Z, F, 0, "i/o", nameOfBytes("R", bytes))
                + line(4, "0000000000001000", "0000000000001fff", 0, "i/o",
                        "alias " + nameOfBytes("L", bytes) + " @" + t + " " + Z + "-0000000000000fff")
                + "\n"
                + "address-space: " + nameOfBytes("B", bytes) + "\n"
                + line(2, Z, "0000000000000fff", 0, "i/o", "alias " + nameOfBytes("M", bytes) + " @" + t + " " + Z
                        + "-0000000000000fff")
                + "\n"
                + "memory-region: " + t + "\n"
                + line(2, Z, "0000000000000fff", 0, "i/o", t)
                + "\n";
    }

    private static int longestLineBytes(String text) {
        int longest = 0;
        for (String l : text.split("\n")) {
            longest = Math.max(longest, l.getBytes(StandardCharsets.UTF_8).length);
        }
        return longest;
    }

    @Test
    void regionNameNearlyAsLongAsALineIsRefusedNamingTheLimit() {
        // the fuzz finding (seed 99736359681803657, "long line"): a name this long imported, and the flat export's
        // line for it (which adds the offset in the region) was longer than the flat reader accepts
        String name = "x".repeat(InputText.MAX_LINE_LENGTH - 100);
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000000001000", "0000000000001fff", 0, "i/o", name));
        assertEquals(3, e.line());
        assertMessage(e, "test.txt:3: region name 'xxxx", "...' of " + name.length() + " bytes: expected at most "
                + MtreeImporter.MAX_NAME_BYTES + " bytes (UTF-8)", "line limit of " + InputText.MAX_LINE_LENGTH);
        assertTrue(e.getMessage().length() < 400, e.getMessage());
    }

    @Test
    void everyKindOfNameOneByteOverTheLimitIsRefusedAtItsLine() {
        String dump = longNames(MtreeImporter.MAX_NAME_BYTES);
        String[][] cases = { // the name's tag, the line that prints it first, what the message calls it
            {"A", "1", "address space name"}, {"R", "2", "region name"}, {"L", "3", "alias name"},
            {"T", "3", "alias target name"}, {"M", "6", "alias name"}};
        for (String[] c : cases) {
            String atLimit = nameOfBytes(c[0], MtreeImporter.MAX_NAME_BYTES);
            String over = nameOfBytes(c[0], MtreeImporter.MAX_NAME_BYTES + 1);
            // fewer characters than the limit: the limit counts bytes, as the reader of an exported file does
            assertTrue(over.length() < MtreeImporter.MAX_NAME_BYTES, c[0]);
            MtreeFormatException e = bad(dump.replace(atLimit, over));
            assertEquals(Integer.parseInt(c[1]), e.line(), e.getMessage());
            assertMessage(e, "test.txt:" + c[1] + ": " + c[2] + " '" + c[0], "' of " + (MtreeImporter.MAX_NAME_BYTES + 1)
                    + " bytes: expected at most " + MtreeImporter.MAX_NAME_BYTES + " bytes");
        }
        MtreeFormatException header = bad(dump.replace("memory-region: " + nameOfBytes("T", MtreeImporter.MAX_NAME_BYTES),
                "memory-region: " + nameOfBytes("T", MtreeImporter.MAX_NAME_BYTES + 1)));
        assertMessage(header, "test.txt:8: region name 'T");
    }

    @Test
    void namesAtTheLimitImportAndBothExportsReadBackFromTheirBytes() throws IOException {
        MtreeImport imp = load(longNames(MtreeImporter.MAX_NAME_BYTES));
        String flat = MtreeExporter.flat(imp.addressSpaces());
        String tree = MtreeExporter.tree(imp);
        // the flat export's AS line holds three names of the limit's length: the longest line an export writes
        assertTrue(longestLineBytes(flat) > 3 * MtreeImporter.MAX_NAME_BYTES, "longest flat line "
                + longestLineBytes(flat));
        assertTrue(longestLineBytes(flat) <= InputText.MAX_LINE_LENGTH);
        FlatDump reread = FlatDump.parse(MtreeImporter.decode(flat.getBytes(StandardCharsets.UTF_8), "flat.txt"),
                "flat.txt");
        assertEquals(flat, reread.printed());
        MtreeImport again = load(MtreeImporter.decode(tree.getBytes(StandardCharsets.UTF_8), "tree.txt"));
        assertEquals(tree, MtreeExporter.tree(again));
    }

    @Test
    void priorityPast32BitsNamesItsValueInTreeAndFlatDumps() {
        assertMessage(bad("address-space: memory\n" + line(2, Z, F, 2147483647 , "i/o", "system")
                        .replace("2147483647", "2147483648")),
                "test.txt:2: priority 2147483648: expected a 32-bit signed integer (-2147483648 to 2147483647)");
        MtreeFormatException flat = assertThrows(MtreeFormatException.class, () -> FlatDump.parse("FlatView #0\n"
                + " AS \"memory\", root: system\n Root memory region: system\n"
                + "  " + Z + "-" + F + " (prio -2147483649, i/o): system\n", "flat.txt"));
        assertMessage(flat, "flat.txt:4: priority -2147483649: expected a 32-bit signed integer");
    }

    @Test
    void addressPast64BitsNamesItsDigits() {
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, "1" + Z, 0, "i/o", "system"));
        assertMessage(e, "test.txt:2: END 10000000000000000 has 17 hex digits: expected at most 16 (an address "
                + "below 2^64)");
        MtreeFormatException alias = bad("address-space: memory\n" + line(2, Z, "0000000000000fff", 0, "i/o",
                "alias a @b 00000000000000000-0000000000000fff"));
        assertMessage(alias, "test.txt:2: alias window start 00000000000000000 has 17 hex digits");
        MtreeFormatException flat = assertThrows(MtreeFormatException.class, () -> FlatDump.parse("FlatView #0\n"
                + " AS \"memory\", root: system\n Root memory region: system\n"
                + "  " + Z + "-" + F + "f (prio 0, i/o): system\n", "flat.txt"));
        assertMessage(flat, "flat.txt:4: END ffffffffffffffff", "17 hex digits");
    }

    /**
     * QEMU prints subregions by address, then priority; a -D dump prints them all, so it cannot print B (0x10)
     * between A and C (both 0x0). Imported as printed, C would be added last and win over B, while the re-export
     * (which prints C before B, as QEMU would) reads back with B added last: two different flat views.
     */
    @Test
    void subregionsOutOfPrintOrderInADumpWithDisabledRegionsAreRefused() {
        MtreeFormatException e = bad("address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, Z, "00000000000000ff", 0, "ram", "a")
                + line(4, "0000000000000010", "000000000000001f", 0, "ram", "b")
                + line(4, Z, "00000000000000ff", 0, "ram", "c")
                + line(4, "0000000000100000", "00000000001fffff", 0, "ram", "off [disabled]"));
        assertEquals(5, e.line());
        assertMessage(e, "test.txt:5: 'c' at 0x0 (prio 0) is printed after its sibling 'b' at 0x10 (prio 0, line 4): "
                + "expected the subregions of 'system' by ascending address, then descending priority");
    }

    @Test
    void subregionsInPrintOrderWithEqualAddressesKeepDescendingPriority() throws IOException {
        MtreeImport imp = load("address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, Z, "00000000000000ff", 2, "ram", "high")
                + line(4, Z, "00000000000000ff", 1, "ram", "low [disabled]"));
        assertEquals(List.of("high", "low"), imp.addressSpaces().get(0).root().subregions().stream()
                .map(r -> r.name()).toList());
        MtreeFormatException e = bad("address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, Z, "00000000000000ff", 1, "ram", "low [disabled]")
                + line(4, Z, "00000000000000ff", 2, "ram", "high"));
        assertMessage(e, "test.txt:4: 'high' at 0x0 (prio 2) is printed after its sibling 'low' at 0x0 (prio 1, line 3)");
    }

    @Test
    void readerInputWithLoneCarriageReturnsSplitsAsBefore() throws IOException {
        MtreeImport imp = new MtreeImporter().importTree(new StringReader("address-space: memory\r"
                + line(2, Z, F, 0, "i/o", "system").replace("\n", "\r\n")), "cr.txt");
        assertEquals("system", imp.addressSpaces().get(0).root().name());
    }
}
