package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code info mtree -f} dump: its {@code FlatView} blocks as text-level records. Use it to read
 * QEMU's flat views (for example to audit a VM whose tree is not available) and to compare our rendering
 * with QEMU's, block order aside.
 *
 * @param source where the dump came from
 * @param views  the blocks, in the dump's order
 */
public record FlatDump(String source, List<View> views, List<String> notes) {

    /** One {@code AS "NAME", root: ROOT[, alias TARGET]} line. */
    public record AsLine(String name, String root, String aliasOf) {
        @Override
        public String toString() {
            return " AS \"" + name + "\", root: " + root + (aliasOf != null ? ", alias " + aliasOf : "");
        }
    }

    /**
     * One range line. {@code owner} holds what {@code info mtree -o} prints after the name and offset (without its
     * leading space; empty without {@code -o}), see {@link #OWNER}. {@code suffix} holds what follows: QEMU 2.10 and
     * later print the
     * accelerator's name ({@code KVM}, some builds {@code kvm}; once per address space of the view whose accelerator
     * maps the range) when the accelerator maps the range into guest memory. It is kept as printed (without its
     * leading space) and is not part of {@link #text()}; {@link #printed()} has it.
     */
    public record Range(int line, long start, long last, int priority, boolean nonVolatile, String type, String name,
                        long offset, String owner, String suffix) {
        /** A range printed without {@code -o}: no owner. */
        public Range(int line, long start, long last, int priority, boolean nonVolatile, String type, String name,
                     long offset, String suffix) {
            this(line, start, last, priority, nonVolatile, type, name, offset, "", suffix);
        }

        /** The line as QEMU prints it, without the accelerator suffix. */
        public String text() {
            return "  " + hex(start) + "-" + hex(last) + " (prio " + priority + ", " + (nonVolatile ? "nv-" : "")
                    + type + "): " + name + (offset != 0 ? " @" + hex(offset) : "");
        }

        /** The line as it was printed: {@link #text()}, the owner ({@code -o}) and the accelerator tags, if any. */
        public String printed() {
            return text() + (owner.isEmpty() ? "" : " " + owner) + (suffix.isEmpty() ? "" : " " + suffix);
        }

        /** Whether the dump says the accelerator maps this range (a tag such as {@code KVM} follows it). */
        public boolean acceleratorMapped() {
            return !suffix.isEmpty();
        }

        @Override
        public String toString() {
            return text();
        }
    }

    /**
     * One {@code FlatView #n} block; {@code root} is {@code null} for {@code (none)}.
     *
     * @param headerless  whether the view was given without its {@code FlatView #n} and {@code AS} lines (pasted
     *                    from its {@code Root memory region:} line or its first range): then {@code addressSpaces}
     *                    holds one {@link #UNNAMED} address space
     * @param rootPrinted whether the dump printed the {@code Root memory region:} line (false only for a headerless
     *                    view pasted from its first range; then {@code root} is {@code null} and unknown)
     */
    public record View(int line, int number, List<AsLine> addressSpaces, String root, List<Range> ranges,
                       boolean headerless, boolean rootPrinted) {
        /** The name given to the one address space of a headerless view. */
        public static final String UNNAMED = "(unnamed)";

        /** Copies the lists. */
        public View {
            addressSpaces = List.copyOf(addressSpaces);
            ranges = List.copyOf(ranges);
        }

        /** A view printed with its header. */
        public View(int line, int number, List<AsLine> addressSpaces, String root, List<Range> ranges) {
            this(line, number, addressSpaces, root, ranges, false, true);
        }

        /**
         * The block as it was printed (header, ranges with their accelerator tags), each line ending in
         * {@code \n}, and the blank line that ends it.
         */
        public String printed() {
            StringBuilder sb = new StringBuilder();
            if (!headerless) {
                sb.append("FlatView #").append(number).append('\n');
                addressSpaces.forEach(a -> sb.append(a).append('\n'));
            }
            if (rootPrinted) {
                sb.append(" Root memory region: ").append(root == null ? "(none)" : root).append('\n');
            }
            if (ranges.isEmpty() && rootPrinted) {
                sb.append("  No rendered FlatView\n");
            }
            ranges.forEach(r -> sb.append(r.printed()).append('\n'));
            return sb.append('\n').toString();
        }

        /**
         * The block as text without its number, address spaces sorted: two dumps of the same memory map give
         * equal canonical texts whatever order QEMU printed them in.
         */
        public String canonicalText() {
            List<String> as = new ArrayList<>();
            for (AsLine a : addressSpaces) {
                as.add(a.toString());
            }
            as.sort(MtreeExporter::strcmp);
            StringBuilder sb = new StringBuilder();
            as.forEach(a -> sb.append(a).append('\n'));
            sb.append(" Root memory region: ").append(root == null ? "(none)" : root).append('\n');
            if (ranges.isEmpty()) {
                sb.append("  No rendered FlatView\n");
            }
            ranges.forEach(r -> sb.append(r.text()).append('\n'));
            return sb.toString();
        }
    }

