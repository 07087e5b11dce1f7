package dev.mmiomediator.input;

import dev.mmiomediator.fixtures.RandomCampaign;
import dev.mmiomediator.input.InputText;

import dev.mmiomediator.fixtures.QemuDumps;
import dev.mmiomediator.migration.plan.QemuVerdict;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.input.TopologyFormatException;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.mtree.FlatDump;
import dev.mmiomediator.mtree.MtreeExporter;
import dev.mmiomediator.input.MtreeFormatException;
import dev.mmiomediator.mtree.MtreeImport;
import dev.mmiomediator.mtree.MtreeImporter;
import dev.mmiomediator.mtree.PassthroughAudit;
import dev.mmiomediator.mtree.VcpuSpaces;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutation fuzzing of the two file formats users hand the tool: QEMU {@code info mtree} dumps (tree, {@code -D} and
 * flat; the real captures of {@code src-test-fixtures}) and topology files. Each mutant is a real file with one to
 * three mutations: byte flips, line deletions, duplications and swaps, indentation changes, numbers bumped to huge
 * values, truncation, deep nesting and long alias chains, invalid UTF-8, stray headers, long lines, other line ends.
 *
 * <p>A mutant must either be read, and then everything a command does with it must work (export, render, audit;
 * reading back the exports from their bytes; for a {@code -D} tree also: it renders as its own re-export does, unless its import noted a tie between alias
 * targets of one name and the re-import resolved one otherwise, a known gap counted and printed), or be refused with the format's own exception
 * ({@link MtreeFormatException}, {@link TopologyFormatException}) whose message starts with the source and line.
 * Any other throwable fails the test, as does a mutant that takes more than {@value #SLOW_MILLIS} ms.
 *
 * <p>System properties: {@code mmio.random.seed} (default random; mutant {@code i} uses seed {@code seed + i}, so
 * {@code -Dmmio.random.seed=S -Dmmio.fuzz.mutants=1} replays the mutant of seed S) and {@code mmio.fuzz.mutants}
 * (mutants per format, default {@value #DEFAULT_MUTANTS}).
 */
class InputMutationFuzzTest {
    static final int DEFAULT_MUTANTS = 2000;
    static final long SLOW_MILLIS = 5000;
    /** Format messages quote parts of lines abbreviated: a message this long quotes too much. */
    static final int LONGEST_MESSAGE = 1000;

    /** The importer's note when it cannot follow the memory-region block order (see resolveAliases). */
    static final String UNORDERED_BLOCKS = "memory-region blocks are not in the order their first references give";
    /** The importer's note when several regions of an alias target's name fit equally well. */
    static final String TIE = "fit equally well";
    private static final java.util.concurrent.atomic.AtomicInteger undeterminedReExports =
            new java.util.concurrent.atomic.AtomicInteger();

    private static long baseSeed;
    private static int mutants;
    private static final List<String> DUMP_NAMES = new ArrayList<>();
    private static final List<byte[]> DUMPS = new ArrayList<>();
    private static final List<byte[]> TOPOLOGIES = new ArrayList<>();

    private static final String[] HUGE = {"10000000000000000", "ffffffffffffffffff", "ffffffffffffffff", "2147483648",
            "-2147483649", "99999999999999999999", "0x10000000000000000", "0x8000000000000000", "9223372036854775808",
            "0", "-1", "4294967296", "1G", "99999999999G", "FFFFFFFF"};
    private static final byte[][] BAD_UTF8 = {{(byte) 0xff}, {(byte) 0xc3}, {(byte) 0xc0, (byte) 0x80},
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xe2, (byte) 0x82}, {(byte) 0x80}};
    private static final String[] STRAY_LINES = {"memory-region: system", "memory-region: pc.ram", "address-space: memory",
            "address-space: I/O", "", "FlatView #0", " AS \"memory\", root: system", " Root memory region: system",
            "  No rendered FlatView", "memory-region: ", "address-space: ", "vm x", "passthrough a 0000:01:00.0",
            "software", "policy", "policy p k=v k=w", "\u0000", "  0000000000000000-ffffffffffffffff (prio 0, i/o): x",
            "    0000000000000000-0000000000000fff (prio 0, i/o): alias a @system 0000000000000000-0000000000000fff"};

    @BeforeAll
    static void setUp() {
        baseSeed = RandomCampaign.seed();
        mutants = (int) RandomCampaign.size("mmio.fuzz.mutants", DEFAULT_MUTANTS);
        System.out.println("InputMutationFuzzTest: mmio.random.seed=" + baseSeed + " mmio.fuzz.mutants=" + mutants);
        for (String capture : QemuDumps.captures()) {
            for (String suffix : List.of(".tree.txt", ".treeD.txt", ".flat.txt")) {
                DUMP_NAMES.add(capture + suffix);
                DUMPS.add(QemuDumps.read(capture + suffix).getBytes(StandardCharsets.UTF_8));
            }
        }
        DUMP_NAMES.add("memflow-vfio5.flat.txt");
        DUMPS.add(QemuDumps.read("memflow-vfio5.flat.txt").getBytes(StandardCharsets.UTF_8));
        TOPOLOGIES.add(TopologyParser.defaultVmText().getBytes(StandardCharsets.UTF_8));
        TOPOLOGIES.add(("# every kind of declaration\nvm lab-1\n"
                + "passthrough nic  0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=0:0x4000,2:0x1000\n"
                + "passthrough gpu  0000:02:00.0 flags=stop_copy,p2p           bars=0:16M,1:1G\n"
                + "passthrough fpga 0000:03:00.1 flags=none                   bars=5:64K  # not migratable\n"
                + "software virtio-net\nsoftware nvme\n"
                + "policy queue-and-replay read-fallback=abort queue-limit=4096\n").getBytes(StandardCharsets.UTF_8));
        TOPOLOGIES.add("vm a\r\npassthrough x 00ff:1f:1f.7 bars=2:0x100000000,0:4096 flags=STOP_COPY\r\n"
                .getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- the tests

    @Test
    void mtreeDumpMutantsAreReadOrRefusedWithAFormatErrorNamingSourceAndLine() {
        Stats stats = run("dump", (i, rnd) -> {
            int which = rnd.nextInt(DUMPS.size());
            List<String> ops = new ArrayList<>();
            byte[] bytes = mutateDump(DUMPS.get(which), rnd, ops);
            return new Mutant("mutant " + i + " of " + DUMP_NAMES.get(which), bytes, ops);
        }, InputMutationFuzzTest::readDump);
        assertTrue(mutants < 100 || stats.refused > 0 && stats.read > 0, "mutants both read and refused: " + stats);
    }

    @Test
    void topologyMutantsAreReadOrRefusedWithAFormatErrorNamingSourceAndLine() {
        Stats stats = run("topology", (i, rnd) -> {
            int which = rnd.nextInt(TOPOLOGIES.size());
            List<String> ops = new ArrayList<>();
            byte[] bytes = mutateTopology(TOPOLOGIES.get(which), rnd, ops);
            return new Mutant("mutant-" + i + "-of-" + which + ".topology", bytes, ops);
        }, InputMutationFuzzTest::readTopology);
        assertTrue(mutants < 100 || stats.refused > 0 && stats.read > 0, "mutants both read and refused: " + stats);
    }

    // ---------------------------------------------------------------- driving

    record Mutant(String source, byte[] bytes, List<String> mutations) {
    }

    interface Maker {
        Mutant make(int index, SplittableRandom rnd);
    }

    interface Reader {
        /** Reads the mutant as a command would; returns true if read, false if refused with a format error. */
        boolean read(Mutant m);
    }

    static final class Stats {
        int read;
        int refused;
        long slowestMillis;
        String slowest = "";

        @Override
        public String toString() {
            return read + " read, " + refused + " refused, slowest " + slowestMillis + " ms (" + slowest + ")";
        }
    }

    private static Stats run(String what, Maker maker, Reader reader) {
        Stats stats = new Stats();
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < mutants && failures.size() < 5; i++) {
            long seed = baseSeed + i;
            Mutant m = maker.make(i, new SplittableRandom(seed));
            long start = System.nanoTime();
            try {
                if (reader.read(m)) {
                    stats.read++;
                } else {
                    stats.refused++;
                }
            } catch (Throwable t) {
                StringWriter trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                String text = new String(m.bytes(), StandardCharsets.UTF_8);
                failures.add("seed " + seed + ", " + m.source() + " " + m.mutations() + ": " + abbreviate(trace.toString(), 1500)
                        + "\n--- mutant (" + m.bytes().length + " bytes, as UTF-8)\n" + abbreviate(text, 1500));
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (millis > stats.slowestMillis) {
                stats.slowestMillis = millis;
                stats.slowest = "seed " + seed + ", " + m.source() + " " + m.mutations();
            }
            if (millis > SLOW_MILLIS) {
                failures.add("seed " + seed + ", " + m.source() + " " + m.mutations() + ": took " + millis + " ms, expected under " + SLOW_MILLIS);
            }
        }
        System.out.printf("InputMutationFuzzTest: %d %s mutants in %d ms: %s%s%n", mutants, what,
                (System.nanoTime() - t0) / 1_000_000, stats, what.equals("dump") ? "; -D mutants rendering unlike their "
                + "re-export where the dump does not determine an alias target: " + undeterminedReExports.get() : "");
        if (!failures.isEmpty()) {
            fail(failures.size() + " " + what + " mutant(s) failed (replay one with -Dmmio.random.seed=SEED "
                    + "-Dmmio.fuzz.mutants=1):\n\n" + String.join("\n\n", failures));
        }
        return stats;
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "... (" + s.length() + " chars)";
    }

    /** Checks that a format error names the mutant's source and a line of it (0: the whole input) first. */
    private static void checkMessage(String message, String source, int line, int lines, String wholeInput) {
        String prefix = source + (line > 0 ? ":" + line : "") + ": ";
        if (!message.startsWith(prefix)) {
            throw new AssertionError("format error does not start with '" + prefix + "': " + message);
        }
        if (line < 0 || line > lines + 1) {
            throw new AssertionError("format error names line " + line + " of " + lines + ": " + message);
        }
        if (line == 0 && !message.contains(wholeInput)) {
            throw new AssertionError("format error names no line: " + message);
        }
        if (message.length() > LONGEST_MESSAGE) {
            throw new AssertionError("format error of " + message.length() + " chars: " + abbreviate(message, 300));
        }
    }

    private static int lineCount(byte[] bytes) {
        int n = 1;
        for (byte b : bytes) {
            n += b == '\n' || b == '\r' ? 1 : 0;
        }
        return n;
    }

    // ---------------------------------------------------------------- what the commands do with a dump

    private static boolean readDump(Mutant m) {
        try {
            return readDumpText(m);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a StringReader does not fail
        }
    }

    private static boolean readDumpText(Mutant m) throws java.io.IOException {
        String text;
        try {
            text = MtreeImporter.decode(m.bytes(), m.source());
        } catch (MtreeFormatException e) {
            checkMessage(e.getMessage(), m.source(), e.line(), lineCount(m.bytes()), "\u0000never");
            return false;
        }
        boolean read = false;
        try {
            FlatDump flat = FlatDump.parse(text, m.source());
            flat.canonicalViews();
            flat.canonicalAddressSpaces();
            PassthroughAudit.of(flat, VcpuSpaces.defaults()).exposures();
            read = true;
        } catch (MtreeFormatException e) {
            checkMessage(e.getMessage(), m.source(), e.line(), lineCount(m.bytes()), "no 'FlatView #N' block");
        }
        try {
            MtreeImport imp = new MtreeImporter().importTree(new StringReader(text), m.source());
            String tree = MtreeExporter.tree(imp);
            MtreeExporter.tree(imp.addressSpaces(), !imp.showsDisabled(), imp.memoryRegionBlocks());
            String flat = MtreeExporter.flat(imp.addressSpaces());
            PassthroughAudit.of(imp, VcpuSpaces.defaults()).exposures();
            // what 'mtree flatten' and 'mtree tree' print reads back from its bytes, as from a file
            FlatDump.parse(MtreeImporter.decode(flat.getBytes(StandardCharsets.UTF_8), "flat export"), "flat export");
            new MtreeImporter().importTree(new StringReader(MtreeImporter.decode(tree.getBytes(StandardCharsets.UTF_8),
                    "tree export")), "tree export");
            if (imp.showsDisabled()) {
                // a -D dump shows every region: the model it gives renders as the model of its own re-export
                MtreeImport again = new MtreeImporter().importTree(new StringReader(tree), "re-export");
                List<String> views = FlatDump.parse(flat, "mutant").canonicalAddressSpaces();
                List<String> viewsAgain = FlatDump.parse(MtreeExporter.flat(again.addressSpaces()), "re-export")
                        .canonicalAddressSpaces();
                if (!views.equals(viewsAgain) && imp.notes().stream().anyMatch(n -> n.contains(TIE))
                        && again.notes().stream().anyMatch(n -> n.contains(UNORDERED_BLOCKS) || n.contains(TIE))) {
                    // known gap: when the dump does not determine an alias target (the import notes a tie between
                    // regions of one name, as when a whole dump is repeated), its re-export can resolve it otherwise
                    undeterminedReExports.incrementAndGet();
                    return true;
                }
                if (!views.equals(viewsAgain)) {
                    throw new AssertionError("renders differently from its own re-export\n--- flat\n" + abbreviate(flat, 4000)
                            + "\n--- flat of the re-export\n" + abbreviate(MtreeExporter.flat(again.addressSpaces()), 4000));
                }
            }
            read = true;
        } catch (MtreeFormatException e) {
            checkMessage(e.getMessage(), m.source(), e.line(), lineCount(m.bytes()), "no 'address-space:' block");
        }
        return read;
    }

    private static boolean readTopology(Mutant m) {
        try {
            Topology t = TopologyParser.parse(m.bytes(), m.source());
            QemuVerdict.of(t).message();
            t.migratable();
            return true;
        } catch (TopologyFormatException e) {
            checkMessage(e.getMessage(), m.source(), e.line(), lineCount(m.bytes()), "\u0000never");
            return false;
        }
    }

    // ---------------------------------------------------------------- mutations

    private static byte[] mutateDump(byte[] original, SplittableRandom rnd, List<String> ops) {
        byte[] b = original;
        int count = 1 + rnd.nextInt(3);
        for (int k = 0; k < count; k++) {
            int op = rnd.nextInt(100);
            if (op < 3) {
                b = deepNesting(b, rnd, ops);
            } else if (op < 5) {
                b = aliasChain(b, rnd, ops);
            } else if (op < 7) {
                ops.add("long line");
                b = longLine(b, rnd);
            } else if (op < 12) {
                ops.add("alias");
                b = alias(b, rnd);
            } else if (op < 17) {
                ops.add("toggle [disabled]");
                b = lines(b, rnd, InputMutationFuzzTest::toggleDisabled);
            } else {
                b = common(b, rnd, ops);
            }
        }
        return b;
    }

    private static byte[] mutateTopology(byte[] original, SplittableRandom rnd, List<String> ops) {
        byte[] b = original;
        int count = 1 + rnd.nextInt(3);
        for (int k = 0; k < count; k++) {
            int op = rnd.nextInt(100);
            if (op < 2) {
                ops.add("long line");
                b = longLine(b, rnd);
            } else if (op < 20) {
                ops.add("swap words");
                b = lines(b, rnd, (ls) -> swapWords(ls, rnd));
            } else {
                b = common(b, rnd, ops);
            }
        }
        return b;
    }

    /** The mutations that apply to any line-based text. */
    private static final String[] COMMON = {"flip byte", "delete line", "duplicate line", "swap lines", "indent",
        "bump number", "truncate", "invalid UTF-8", "stray line", "line ends", "bump number"};

    private static byte[] common(byte[] b, SplittableRandom rnd, List<String> ops) {
        int op = rnd.nextInt(COMMON.length);
        ops.add(COMMON[op]);
        switch (op) {
            case 0: return flipByte(b, rnd);
            case 1: return lines(b, rnd, ls -> { if (!ls.isEmpty()) { ls.remove(rnd.nextInt(ls.size())); } });
            case 2: return lines(b, rnd, ls -> { if (!ls.isEmpty()) { int i = rnd.nextInt(ls.size()); ls.add(i, ls.get(i)); } });
            case 3: return lines(b, rnd, ls -> swapLines(ls, rnd));
            case 4: return lines(b, rnd, ls -> indent(ls, rnd));
            case 5: return lines(b, rnd, ls -> bumpNumber(ls, rnd));
            case 6: return Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
            case 7: return insert(b, rnd.nextInt(b.length + 1), BAD_UTF8[rnd.nextInt(BAD_UTF8.length)]);
            case 8: return lines(b, rnd, ls -> ls.add(ls.isEmpty() ? 0 : rnd.nextInt(ls.size() + 1),
                    STRAY_LINES[rnd.nextInt(STRAY_LINES.length)]));
            case 9: return lineEnds(b, rnd);
            default: return lines(b, rnd, ls -> bumpNumber(ls, rnd));
        }
    }

    private static byte[] flipByte(byte[] b, SplittableRandom rnd) {
        if (b.length == 0) {
            return b;
        }
        byte[] c = b.clone();
        int at = rnd.nextInt(c.length);
        c[at] = rnd.nextBoolean() ? (byte) (c[at] ^ (1 << rnd.nextInt(8))) : (byte) rnd.nextInt(256);
        return c;
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + what.length);
        out.write(b, 0, at);
        out.write(what, 0, what.length);
        out.write(b, at, b.length - at);
        return out.toByteArray();
    }

    private static byte[] lineEnds(byte[] b, SplittableRandom rnd) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        switch (rnd.nextInt(3)) {
            case 0: s = s.replace("\r\n", "\n").replace("\n", "\r\n"); break;
            case 1: s = s.replace("\r\n", "\n").replace("\n", "\r"); break;
            default: s = s.replace("\r\n", "\n").replace("\n", "\n\u0000"); break;
        }
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Applies {@code change} to the lines (split at \n; bytes kept as they are, ISO-8859-1 is a byte per char). */
    private static byte[] lines(byte[] b, SplittableRandom rnd, Consumer<List<String>> change) {
        List<String> ls = new ArrayList<>(Arrays.asList(new String(b, StandardCharsets.ISO_8859_1).split("\n", -1)));
        change.accept(ls);
        return String.join("\n", ls).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void swapLines(List<String> ls, SplittableRandom rnd) {
        if (ls.size() < 2) {
            return;
        }
        int i = rnd.nextInt(ls.size() - 1);
        int j = rnd.nextInt(4) == 0 ? rnd.nextInt(ls.size()) : i + 1;
        String t = ls.get(i);
        ls.set(i, ls.get(j));
        ls.set(j, t);
    }

    private static void indent(List<String> ls, SplittableRandom rnd) {
        if (ls.isEmpty()) {
            return;
        }
        int i = rnd.nextInt(ls.size());
        String l = ls.get(i);
        switch (rnd.nextInt(4)) {
            case 0: ls.set(i, "  " + l); break;
            case 1: ls.set(i, " " + l); break;
            case 2: ls.set(i, l.startsWith("  ") ? l.substring(2) : l); break;
            default: ls.set(i, l.startsWith(" ") ? l.substring(1) : l); break;
        }
    }

    private static final Pattern NUMBER = Pattern.compile("-?[0-9a-fA-F]+");

    private static void bumpNumber(List<String> ls, SplittableRandom rnd) {
        for (int tries = 0; tries < 10 && !ls.isEmpty(); tries++) {
            int i = rnd.nextInt(ls.size());
            String l = ls.get(i);
            Matcher m = NUMBER.matcher(l);
            List<int[]> spans = new ArrayList<>();
            while (m.find()) {
                spans.add(new int[] {m.start(), m.end()});
            }
            if (spans.isEmpty()) {
                continue;
            }
            int[] s = spans.get(rnd.nextInt(spans.size()));
            String huge = HUGE[rnd.nextInt(HUGE.length)];
            ls.set(i, l.substring(0, s[0]) + huge + l.substring(s[1]));
            return;
        }
    }

    private static void toggleDisabled(List<String> ls) {
        for (int i = 0; i < ls.size(); i++) {
            String l = ls.get(i);
            int h = (l.hashCode() & 0x7fffffff) % 7;
            if (h == 0 && l.startsWith("  ")) {
                ls.set(i, l.endsWith(" [disabled]") ? l.substring(0, l.length() - 11) : l + " [disabled]");
                return;
            }
        }
    }

    private static void swapWords(List<String> ls, SplittableRandom rnd) {
        if (ls.isEmpty()) {
            return;
        }
        int i = rnd.nextInt(ls.size());
        String[] w = ls.get(i).split(" ", -1);
        String[] other = ls.get(rnd.nextInt(ls.size())).split(" ", -1);
        w[rnd.nextInt(w.length)] = other[rnd.nextInt(other.length)];
        ls.set(i, String.join(" ", w));
    }

    /** Turns a region line into an alias of some region name of the dump, or an alias line into a plain region. */
    private static byte[] alias(byte[] b, SplittableRandom rnd) {
        return lines(b, rnd, ls -> {
            List<Integer> regions = new ArrayList<>();
            for (int i = 0; i < ls.size(); i++) {
                if (ls.get(i).contains("(prio ")) {
                    regions.add(i);
                }
            }
            if (regions.size() < 2) {
                return;
            }
            int i = regions.get(rnd.nextInt(regions.size()));
            String l = ls.get(i);
            int colon = l.indexOf("): ");
            if (colon < 0) {
                return;
            }
            String target = ls.get(regions.get(rnd.nextInt(regions.size())));
            int tc = target.indexOf("): ");
            String targetName = tc < 0 ? "system" : target.substring(tc + 3).replaceFirst("^alias (.*) @.*$", "$1")
                    .replace(" [disabled]", "");
            if (l.contains("): alias ")) {
                ls.set(i, l.replaceFirst("\\): alias (.*) @.* [0-9a-f]+-[0-9a-f]+", "): $1"));
            } else {
                ls.set(i, l.substring(0, colon + 3) + "alias a" + i + " @" + targetName
                        + " 0000000000000000-0000000000000fff");
            }
        });
    }

    /** A chain of nested regions under a random region line: around the depth limit, or far past it. */
    private static byte[] deepNesting(byte[] b, SplittableRandom rnd, List<String> ops) {
        // a chain d deep takes d^2 bytes: the 4,000 and 10,000 levels that used to overflow the stack have their own tests
        int[] depths = {MtreeImporter.MAX_DEPTH - 3, MtreeImporter.MAX_DEPTH, MtreeImporter.MAX_DEPTH + 1,
            2 * MtreeImporter.MAX_DEPTH};
        int depth = depths[rnd.nextInt(depths.length)];
        ops.add("nesting " + depth + " deep");
        return lines(b, rnd, ls -> {
            int at = ls.isEmpty() ? 0 : rnd.nextInt(ls.size());
            String l = at < ls.size() ? ls.get(at) : "";
            int indent = 0;
            while (indent < l.length() && l.charAt(indent) == ' ') {
                indent++;
            }
            List<String> chain = new ArrayList<>();
            for (int d = 1; d <= depth; d++) {
                chain.add(" ".repeat(indent + 2 * d) + "0000000000001000-0000000000001fff (prio 0, i/o): deep-" + d);
            }
            ls.addAll(Math.min(at + 1, ls.size()), chain);
        });
    }

    /** An address space whose alias leads through a chain of memory-region blocks, each an alias of the next. */
    private static byte[] aliasChain(byte[] b, SplittableRandom rnd, List<String> ops) {
        int[] lengths = {MtreeImporter.MAX_DEPTH / 2, MtreeImporter.MAX_DEPTH + 5, 3000};
        int n = lengths[rnd.nextInt(lengths.length)];
        ops.add("alias chain of " + n);
        String window = " 0000000000000000-00000000000000ff";
        StringBuilder sb = new StringBuilder("address-space: chain\n  0000000000000000-00000000000000ff (prio 0, i/o): "
                + "alias chain @c0" + window + "\n\n");
        sb.append(new String(b, StandardCharsets.ISO_8859_1));
        for (int i = 0; i < n; i++) {
            sb.append("\nmemory-region: c").append(i).append("\n  0000000000000000-00000000000000ff (prio 0, i/o): ")
                    .append(i + 1 < n ? "alias c" + i + "x @c" + (i + 1) + window : "leaf").append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] longLine(byte[] b, SplittableRandom rnd) {
        int length = InputText.MAX_LINE_LENGTH - 100 + rnd.nextInt(200);
        return lines(b, rnd, ls -> {
            int at = ls.isEmpty() ? 0 : rnd.nextInt(ls.size());
            String l = at < ls.size() ? ls.get(at) : "";
            ls.add(at, l + "x".repeat(Math.max(0, length - l.length())));
        });
    }
}
