package dev.mmiomediator.mtree;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * Undoes what publishing does to a tree dump, before it is parsed: what mail clients and authors do to the text,
 * never to the dump's content. Each repair is said in a note, and a re-export prints the repaired text.
 * <ul>
 *   <li>An indent the whole dump got from a page's code block or a mail's quote is taken off.</li>
 *   <li>The monitor's prompt with its command ({@code (qemu) info mtree}) and banner, pasted with the dump, are
 *       skipped.</li>
 *   <li>A mail client that sends {@code format=flowed} "space-stuffs" every line that starts with a space: every
 *       region line then starts with one space more, an odd indent. When every region line has an odd indent of at
 *       least 3, one space is taken off each.</li>
 *   <li>A mail client wraps a long line at a space and drops the space: a line that is not indented and not a
 *       header, after a region line that is not whole ({@code ...(prio 0, i/o): alias}), is joined to it with
 *       a space when the two make a whole region line.</li>
 *   <li>An author cuts a long run of regions to a line {@code ...} (or {@code ... ...}), indented or not: such a
 *       line is dropped; what it stood for is unknown.</li>
 * </ul>
 * A dropped or joined line becomes {@code null} in the list, so every other line keeps its number for messages.
 */
final class PastedText {
    private static final String OVERFLOW = "[DETECTED OVERFLOW!] ";

    private PastedText() {
    }

    /** Repairs {@code lines} in place; returns one note per kind of repair made. */
    static List<String> repair(List<String> lines) {
        List<String> notes = new ArrayList<>();
        int indent = MtreeText.dedent(lines, l -> l.startsWith("address-space: ") || l.startsWith("memory-region: ")
                || MtreeText.isMonitorLine(l));
        if (indent > 0) {
            notes.add("the whole dump is indented " + indent + " spaces (a code block or quote in a page or mail): taken off");
        }
        int monitor = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i) != null && MtreeText.isMonitorLine(lines.get(i))) {
                lines.set(i, null);
                monitor++;
            }
        }
        if (monitor > 0) {
            notes.add(monitor + " monitor line" + (monitor > 1 ? "s" : "") + " ('(qemu) ...' prompt or banner) pasted "
                    + "with the dump: skipped");
        }
        int stuffed = unstuff(lines);
        if (stuffed > 0) {
            notes.add(stuffed + " region lines indented one space more than QEMU prints (a mail client's "
                    + "format=flowed space-stuffing): one space taken off each");
        }
        int elided = 0;
        int firstElided = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l != null && MtreeText.isElision(l)) {
                if (elided++ == 0) {
                    firstElided = i + 1;
                }
                lines.set(i, null);
            }
        }
        if (elided > 0) {
            notes.add(elided + " line" + (elided > 1 ? "s" : "") + " '...' (first at line " + firstElided + ") where the "
                    + "author left regions out: dropped; what they stood for is not in the import");
        }
        int wrapped = unwrap(lines);
        if (wrapped > 0) {
            notes.add(wrapped + " region line" + (wrapped > 1 ? "s" : "") + " wrapped onto the next line (as mail "
                    + "clients wrap long lines) joined again, with one space");
        }
        return notes;
    }

    private static boolean isRegionLine(String l) {
        return l != null && (l.startsWith(" ") || l.startsWith(OVERFLOW));
    }

    private static int indent(String l) {
        String t = l.startsWith(OVERFLOW) ? l.substring(OVERFLOW.length()) : l;
        int n = 0;
        while (n < t.length() && t.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    /** Takes one space off every region line when all have an odd indent of at least 3; returns how many. */
    private static int unstuff(List<String> lines) {
        int count = 0;
        for (String l : lines) {
            if (isRegionLine(l) && !l.isBlank()) {
                int n = indent(l);
                if (n < 3 || n % 2 == 0 || !l.contains(" (prio ")) {
                    return 0;
                }
                count++;
            }
        }
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (isRegionLine(l) && !l.isBlank()) {
                lines.set(i, l.startsWith(OVERFLOW) ? OVERFLOW + l.substring(OVERFLOW.length() + 1) : l.substring(1));
            }
        }
        return count;
    }

    /** Joins the continuations of wrapped region lines; returns how many were joined. */
    private static int unwrap(List<String> lines) {
        return joinWrapped(lines, l -> !l.isBlank() && isRegionLine(l), (line, next) -> {
            boolean header = next.startsWith("address-space: ") || next.startsWith("memory-region: ")
                    || next.startsWith("FlatView #");
            return !next.isBlank() && !header && !RegionLineParser.isWhole(line)
                    && RegionLineParser.isWhole(line + " " + next);
        });
    }

    /**
     * Joins the lines a mail client wrapped (at a space, the space dropped), for the tree and the flat readers alike:
     * a line for which {@code joins} holds, right after an {@code anchor} line, is appended to it with a space between.
     * The continuation becomes {@code null}, so every other line keeps its number; {@code null} lines are skipped, and
     * any other line ends the anchor's run. Returns how many were joined.
     *
     * @param anchor a line a continuation may belong to
     * @param joins  whether the second line continues the first (the anchor, as joined so far)
     */
    static int joinWrapped(List<String> lines, Predicate<String> anchor, BiPredicate<String, String> joins) {
        int joined = 0;
        int last = -1; // the anchor line a continuation would belong to
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l == null) {
                continue;
            }
            if (anchor.test(l)) {
                last = i;
                continue;
            }
            if (last >= 0 && joins.test(lines.get(last), l)) {
                lines.set(last, lines.get(last) + " " + l);
                lines.set(i, null);
                joined++;
                continue;
            }
            last = -1;
        }
        return joined;
    }
}