    /**
     * What {@code info mtree -o} appends to a range (QEMU's {@code mtree_print_mr_owner}): {@code owner:{dev id=ID}},
     * {@code owner:{obj path=PATH}} or {@code {obj type=TYPE}}, then {@code parent:{...}} when the region's QOM
     * parent is another object, or {@code orphan} when it has neither. Printed before the accelerator's tag.
     */
    static final String OWNER = "((?: (?:owner|parent):\\{(?:dev|obj) (?:id|path|type)=[^{}]*\\})+| orphan)?";
    private static final Pattern AS = Pattern.compile("^ AS \"(.*)\", root: (.*?)(, alias (.*))?$");
    private static final Pattern RANGE = Pattern.compile(
            "^  ([0-9a-f]{1,16})-([0-9a-f]{1,16}) \\(prio (-?[0-9]+), (nv-)?(ram|rom|ramd|romd|i/o|container)\\): (.*?)"
                    + "( @([0-9a-f]{16}))?" + OWNER + "((?: (?i:KVM|HVF|WHPX|NVMM|Xen|TCG))*)$");
    /** Like {@link #RANGE}, with any number of digits: only to say what is wrong with a line RANGE refuses. */
    private static final Pattern LOOSE_RANGE = Pattern.compile("^  ([0-9a-fA-F]+)-([0-9a-fA-F]+) \\(prio ([-+]?[0-9]+), .*$");

    public FlatDump {
        views = List.copyOf(views);
        notes = List.copyOf(notes);
    }

    /** A dump read as printed, with no repairs to note. */
    public FlatDump(String source, List<View> views) {
        this(source, views, List.of());
    }

    /** The dump as it was printed (accelerator tags kept), {@code \n} line ends: what {@code mtree flatten} prints. */
    public String printed() {
        StringBuilder sb = new StringBuilder();
        views.forEach(v -> sb.append(v.printed()));
        return sb.toString();
    }

    /** Whether the dump is a flat view pasted without its {@code FlatView #n} and {@code AS} lines. */
    public boolean headerless() {
        return !views.isEmpty() && views.get(0).headerless();
    }

    private static String hex(long v) {
        return dev.mmiomediator.memory.Size.hex16(v);
    }

