package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.input.InputText;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads QEMU {@code info mtree} tree dumps (with or without {@code -D}) into a {@link MemorySystem}.
 * See the package documentation for how the facts a dump loses are recovered.
 *
 * <p>Imported MMIO and ROM-device regions get {@link MemoryRegionOps#UNASSIGNED} callbacks. Regions named like
 * QEMU's VFIO BARs ({@code 0000:01:00.0 BAR 0}, see {@link VfioRegionName}) are tagged as passthrough BARs, so
 * their subtrees are P2P space; {@link MtreeImport#passthroughBars()} lists them.
 *
 * <p><b>Note:</b> not thread-safe; use one importer per thread.
 */
public final class MtreeImporter {
    private static final Pattern REGION = Pattern.compile(
            "^( *)([0-9a-f]{1,16})-([0-9a-f]{1,16}) \\(prio (-?[0-9]+), (nv-)?(ram|rom|ramd|romd|i/o)\\): (.*)$");
    /** QEMU prints this before the indent of a region whose absolute range wraps past 2^64. */
    private static final String OVERFLOW = "[DETECTED OVERFLOW!] ";
    private static final Pattern ALIAS = Pattern.compile("^alias (.*) @(.*) ([0-9a-f]{1,16})-([0-9a-f]{1,16})$");
    private static final Pattern LOOSE_WINDOW = Pattern.compile(" ([0-9a-fA-F]+)-([0-9a-fA-F]+)$");
    private static final String DISABLED = " [disabled]";
    private static final String AS_PREFIX = "address-space: ";
    private static final String MR_PREFIX = "memory-region: ";
    /**
     * The deepest region tree imported: a region line may be indented at most this many levels, and rendering from
     * an address space, which follows each alias into its target's tree, may go at most this many regions deep.
     * Real dumps are a few dozen levels deep; the limit keeps the recursive renderer and the importer's own walks
     * far from the end of a thread's stack.
     */
    public static final int MAX_DEPTH = 1000;
    /** Like {@link #REGION}, with any number of hex digits: only to say what is wrong with a line REGION refuses. */
    private static final Pattern LOOSE_REGION = Pattern.compile(
            "^ *([0-9a-fA-F]+)-([0-9a-fA-F]+) \\(prio ([-+]?[0-9]+), .*$");

    private final RegionCatalogue catalogue;

    /** An importer using the {@link RegionCatalogue#builtIn() built-in catalogue}. */
    public MtreeImporter() {
        this(RegionCatalogue.builtIn());
    }

    /** An importer using {@code catalogue} for the facts the dump does not print. */
    public MtreeImporter(RegionCatalogue catalogue) {
        this.catalogue = Objects.requireNonNull(catalogue, "catalogue");
    }

    /** The catalogue this importer consults. */
    public RegionCatalogue catalogue() {
        return catalogue;
    }

    /** A parsed region line. */
    private static final class Node {
        final int line;
        final int level;
        long start;
        long end;
        int prio;
        boolean nv;
        String type;
        String name;
        boolean alias;
        String targetName;
        long aliasStart;
        long aliasEnd;
        boolean disabled;
        boolean placeholder;
        boolean overflow;
        Node parent;
        final List<Node> children = new ArrayList<>();
        Block block;
        Node canonical = this;   // for nodes of memory-region blocks that repeat a region printed elsewhere
        Node target;
        RegionKind kind;
        Size size;
        MemoryRegion region;

        Node(int line, int level) {
            this.line = line;
            this.level = level;
        }

        /** The region's own address inside its container, as QEMU stores it. */
        long ownAddress() {
            return parent == null ? start : start - parent.start;
        }

        /** The region's own address inside {@code container}, before it is attached there. */
        long ownAddress(Node container) {
            return start - container.start;
        }
    }

    private static final class Block {
        final int line;
        final List<String> asNames = new ArrayList<>();
        String mrName;
        Node root;

        Block(int line) {
            this.line = line;
        }
    }

    /**
     * Imports a tree dump read from a file, decoded as by {@link #decode}.
     *
     * @throws MtreeFormatException as {@link #importTree(Reader, String)} does, and for bytes that are not UTF-8
     */
    public MtreeImport importTree(java.nio.file.Path file) throws IOException {
        String source = file.toString();
        return importTree(new java.io.StringReader(decode(java.nio.file.Files.readAllBytes(file), source)), source);
    }

    /**
     * A dump's bytes as text: strict UTF-8 (QEMU prints region names as it got them, which are UTF-8 or ASCII).
     *
     * @param source the name used in error messages
     * @throws MtreeFormatException naming the line and byte offset of the first bytes that are not UTF-8, or the
     *         first line longer than {@link InputText#MAX_LINE_LENGTH} bytes
     */
    public static String decode(byte[] dump, String source) {
        return InputText.decodeUtf8(dump, (line, detail) -> new MtreeFormatException(source, line, detail));
    }

    /**
     * Imports a tree dump.
     *
     * @param source the name used in error messages
     * @throws MtreeFormatException naming the source, line and what was expected, for any line that is not
     *         valid {@code info mtree} tree output or a dump whose structure cannot be rebuilt
     */
    public MtreeImport importTree(Reader text, String source) throws IOException {
        List<String> lines = readLines(text, source);
        boolean showsDisabled = lines.stream().anyMatch(l -> l.endsWith(DISABLED));
        List<String> notes = new ArrayList<>();
        List<Block> blocks = parseBlocks(lines, source, showsDisabled, notes);
        if (blocks.isEmpty()) {
            throw new MtreeFormatException(source, 0, "no 'address-space:' block found: expected the output of "
                    + "QEMU's 'info mtree' (or 'info mtree -D')");
        }
        List<Node> all = new ArrayList<>();
        for (Block b : blocks) {
            collect(b.root, all);
        }
        for (Node n : all) {
            decideKind(n, source, notes);
        }
        dedupeMemoryRegionBlocks(blocks, source);
        resolveAliases(blocks, showsDisabled, source, notes);
        checkRenderDepth(blocks, source);
        return build(source, blocks, all, showsDisabled, notes);
    }

    /** The lines of a dump, as {@link BufferedReader#readLine()} splits them, none longer than the limit. */
    static List<String> readLines(Reader text, String source) throws IOException {
        return InputText.lines(text, (line, detail) -> new MtreeFormatException(source, line, detail));
    }

    // ---------------------------------------------------------------- parsing

    private List<Block> parseBlocks(List<String> lines, String source, boolean showsDisabled, List<String> notes) {
        List<Block> blocks = new ArrayList<>();
        Block cur = null;
        List<Node> stack = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i);
            int lineNo = i + 1;
            if (text.isBlank()) {
                if (cur != null && cur.root == null) {
                    hiddenRoot(cur, source, lineNo, showsDisabled, notes);
                }
                cur = null;
                continue;
            }
            if (text.startsWith(AS_PREFIX) || text.startsWith(MR_PREFIX)) {
                boolean sharedRoot = text.startsWith(AS_PREFIX) && cur != null && cur.mrName == null;
                if (cur != null && cur.root == null && !sharedRoot) {
                    // QEMU ends every block, even one whose root it does not print, with a blank line
                    throw new MtreeFormatException(source, lineNo, "'" + abbreviate(text) + "' right after the header of "
                            + describe(cur) + " (line " + cur.line + "): expected that block's region lines or a blank "
                            + "line first");
                }
            }
            if (text.startsWith(AS_PREFIX)) {
                if (cur == null || cur.root != null || cur.mrName != null) {
                    cur = new Block(lineNo);
                    blocks.add(cur);
                }
                String name = text.substring(AS_PREFIX.length());
                if (name.isEmpty()) {
                    throw new MtreeFormatException(source, lineNo, "expected an address space name after 'address-space: '");
                }
                cur.asNames.add(name);
                continue;
            }
            if (text.startsWith(MR_PREFIX)) {
                cur = new Block(lineNo);
                cur.mrName = text.substring(MR_PREFIX.length());
                if (cur.mrName.isEmpty()) {
                    throw new MtreeFormatException(source, lineNo, "expected a region name after 'memory-region: '");
                }
                blocks.add(cur);
                continue;
            }
            if (text.startsWith("FlatView #")) {
                throw new MtreeFormatException(source, lineNo, "this is a flat dump ('info mtree -f'); expected a tree "
                        + "dump ('info mtree' or 'info mtree -D')");
            }
            boolean overflow = text.startsWith(OVERFLOW);
            if (overflow) {
                text = text.substring(OVERFLOW.length());
            }
            if (!text.startsWith(" ")) {
                throw new MtreeFormatException(source, lineNo, "'" + abbreviate(text) + "': expected 'address-space: NAME', "
                        + "'memory-region: NAME', an indented region line or a blank line");
            }
            if (cur == null) {
                throw new MtreeFormatException(source, lineNo, "region line outside a block: expected 'address-space: NAME' "
                        + "or 'memory-region: NAME' before it");
            }
            Node n = parseRegion(text, source, lineNo);
            n.overflow = overflow;
            n.block = cur;
            if (cur.root == null) {
                stack.clear();
                if (n.level != 1) {
                    if (showsDisabled) {
                        throw new MtreeFormatException(source, lineNo, "first region of " + describe(cur)
                                + " is indented " + 2 * n.level + " spaces: expected 2");
                    }
                    Node hidden = placeholder(null, n, lineNo);
                    hidden.block = cur;
                    if (cur.mrName != null) {
                        hidden.name = cur.mrName;
                    }
                    cur.root = hidden;
                    stack.add(hidden);
                    notes.add(source + ":" + lineNo + ": the root of " + describe(cur)
                            + " is disabled and not printed; using a disabled placeholder");
                    attach(stack, n, source, showsDisabled, notes);
                } else {
                    cur.root = n;
                    stack.add(n);
                }
                if (cur.mrName != null && !cur.mrName.equals(cur.root.name) && !cur.root.placeholder) {
                    throw new MtreeFormatException(source, lineNo, "region '" + abbreviate(n.name) + "' heads block 'memory-region: "
                            + abbreviate(cur.mrName) + "': expected a region named '" + abbreviate(cur.mrName) + "'");
                }
                continue;
            }
            if (n.level == 1) {
                throw new MtreeFormatException(source, lineNo, "second root region in " + describe(cur)
                        + ": expected an indent of more than 2 spaces, or a blank line before a new block");
            }
            attach(stack, n, source, showsDisabled, notes);
        }
        if (cur != null && cur.root == null) {
            hiddenRoot(cur, source, lines.size(), showsDisabled, notes);
        }
        return blocks;
    }

    /**
     * A block with no region line: without -D that is a disabled root with nothing enabled below it (QEMU prints
     * the header and nothing else); with -D it is a truncated dump.
     */
    private void hiddenRoot(Block b, String source, int lineNo, boolean showsDisabled, List<String> notes) {
        if (showsDisabled) {
            throw new MtreeFormatException(source, lineNo, (lineNo > 0 ? "blank line or end of dump" : "end of dump")
                    + ": expected the region tree of " + describe(b));
        }
        Node hidden = placeholder(null, null, lineNo);
        hidden.block = b;
        if (b.mrName != null) {
            hidden.name = b.mrName;
            // an alias covering its whole target renders from the target (QEMU's flat-view root): size 0
            // makes any alias onto this disabled target do so, which ends in "nothing rendered" as in QEMU
            hidden.size = Size.ZERO;
        }
        b.root = hidden;
        notes.add(source + ":" + b.line + ": " + describe(b) + " shows no region: its root is disabled and not printed; "
                + "using a disabled placeholder");
    }

    private static String describe(Block b) {
        return b.mrName != null ? "block 'memory-region: " + abbreviate(b.mrName) + "'"
                : "block 'address-space: " + abbreviate(String.join(", ", b.asNames)) + "'";
    }

    /** {@code s}, cut to 60 characters: messages quote what is wrong, never a whole 64 KiB line. */
    static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private static final Pattern LONG_QUOTE = Pattern.compile("'([^']{61,})'");

    /** A message of the memory model with each long quoted name abbreviated. */
    static String abbreviateQuoted(String message) {
        return LONG_QUOTE.matcher(message).replaceAll(m -> Matcher.quoteReplacement("'" + abbreviate(m.group(1)) + "'"));
    }

    /**
     * Places {@code n} under the right parent, inventing placeholders for unprinted disabled regions. Without
     * {@code -D}, a disabled region's children print one level deeper than its visible siblings' children.
     * So a line is the child of a hidden region when its indent jumps by more than one level, when the
     * region printed above it at its parent's depth is an alias (aliases have no children), or when it would
     * print before its would-be previous sibling (QEMU prints children by address, then descending priority).
     * A hidden region is placed right after the last region printed at its depth, and must start at or below
     * its child: when that is impossible there, the hidden region hangs one level higher.
     */
    private void attach(List<Node> stack, Node n, String source, boolean showsDisabled, List<String> notes) {
        int level = n.level;
        while (stack.size() > level - 1) {
            stack.remove(stack.size() - 1);
        }
        if (stack.size() < level - 1 && showsDisabled) {
            throw new MtreeFormatException(source, n.line, "indent of " + 2 * level + " spaces after a region at "
                    + 2 * stack.size() + ": expected at most " + 2 * (stack.size() + 1));
        }
        if (showsDisabled) {
            Node p = stack.get(stack.size() - 1);
            Node prev = p.children.isEmpty() ? null : p.children.get(p.children.size() - 1);
            // with -D every region is printed, so a child out of QEMU's print order was not printed by QEMU;
            // importing it anyway would give it a precedence its own re-export does not show
            if (prev != null && printsBeforeInside(n, prev, p)) {
                throw new MtreeFormatException(source, n.line, "'" + abbreviate(n.name) + "' at " + Size.hex(n.ownAddress(p))
                        + " (prio " + n.prio + ") is printed after its sibling '" + abbreviate(prev.name) + "' at "
                        + Size.hex(prev.ownAddress(p)) + " (prio " + prev.prio + ", line " + prev.line + "): expected "
                        + "the subregions of '" + abbreviate(p.name) + "' by ascending address, then descending "
                        + "priority, as QEMU prints them");
            }
        }
        if (!showsDisabled && stack.size() == level - 1) {
            Node p = stack.get(stack.size() - 1);
            Node prev = p.children.isEmpty() ? null : p.children.get(p.children.size() - 1);
            boolean outOfOrder = prev != null && printsBefore(n, prev);
            // a child starts inside its parent, unless its absolute address wrapped past 2^64
            boolean below = !p.placeholder && !n.overflow && Long.compareUnsigned(n.start, p.start) < 0;
            if ((outOfOrder || below || p.alias) && p.parent != null) {
                stack.remove(stack.size() - 1);
                notes.add(source + ":" + n.line + ": '" + n.name + "' " + (p.alias ? "cannot be inside alias" : below ? "starts below"
                        : "breaks the print order of the children of") + " '" + p.name + "': it belongs to a disabled "
                        + "region the dump does not show (placeholder added)");
            }
        } else if (stack.size() < level - 1) {
            notes.add(source + ":" + n.line + ": '" + n.name + "' is printed deeper than its siblings' children: its "
                    + "parent is a disabled region the dump does not show (placeholder added)");
        }
        while (true) {
            while (stack.size() < level - 1) {
                Node p = stack.get(stack.size() - 1);
                Node prev = p.children.isEmpty() ? null : p.children.get(p.children.size() - 1);
                if (p.parent != null && (p.alias || (prev != null && Long.compareUnsigned(n.start, prev.start) < 0))) {
                    // no hidden region can sit under p after prev and still hold n: it hangs beside p instead
                    stack.remove(stack.size() - 1);
                    continue;
                }
                stack.add(placeholder(p, n, n.line));
            }
            Node top = stack.get(stack.size() - 1);
            if (top.placeholder && top.parent != null && Long.compareUnsigned(n.start, top.start) < 0
                    && !lowerPlaceholder(top, n.start)) {
                // a region starts at or below its children: n needs another hidden region
                stack.remove(stack.size() - 1);
                continue;
            }
            break;
        }
        Node parent = stack.get(stack.size() - 1);
        n.parent = parent;
        parent.children.add(n);
        stack.add(n);
    }

    /**
     * Moves a placeholder's (and its placeholder ancestors') start down to {@code start}, if it still prints
     * after its previous sibling there.
     */
    private static boolean lowerPlaceholder(Node p, long start) {
        if (Long.compareUnsigned(p.start, start) <= 0) {
            return true;
        }
        if (!p.placeholder || p.parent == null) {
            return false;
        }
        int i = p.parent.children.indexOf(p);
        Node prevSibling = i > 0 ? p.parent.children.get(i - 1) : null;
        if (prevSibling != null && Long.compareUnsigned(start, prevSibling.start) < 0) {
            return false;
        }
        if (!lowerPlaceholder(p.parent, start)) {
            return false;
        }
        p.start = start;
        return true;
    }

    /**
     * Whether QEMU prints {@code a} before {@code b}, both subregions of {@code p}: it orders them by their own
     * address, which differs from the order of the printed (absolute) starts when one of them wraps past 2^64.
     */
    private static boolean printsBeforeInside(Node a, Node b, Node p) {
        int c = Long.compareUnsigned(a.ownAddress(p), b.ownAddress(p));
        return c < 0 || (c == 0 && a.prio > b.prio);
    }

    /** QEMU prints children by ascending address, then descending priority. */
    private static boolean printsBefore(Node a, Node b) {
        int c = Long.compareUnsigned(a.start, b.start);
        return c < 0 || (c == 0 && a.prio > b.prio);
    }

    /**
     * A disabled container standing for a disabled region the dump does not print. It is placed so that it
     * sorts right after the previously printed sibling, which is where QEMU printed the hidden region.
     */
    private Node placeholder(Node parent, Node firstChild, int line) {
        Node h = new Node(line, parent == null ? 1 : parent.level + 1);
        Node prev = parent == null || parent.children.isEmpty() ? null : parent.children.get(parent.children.size() - 1);
        long start = prev != null ? prev.start : parent != null ? parent.start : 0;
        if (firstChild != null && Long.compareUnsigned(firstChild.start, start) < 0) {
            start = firstChild.start;
        }
        h.start = start;
        h.end = -1L;
        h.prio = prev != null ? prev.prio : Integer.MAX_VALUE;
        h.type = "i/o";
        h.name = MtreeImport.HIDDEN_NAME;
        h.disabled = true;
        h.placeholder = true;
        h.size = null; // decided in build(), once its start is final
        h.kind = RegionKind.CONTAINER;
        if (parent != null) {
            h.parent = parent;
            parent.children.add(h);
            h.block = parent.block;
        }
        return h;
    }

    private static Node parseRegion(String text, String source, int lineNo) {
        Matcher m = REGION.matcher(text);
        if (!m.matches()) {
            Matcher loose = LOOSE_REGION.matcher(text);
            if (loose.matches()) {
                hexAddress(loose.group(1), "START", source, lineNo);
                hexAddress(loose.group(2), "END", source, lineNo);
                priority(loose.group(3), source, lineNo);
            }
            throw new MtreeFormatException(source, lineNo, "'" + abbreviate(text.strip()) + "': expected a region line "
                    + "'START-END (prio P, TYPE): NAME' with 16-digit hex START and END and TYPE one of ram, rom, "
                    + "ramd, romd, i/o");
        }
        int indent = m.group(1).length();
        if (indent % 2 != 0 || indent == 0) {
            throw new MtreeFormatException(source, lineNo, "indent of " + indent + " spaces: expected a positive even number "
                    + "(two spaces per level)");
        }
        if (indent / 2 > MAX_DEPTH) {
            throw new MtreeFormatException(source, lineNo, "region nested " + indent / 2 + " levels deep (an indent of "
                    + indent + " spaces): expected at most " + MAX_DEPTH + " levels");
        }
        Node n = new Node(lineNo, indent / 2);
        n.start = Long.parseUnsignedLong(m.group(2), 16);
        n.end = Long.parseUnsignedLong(m.group(3), 16);
        n.prio = priority(m.group(4), source, lineNo);
        n.nv = m.group(5) != null;
        n.type = m.group(6);
        String rest = m.group(7);
        if (rest.endsWith(DISABLED)) {
            n.disabled = true;
            rest = rest.substring(0, rest.length() - DISABLED.length());
        }
        if (rest.startsWith("alias ")) {
            Matcher a = ALIAS.matcher(rest);
            if (!a.matches()) {
                Matcher window = LOOSE_WINDOW.matcher(rest);
                if (window.find()) {
                    hexAddress(window.group(1), "alias window start", source, lineNo);
                    hexAddress(window.group(2), "alias window end", source, lineNo);
                }
                throw new MtreeFormatException(source, lineNo, "'" + abbreviate(rest) + "': expected 'alias NAME @TARGET "
                        + "TSTART-TEND'");
            }
            n.alias = true;
            n.name = a.group(1);
            n.targetName = a.group(2);
            n.aliasStart = Long.parseUnsignedLong(a.group(3), 16);
            n.aliasEnd = Long.parseUnsignedLong(a.group(4), 16);
            if (n.aliasEnd - n.aliasStart != n.end - n.start) {
                throw new MtreeFormatException(source, lineNo, "alias '" + abbreviate(n.name) + "' window " + Size.hex(n.aliasStart) + "-"
                        + Size.hex(n.aliasEnd) + " is not as long as its range " + Size.hex(n.start) + "-"
                        + Size.hex(n.end) + ": expected equal lengths");
            }
            if (n.name.isEmpty() || n.targetName.isEmpty()) {
                throw new MtreeFormatException(source, lineNo, "alias line '" + abbreviate(rest) + "': expected non-empty "
                        + "alias and target names");
            }
        } else {
            n.name = rest;
            if (rest.isEmpty()) {
                throw new MtreeFormatException(source, lineNo, "expected a region name after the type");
            }
        }
        return n;
    }

    /** QEMU's priorities are C {@code int}s. */
    static int priority(String digits, String source, int lineNo) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new MtreeFormatException(source, lineNo, "priority " + abbreviate(digits) + ": expected a 32-bit "
                    + "signed integer (" + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE + ")");
        }
    }

    /** Checks what REGION's hex fields would refuse in {@code digits}, to say so rather than "not a region line". */
    static void hexAddress(String digits, String what, String source, int lineNo) {
        if (digits.length() > 16) {
            throw new MtreeFormatException(source, lineNo, what + " " + abbreviate(digits) + " has " + digits.length()
                    + " hex digits: expected at most 16 (an address below 2^64)");
        }
        if (!digits.equals(digits.toLowerCase(java.util.Locale.ROOT))) {
            throw new MtreeFormatException(source, lineNo, what + " " + digits + ": expected lower-case hex digits, as "
                    + "QEMU prints them");
        }
    }

    private static void collect(Node n, List<Node> out) {
        out.add(n);
        for (Node c : n.children) {
            collect(c, out);
        }
    }

    // ---------------------------------------------------------------- deciding what the text does not say

    private void decideKind(Node n, String source, List<String> notes) {
        if (n.placeholder) {
            return;
        }
        boolean pointLike = n.start == n.end;
        boolean zero = pointLike && catalogue.has(RegionCatalogue.Hint.ZERO_SIZE, n.name);
        n.size = zero ? Size.ZERO : Size.ofLast(n.end - n.start);
        if (n.alias) {
            n.kind = RegionKind.ALIAS;
            if (!n.children.isEmpty()) {
                throw new MtreeFormatException(source, n.children.get(0).line, "region '" + abbreviate(n.children.get(0).name)
                        + "' is printed inside alias '" + abbreviate(n.name) + "': an alias has no subregions");
            }
            return;
        }
        switch (n.type) {
            case "ram":
                n.kind = RegionKind.RAM;
                break;
            case "rom":
                n.kind = RegionKind.ROM;
                break;
            case "ramd":
                n.kind = RegionKind.RAM_DEVICE;
                break;
            case "romd":
                n.kind = RegionKind.ROM_DEVICE;
                break;
            default:
                RegionCatalogue.Hint hint = catalogue.kindHint(n.name);
                if (hint == RegionCatalogue.Hint.MMIO) {
                    n.kind = RegionKind.MMIO;
                } else if (hint == RegionCatalogue.Hint.CONTAINER) {
                    n.kind = RegionKind.CONTAINER;
                } else {
                    n.kind = n.children.isEmpty() && !looksLikeEmptyBus(n) ? RegionKind.MMIO : RegionKind.CONTAINER;
                    if (n.children.isEmpty() && n.kind == RegionKind.CONTAINER) {
                        notes.add(source + ":" + n.line + ": '" + n.name + "' is an i/o leaf of " + n.size
                                + ": taken as an empty container (a bus or address space), not MMIO");
                    }
                }
                break;
        }
    }

    /**
     * An {@code i/o} leaf of 4 GiB or more: no device has registers that large, while QEMU's buses and
     * address-space roots (PCI bridge buses, SMRAM, bus-master containers, {@code gpex_mmio}) are exactly such
     * regions, empty when nothing sits on them or their only child is disabled. The exception is IOMMU
     * regions ({@code amd_iommu}, {@code smmuv3-iommu-memory-region-*}, {@code virtio-iommu-memory-region-*}):
     * they span the whole DMA space and terminate, so QEMU renders them as one range.
     */
    private static boolean looksLikeEmptyBus(Node n) {
        return n.size != null && n.size.compareTo(Size.of(1L << 32)) >= 0
                && !n.name.toLowerCase(java.util.Locale.ROOT).contains("iommu");
    }

    private static boolean terminates(Node n) {
        return n.kind != null && n.kind.terminates();
    }

    /**
     * Memory-region blocks print alias targets; most are regions printed elsewhere already (a subtree of an
     * address space or of an earlier block). Such a block is the same region when it prints identically.
     */
    private void dedupeMemoryRegionBlocks(List<Block> blocks, String source) {
        Map<String, List<Node>> seen = new HashMap<>();
        Map<Node, Boolean> taken = new IdentityHashMap<>();
        for (Block b : blocks) {
            if (b.mrName == null) {
                index(b.root, seen);
            }
        }
        for (Block b : blocks) {
            if (b.mrName == null) {
                continue;
            }
            Node match = null;
            String sig = signature(b.root, b.root.start, 0);
            for (Node c : seen.getOrDefault(b.root.name, List.of())) {
                if (!taken.containsKey(c) && c.ownAddress() == b.root.start && signature(c, c.start, 0).equals(sig)) {
                    match = c;
                    break;
                }
            }
            if (match != null) {
                taken.put(match, true);
                mapCanonical(b.root, match);
            } else {
                // each memory-region block prints a distinct region: never match a later block to this root
                taken.put(b.root, true);
                index(b.root, seen);
            }
        }
    }

    private static void index(Node n, Map<String, List<Node>> seen) {
        if (!n.placeholder) {
            seen.computeIfAbsent(n.name, k -> new ArrayList<>()).add(n);
        }
        for (Node c : n.children) {
            index(c, seen);
        }
    }

    private static void mapCanonical(Node copy, Node original) {
        copy.canonical = original.canonical;
        for (int i = 0; i < copy.children.size(); i++) {
            mapCanonical(copy.children.get(i), original.children.get(i));
        }
    }

    private static String signature(Node n, long base, int depth) {
        StringBuilder sb = new StringBuilder();
        sb.append(depth).append('|').append(Long.toHexString(n.start - base)).append('|')
                .append(Long.toHexString(n.end - base)).append('|').append(n.prio).append('|').append(n.nv)
                .append('|').append(n.type).append('|').append(n.name).append('|').append(n.disabled)
                .append('|').append(n.placeholder);
        if (n.alias) {
            sb.append("|@").append(n.targetName).append('|').append(Long.toHexString(n.aliasStart));
        }
        sb.append('\n');
        for (Node c : n.children) {
            sb.append(signature(c, base, depth + 1));
        }
        return sb.toString();
    }

    /**
     * Chooses the region each alias points to. QEMU prints one {@code memory-region:} block for every alias
     * target, in the order the targets are first referenced while printing; so walking the aliases in print
     * order, each alias refers either to a block already referenced or to the next block. With {@code -D}
     * every alias is printed and the first references must consume the blocks exactly in order: a dynamic
     * programme over (alias, next block) keeps only the choices that can still consume all blocks. Without
     * {@code -D}, hidden disabled aliases may have referenced blocks in between, so any later block of the
     * right name may be next. Among the choices left, an alias prefers targets of its printed type, then
     * targets whose enabled content meets the alias window, then the next block, and never one that would
     * make the regions cyclic.
     */
    private void resolveAliases(List<Block> blocks, boolean showsDisabled, String source, List<String> notes) {
        List<Node> targets = new ArrayList<>();
        for (Block b : blocks) {
            if (b.mrName != null) {
                targets.add(b.root.canonical);
            }
        }
        List<Node> aliases = new ArrayList<>();
        for (Block b : blocks) {
            if (b.root.canonical == b.root) { // a repeated region's aliases were printed where it first appeared
                collectAliases(b.root, aliases);
            }
        }
        int a = aliases.size();
        int t = targets.size();
        boolean strict = showsDisabled;
        boolean[][] feasible = null;
        if (strict) {
            feasible = new boolean[a + 1][t + 1];
            feasible[a][t] = true;
            for (int i = a - 1; i >= 0; i--) {
                String name = aliases.get(i).targetName;
                boolean seenBefore = false;
                for (int k = 0; k <= t; k++) {
                    boolean old = seenBefore && feasible[i + 1][k];
                    boolean fresh = k < t && targets.get(k).name.equals(name) && feasible[i + 1][k + 1];
                    feasible[i][k] = old || fresh;
                    if (k < t && targets.get(k).name.equals(name)) {
                        seenBefore = true;
                    }
                }
            }
            if (!feasible[0][0]) {
                strict = false;
                notes.add(source + ": the memory-region blocks are not in the order their first references give; "
                        + "alias targets are chosen by name and content only");
            }
        }
        int next = 0;
        for (int i = 0; i < a; i++) {
            Node alias = aliases.get(i);
            int chosen = chooseTarget(alias, targets, next, strict ? feasible[i + 1] : null, strict, source, notes);
            if (chosen >= next) {
                next = chosen + 1;
            }
            Node target = targets.get(chosen);
            alias.target = target;
            if (target.placeholder && !alias.type.equals(target.type)) {
                // a hidden disabled target: the alias's printed type is the only trace of its kind
                target.type = alias.type;
                target.kind = kindOfType(alias.type, RegionKind.CONTAINER);
            }
        }
    }

    private static RegionKind kindOfType(String type, RegionKind io) {
        switch (type) {
            case "ram": return RegionKind.RAM;
            case "rom": return RegionKind.ROM;
            case "ramd": return RegionKind.RAM_DEVICE;
            case "romd": return RegionKind.ROM_DEVICE;
            default: return io;
        }
    }

    private static void collectAliases(Node n, List<Node> out) {
        if (n.alias) {
            out.add(n);
        }
        for (Node c : n.children) {
            collectAliases(c, out);
        }
    }

    /** Returns the index of the chosen target block. */
    private int chooseTarget(Node alias, List<Node> targets, int next, boolean[] feasibleAfter, boolean strict,
                             String source, List<String> notes) {
        int best = -1;
        int bestScore = Integer.MIN_VALUE;
        int ties = 0;
        for (int pass = 0; pass < 2 && best < 0; pass++) {
            // pass 1 drops the order constraints: a dump edited by hand still imports, with a note
            for (int k = 0; k < targets.size(); k++) {
                Node c = targets.get(k);
                if (!c.name.equals(alias.targetName) || isSelfOrAncestor(c, alias) || reaches(c, alias)) {
                    continue;
                }
                if (pass == 0) {
                    if (strict && !(k < next ? feasibleAfter[next] : k == next && feasibleAfter[next + 1])) {
                        continue;
                    }
                }
                BigInteger winLo = u(c.start).add(u(alias.aliasStart));
                BigInteger winHi = winLo.add(u(alias.aliasEnd - alias.aliasStart));
                int score = (c.type.equals(alias.type) ? 8 : 0)
                        + (meets(c, winLo, winHi) ? 4 : 0)
                        + (k <= next ? 2 : 0)
                        + (k == next ? 1 : 0);
                if (score > bestScore) {
                    bestScore = score;
                    best = k;
                    ties = 1;
                } else if (score == bestScore) {
                    ties++;
                }
            }
            if (best < 0 && pass == 0 && strict) {
                notes.add(source + ":" + alias.line + ": alias '" + alias.name + "' @" + alias.targetName
                        + ": no target fits the order of the memory-region blocks; chose by name and content only");
            }
        }
        if (best < 0) {
            throw new MtreeFormatException(source, alias.line, "alias '" + abbreviate(alias.name) + "' targets '" + abbreviate(alias.targetName)
                    + "', which no 'memory-region: " + abbreviate(alias.targetName) + "' block of the dump can be (QEMU prints one "
                    + "for every alias target; a target that contains the alias would be a cycle)");
        }
        if (ties > 1) {
            notes.add(source + ":" + alias.line + ": alias '" + alias.name + "' @" + alias.targetName + ": " + ties
                    + " regions of that name fit equally well; chose the one at line " + targets.get(best).line);
        }
        return best;
    }

    /** Whether {@code target}'s subtree, following aliases resolved so far, contains {@code n}. */
    private static boolean reaches(Node target, Node n) {
        java.util.ArrayDeque<Node> todo = new java.util.ArrayDeque<>();
        java.util.Set<Node> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        todo.add(target);
        while (!todo.isEmpty()) {
            Node x = todo.poll().canonical;
            if (x == n) {
                return true;
            }
            if (!seen.add(x)) {
                continue;
            }
            todo.addAll(x.children);
            if (x.target != null) {
                todo.add(x.target);
            }
        }
        return false;
    }

    private static boolean isSelfOrAncestor(Node candidate, Node n) {
        for (Node x = n; x != null; x = x.parent) {
            if (x == candidate) {
                return true;
            }
        }
        return false;
    }

    private static BigInteger u(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    /** Whether {@code n}'s enabled content meets the absolute window {@code [winLo, winHi]}. */
    private boolean meets(Node n, BigInteger winLo, BigInteger winHi) {
        if (n.disabled || n.placeholder || n.size == null || n.size.isZero()) {
            return false;
        }
        BigInteger s = u(n.start);
        BigInteger e = s.add(u(n.size.last()));
        if (e.compareTo(winLo) < 0 || s.compareTo(winHi) > 0) {
            return false;
        }
        if (n.alias || terminates(n)) {
            return true;
        }
        BigInteger lo = winLo.max(s);
        BigInteger hi = winHi.min(e);
        for (Node c : n.children) {
            if (meets(c, lo, hi)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses region trees that render more than {@link #MAX_DEPTH} regions deep, following each alias into its
     * target's tree as the renderer does (an alias's target may itself hold aliases). Indents are limited already;
     * this limits chains of aliases through {@code memory-region:} blocks. A walk with an explicit stack: the depth
     * is what is being checked.
     */
    private static void checkRenderDepth(List<Block> blocks, String source) {
        final int expanding = 0;
        Map<Node, Integer> height = new IdentityHashMap<>();
        java.util.ArrayDeque<Node> stack = new java.util.ArrayDeque<>();
        List<Node> next = new ArrayList<>();
        for (Block b : blocks) {
            stack.push(b.root.canonical);
            while (!stack.isEmpty()) {
                Node n = stack.peek();
                Integer h = height.get(n);
                if (h == null) {
                    height.put(n, expanding);
                    successors(n, next);
                    for (Node c : next) {
                        Integer hc = height.get(c);
                        if (hc == null) {
                            stack.push(c);
                        } else if (hc == expanding) {
                            throw new MtreeFormatException(source, n.line, "'" + abbreviate(n.name) + "' leads back to '"
                                    + abbreviate(c.name) + "' (line " + c.line + ") through alias targets: expected "
                                    + "no region to contain itself");
                        }
                    }
                    continue;
                }
                stack.pop();
                if (h != expanding) {
                    continue; // a region reached again through another alias
                }
                successors(n, next);
                int deepest = 0;
                for (Node c : next) {
                    deepest = Math.max(deepest, height.get(c));
                }
                if (deepest + 1 > MAX_DEPTH) {
                    throw new MtreeFormatException(source, n.line, (n.alias ? "alias '" + abbreviate(n.name) + "' @"
                            + abbreviate(n.targetName) + " leads into a region tree " + deepest + " levels deep"
                            : "'" + abbreviate(n.name) + "' holds regions " + deepest + " levels deep, counting the "
                            + "trees its aliases lead into") + ": expected at most " + MAX_DEPTH + " levels in all");
                }
                height.put(n, deepest + 1);
            }
        }
    }

    private static void successors(Node n, List<Node> out) {
        out.clear();
        if (n.alias) {
            out.add(n.target.canonical);
        } else {
            for (Node c : n.children) {
                out.add(c.canonical);
            }
        }
    }

    // ---------------------------------------------------------------- building the model

    private MtreeImport build(String source, List<Block> blocks, List<Node> all, boolean showsDisabled, List<String> notes) {
        MemorySystem system = new MemorySystem();
        List<AddressSpace> spaces = new ArrayList<>();
        List<MemoryRegion> mrBlocks = new ArrayList<>();
        List<MemoryRegion> placeholders = new ArrayList<>();
        List<MtreeImport.TaggedBar> bars;
        List<String> passthroughNotes = new ArrayList<>();
        try (MemorySystem.Transaction tx = system.begin()) {
            for (Node n : all) {
                if (n.placeholder && n.size == null) {
                    n.size = Size.ofLast(-1L - (n.start - (n.parent == null ? 0 : n.parent.start)));
                }
            }
            for (Node n : all) {
                if (n.canonical == n && !n.alias) {
                    n.region = create(system, n);
                    if (n.placeholder) {
                        placeholders.add(n.region);
                    }
                }
            }
            for (Node n : all) {
                if (n.canonical == n && n.alias) {
                    createAlias(system, n, new IdentityHashMap<>(), source);
                }
            }
            for (Node n : all) {
                if (n.canonical != n) {
                    continue;
                }
                MemoryRegion r = n.region;
                // The order children were added is not printed, only implied: QEMU prints equal (address,
                // priority) children most recent first, so each such run is added in reverse print order. Across
                // addresses nothing is printed; real boards (Aspeed, NPCM) add catch-all regions before the
                // devices inside them, so a later address is taken as added later.
                int from = 0;
                while (from < n.children.size()) {
                    int to = from + 1;
                    Node first = n.children.get(from);
                    while (to < n.children.size() && n.children.get(to).start == first.start
                            && n.children.get(to).prio == first.prio) {
                        to++;
                    }
                    for (int i = to - 1; i >= from; i--) {
                        Node c = n.children.get(i);
                        try {
                            r.addSubregion(c.region, c.start - n.start, c.prio);
                        } catch (IllegalArgumentException e) {
                            throw new MtreeFormatException(source, c.line, abbreviateQuoted(e.getMessage()));
                        }
                    }
                    from = to;
                }
                if (n.parent == null) {
                    // a region in no container keeps the address and priority QEMU prints for it
                    if (n.start != 0) {
                        r.setAddress(n.start);
                    }
                    if (n.prio != 0 && !n.placeholder) {
                        r.setPriority(n.prio);
                    }
                }
                if (n.disabled) {
                    r.setEnabled(false);
                }
                if (n.nv) {
                    r.setNonVolatile(true);
                }
                if (!n.placeholder && catalogue.has(RegionCatalogue.Hint.READONLY, n.name)) {
                    r.setReadOnly(true);
                }
            }
            for (Block b : blocks) {
                if (b.mrName != null) {
                    mrBlocks.add(b.root.canonical.region);
                } else {
                    for (String name : b.asNames) {
                        spaces.add(system.addressSpace(name, b.root.region));
                    }
                }
            }
            bars = tagPassthroughBars(all, source, passthroughNotes);
        }
        catalogueNotes(all, source, notes);
        notes.addAll(passthroughNotes);
        return new MtreeImport(source, system, spaces, mrBlocks, showsDisabled, placeholders, notes, bars);
    }

    /**
     * Tags QEMU's VFIO BARs as passthrough BARs: every region named exactly {@code DDDD:BB:DD.F BAR n}, and every
     * {@code ... BAR n mmaps[k]} piece that is not inside a region of its BAR's name (a dump that shows the
     * pieces only). The tag covers the region's subtree: mmap pieces, quirks, the MSI-X table.
     */
    private static List<MtreeImport.TaggedBar> tagPassthroughBars(List<Node> all, String source, List<String> notes) {
        List<MtreeImport.TaggedBar> bars = new ArrayList<>();
        Map<dev.mmiomediator.pci.PciAddress, List<String>> perDevice = new LinkedHashMap<>();
        for (Node n : all) {
            if (n.canonical != n || n.alias || n.placeholder) {
                continue;
            }
            VfioRegionName name = VfioRegionName.parse(n.name);
            if (name == null) {
                continue;
            }
            if (!name.isBar()) {
                if (insideBarNamed(n.region, name.barName())) {
                    continue;
                }
                notes.add(source + ":" + n.line + ": '" + n.name + "' is not inside a region named '" + name.barName()
                        + "': the piece itself is tagged as that BAR");
            }
            n.region.setPassthroughBar(name.passthroughBar());
            bars.add(new MtreeImport.TaggedBar(n.region, name.device(), name.bar()));
            List<String> list = perDevice.computeIfAbsent(name.device(), d -> new ArrayList<>());
            String what = name.isBar() ? "BAR " + name.bar() : "BAR " + name.bar() + " (piece mmaps[" + name.mmap() + "])";
            if (!list.contains(what)) {
                list.add(what);
            }
        }
        perDevice.forEach((device, what) -> notes.add(source + ": passthrough device " + device + " (QEMU's VFIO region "
                + "names): " + String.join(", ", what) + " tagged as P2P space"));
        return bars;
    }

    private static boolean insideBarNamed(MemoryRegion piece, String barName) {
        for (MemoryRegion x = piece.container(); x != null; x = x.container()) {
            if (x.name().equals(barName)) {
                return true;
            }
        }
        return false;
    }

    private void catalogueNotes(List<Node> all, String source, List<String> notes) {
        Map<String, Integer> used = new LinkedHashMap<>();
        for (Node n : all) {
            if (n.canonical != n || n.placeholder) {
                continue;
            }
            for (RegionCatalogue.Hint h : RegionCatalogue.Hint.values()) {
                RegionCatalogue.Rule rule = catalogue.ruleFor(n.name, h);
                if (rule == null) {
                    continue;
                }
                boolean kindRuleDecided = catalogue.kindHint(n.name) == h && n.type.equals("i/o") && !n.alias;
                boolean applied;
                switch (h) {
                    case MMIO: applied = kindRuleDecided && !n.children.isEmpty(); break;
                    case CONTAINER: applied = kindRuleDecided && n.children.isEmpty(); break;
                    case ZERO_SIZE: applied = n.size != null && n.size.isZero(); break;
                    default: applied = true; break;
                }
                if (applied) {
                    used.merge(h.word() + " '" + n.name + "' (" + rule.origin() + ")", 1, Integer::sum);
                }
            }
        }
        used.forEach((k, count) -> notes.add(source + ": catalogue: " + k + (count > 1 ? " x" + count : "")));
    }

    private static MemoryRegion create(MemorySystem system, Node n) {
        switch (n.kind) {
            case RAM:
                return system.ram(n.name, n.size);
            case ROM:
                return system.rom(n.name, n.size);
            case RAM_DEVICE:
                return system.ramDevice(n.name, n.size);
            case ROM_DEVICE:
                return system.romDevice(n.name, n.size, MemoryRegionOps.UNASSIGNED);
            case MMIO:
                return system.mmio(n.name, n.size, MemoryRegionOps.UNASSIGNED);
            default:
                return system.container(n.name, n.size);
        }
    }

    private static MemoryRegion createAlias(MemorySystem system, Node n, Map<Node, Boolean> visiting, String source) {
        if (n.region != null) {
            return n.region;
        }
        if (visiting.containsKey(n)) {
            throw new MtreeFormatException(source, n.line, "alias cycle: alias '" + abbreviate(n.name) + "' reaches itself through "
                    + "its targets");
        }
        visiting.put(n, true);
        Node t = n.target.canonical;
        MemoryRegion target = t.alias ? createAlias(system, t, visiting, source) : t.region;
        try {
            n.region = system.alias(n.name, target, n.aliasStart, n.size);
        } catch (IllegalArgumentException e) {
            throw new MtreeFormatException(source, n.line, abbreviateQuoted(e.getMessage()));
        }
        return n.region;
    }
}