    /** Parses QEMU's flat dump text, or our own {@link MtreeExporter#flat} output. */
    public static FlatDump parse(String text, String source) {
        try {
            return parse(new java.io.StringReader(text), source);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Parses a flat dump.
     *
     * @throws MtreeFormatException naming the source, line and what was expected
     */
    public static FlatDump parse(Reader text, String source) throws IOException {
        List<String> lines = new ArrayList<>(MtreeText.readLines(text, source));
        List<String> notes = new ArrayList<>();
        int indent = MtreeText.dedent(lines, l -> l.startsWith("FlatView #") || MtreeText.isMonitorLine(l));
        if (indent > 0) {
            notes.add(source + ": the whole dump is indented " + indent + " spaces (a code block or quote in a page or "
                    + "mail): taken off");
        }
        int stuffed = unstuff(lines);
        if (stuffed > 0) {
            notes.add(source + ": " + stuffed + " lines indented one space more than QEMU prints (a mail client's "
                    + "format=flowed space-stuffing): one space taken off each");
        }
        int wrapped = unwrap(lines);
        if (wrapped > 0) {
            notes.add(source + ": " + wrapped + " range line" + (wrapped > 1 ? "s" : "") + " wrapped onto the next line "
                    + "(as mail clients wrap long lines) joined again, with one space");
        }
        int[] elided = {0, 0}; // '...' lines, dispatch trees
        List<View> views = new ArrayList<>();
        int i = 0;
        while (i < lines.size() && (lines.get(i).isBlank() || MtreeText.isMonitorLine(lines.get(i))
                || MtreeText.isElision(lines.get(i)))) {
            elided[0] += MtreeText.isElision(lines.get(i)) ? 1 : 0;
            i++;
        }
        if (i < lines.size() && lines.get(i).startsWith(ROOT_PREFIX.substring(1))) {
            // copied from the line's text, without QEMU's one space before it
            lines.set(i, " " + lines.get(i));
            notes.add(source + ": line " + (i + 1) + " 'Root memory region:' pasted without its leading space: read as "
                    + "QEMU prints it");
        }
        if (i < lines.size() && startsHeaderless(lines.get(i))) {
            int viewLine = i + 1;
            boolean rootPrinted = lines.get(i).startsWith(ROOT_PREFIX);
            String root = null;
            if (rootPrinted) {
                root = lines.get(i).substring(ROOT_PREFIX.length());
                i++;
            }
            List<Range> ranges = new ArrayList<>();
            i = ranges(lines, i, source, ranges, elided);
            if (root != null && root.equals("(none)")) {
                root = null;
            }
            views.add(new View(viewLine, 0, List.of(new AsLine(View.UNNAMED, root == null ? "(unknown)" : root, null)),
                    root, ranges, true, rootPrinted));
        }
        while (i < lines.size()) {
            String l = lines.get(i);
            if (l.isBlank() || MtreeText.isMonitorLine(l)) {
                i++;
                continue;
            }
            if (!l.startsWith("FlatView #")) {
                if (l.startsWith("address-space: ") || l.startsWith("memory-region: ")) {
                    throw new MtreeFormatException(source, i + 1, "this is a tree dump ('info mtree'); expected a flat dump "
                            + "('info mtree -f')");
                }
                throw new MtreeFormatException(source, i + 1, "'" + MtreeText.abbreviate(l.strip())
                        + "': expected 'FlatView #N'");
            }
            int viewLine = i + 1;
            int number;
            try {
                number = Integer.parseInt(l.substring("FlatView #".length()).strip());
            } catch (NumberFormatException e) {
                throw new MtreeFormatException(source, i + 1, "'" + MtreeText.abbreviate(l)
                        + "': expected 'FlatView #' and a number");
            }
            i++;
            List<AsLine> as = new ArrayList<>();
            while (i < lines.size() && lines.get(i).startsWith(" AS \"")) {
                Matcher m = AS.matcher(lines.get(i));
                if (!m.matches()) {
                    throw new MtreeFormatException(source, i + 1, "expected ' AS \"NAME\", root: ROOT'");
                }
                as.add(new AsLine(m.group(1), m.group(2), m.group(4)));
                i++;
            }
            if (i >= lines.size() || !lines.get(i).startsWith(" Root memory region: ")) {
                throw new MtreeFormatException(source, Math.min(i + 1, lines.size()), "expected ' Root memory region: NAME' "
                        + "after the AS lines of FlatView #" + number);
            }
            String root = lines.get(i).substring(" Root memory region: ".length());
            i++;
            List<Range> ranges = new ArrayList<>();
            i = ranges(lines, i, source, ranges, elided);
            views.add(new View(viewLine, number, as, root.equals("(none)") ? null : root, ranges));
        }
        if (views.isEmpty()) {
            throw new MtreeFormatException(source, 0, "no 'FlatView #N' block: expected the output of 'info mtree -f'");
        }
        if (elided[1] > 0) {
            notes.add(source + ": " + elided[1] + " dispatch tree" + (elided[1] > 1 ? "s" : "") + " ('info mtree -f -d', "
                    + "QEMU's lookup structure for a view's ranges) skipped: they add nothing to the ranges");
        }
        if (elided[0] > 0) {
            notes.add(source + ": " + elided[0] + " line" + (elided[0] > 1 ? "s" : "") + " '...' where the author left "
                    + "ranges out: dropped; what they stood for is not in the dump");
        }
        return new FlatDump(source, views, notes);
    }

    private static final String ROOT_PREFIX = " Root memory region: ";
    /**
     * The first line of a view's dispatch tree ({@code info mtree -f -d}, QEMU's {@code mtree_print_dispatch}): then
     * {@code Physical sections}, one line per section, {@code Nodes (...)} and the nodes' lines, all indented, up to
     * the blank line that ends the view.
     */
    private static final String DISPATCH = "  Dispatch";

    /**
     * Whether {@code line}, the first of a text, starts a flat view pasted without its {@code FlatView #n} and
     * {@code AS} lines: its {@code Root memory region:} line (with QEMU's space before it or, copied from its text,
     * without) or a range line.
     */
    static boolean startsHeaderless(String line) {
        return line.startsWith(ROOT_PREFIX) || line.startsWith(ROOT_PREFIX.substring(1))
                || LOOSE_RANGE.matcher(line).matches();
    }

    /**
     * Whether {@code text} is (by its first non-blank line) a flat dump: {@code FlatView #n}, or a flat view pasted
     * without its header.
     */
    public static boolean looksFlat(String text) {
        int from = 0;
        while (from < text.length()) {
            int nl = text.indexOf('\n', from);
            String line = (nl < 0 ? text.substring(from) : text.substring(from, nl)).replace("\r", "");
            String t = line.stripLeading();
            if (!line.isBlank() && !MtreeText.isMonitorLine(t) && !MtreeText.isElision(line)) {
                // a code block may indent the whole dump
                return t.startsWith("FlatView #") || startsHeaderless(line);
            }
            if (nl < 0) {
                break;
            }
            from = nl + 1;
        }
        return false;
    }

    /**
     * Takes one space off every indented line when a mail client space-stuffed them ({@code format=flowed} puts a
     * space before every line that starts with one): QEMU prints the {@code AS} and {@code Root memory region:} lines
     * with one space, so when one of them has two and every indented line has at least two, all have one too many.
     * Returns how many lines were changed.
     */
    private static int unstuff(List<String> lines) {
        boolean header = false;
        for (String l : lines) {
            if (l.isBlank() || !l.startsWith(" ")) {
                continue;
            }
            if (!l.startsWith("  ")) {
                return 0;
            }
            header |= l.startsWith("  AS \"") || l.startsWith("  Root memory region: ");
        }
        if (!header) {
            return 0;
        }
        int count = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.isBlank() && l.startsWith(" ")) {
                lines.set(i, l.substring(1));
                count++;
            }
        }
        return count;
    }

    /**
     * Joins the continuations of range lines a mail client wrapped (at a space, the space dropped): a line that is
     * not indented and not a header, after a range line, when the two with a space between make a range line. The
     * continuation becomes {@code null}, so every other line keeps its number. Returns how many were joined.
     */
    private static int unwrap(List<String> lines) {
        return PastedText.joinWrapped(lines, l -> l.startsWith("  ") && RANGE.matcher(l).matches(),
                (line, next) -> !next.isBlank() && !next.startsWith(" ") && !next.startsWith("FlatView #")
                        && !MtreeText.isMonitorLine(next) && !MtreeText.isElision(next)
                        && RANGE.matcher(line + " " + next).matches());
    }

    /**
     * Reads the range lines from line index {@code i} into {@code ranges}, skipping a dispatch tree; returns the index
     * after them. Counts {@code ...} lines in {@code elided[0]} and dispatch trees in {@code elided[1]}.
     */
    private static int ranges(List<String> lines, int i, String source, List<Range> ranges, int[] elided) {
        {
            boolean none = false;
            while (i < lines.size() && (lines.get(i) == null
                    || !lines.get(i).isBlank() && !lines.get(i).startsWith("FlatView #"))) {
                String r = lines.get(i);
                if (r == null) { // the continuation of a wrapped line, joined to it
                    i++;
                    continue;
                }
                if (MtreeText.isElision(r) || MtreeText.isMonitorLine(r)) {
                    elided[0] += MtreeText.isElision(r) ? 1 : 0;
                    i++;
                    continue;
                }
                if (r.equals(DISPATCH)) {
                    // 'info mtree -f -d': the view's dispatch tree, to the blank line that ends the view
                    elided[1]++;
                    while (i < lines.size() && (lines.get(i) == null
                            || !lines.get(i).isBlank() && !lines.get(i).startsWith("FlatView #"))) {
                        i++;
                    }
                    continue;
                }
                if (r.equals("  No rendered FlatView")) {
                    none = true;
                    i++;
                    continue;
                }
                Matcher m = RANGE.matcher(r);
                if (!m.matches() && !none) {
                    Matcher loose = LOOSE_RANGE.matcher(r);
                    if (loose.matches()) {
                        MtreeText.hexAddress(loose.group(1), "START", source, i + 1);
                        MtreeText.hexAddress(loose.group(2), "END", source, i + 1);
                        MtreeText.priority(loose.group(3), source, i + 1);
                    }
                }
                if (!m.matches() || none) {
                    throw new MtreeFormatException(source, i + 1, "'" + MtreeText.abbreviate(r.strip())
                            + "': expected a range line "
                            + "'  START-END (prio P, TYPE): NAME[ @OFFSET]'");
                }
                long start = Long.parseUnsignedLong(m.group(1), 16);
                long last = Long.parseUnsignedLong(m.group(2), 16);
                if (Long.compareUnsigned(start, last) > 0) {
                    throw new MtreeFormatException(source, i + 1, "range " + m.group(1) + "-" + m.group(2)
                            + ": expected START <= END");
                }
                long off = m.group(8) == null ? 0 : Long.parseUnsignedLong(m.group(8), 16);
                ranges.add(new Range(i + 1, start, last, MtreeText.priority(m.group(3), source, i + 1), m.group(4) != null, m.group(5),
                        m.group(6), off, m.group(9) == null ? "" : m.group(9).strip(), m.group(10).strip()));
                i++;
            }
        }
        return i;
    }

    /**
     * One text per address space: its {@code AS} line, the root its view renders from and the view's ranges,
     * sorted. Equal for two dumps whose address spaces render the same, whichever views they share: a dump
     * cannot always tell which of several identical regions (say, one per PCI function) an alias points to,
     * and with it which address spaces QEMU let share one {@code FlatView}.
     */
    public List<String> canonicalAddressSpaces() {
        List<String> out = new ArrayList<>();
        for (View v : views) {
            String body = v.canonicalText();
            int cut = body.indexOf(" Root memory region: ");
            for (AsLine a : v.addressSpaces()) {
                out.add(a + "\n" + body.substring(cut));
            }
        }
        out.sort(MtreeExporter::strcmp);
        return out;
    }

    /**
     * The passthrough (VFIO) BARs of every view, found from QEMU's range names with their extents and the ranges
     * that belong to them; see {@link FlatDumpBars}.
     *
     * @throws MtreeFormatException naming the line of a BAR piece whose offset exceeds its start
     */
    public List<FlatDumpBars.ViewBars> passthroughBars() {
        return FlatDumpBars.find(this);
    }

    /** The canonical texts of all views, sorted: equal for two dumps of the same map, block order aside. */
    public List<String> canonicalViews() {
        List<String> out = new ArrayList<>();
        for (View v : views) {
            out.add(v.canonicalText());
        }
        out.sort(MtreeExporter::strcmp);
        return out;
    }
}
