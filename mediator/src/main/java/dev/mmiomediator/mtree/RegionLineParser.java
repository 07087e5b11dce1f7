package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.Size;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.mmiomediator.mtree.MtreeText.abbreviate;

/**
 * Reads one region line of a tree dump, {@code START-END (prio P, [nv-]TYPE): NAME [disabled]} or
 * {@code ...: alias NAME @TARGET TSTART-TEND}, into a {@link DumpNode}; says precisely what is wrong with a line
 * that is not one.
 */
final class RegionLineParser {
    private static final Pattern REGION = Pattern.compile(
            "^( *)([0-9a-f]{1,16})-([0-9a-f]{1,16}) \\(prio (-?[0-9]+), (nv-)?(ram|rom|ramd|romd|i/o|container)\\): (.*)$");
    private static final Pattern ALIAS = Pattern.compile("^alias (.*) @(.*) ([0-9a-f]{1,16})-([0-9a-f]{1,16})$");
    private static final Pattern LOOSE_WINDOW = Pattern.compile(" ([0-9a-fA-F]+)-([0-9a-fA-F]+)$");
    /** Like {@link #REGION}, with any number of hex digits: only to say what is wrong with a line REGION refuses. */
    private static final Pattern LOOSE_REGION = Pattern.compile(
            "^ *([0-9a-fA-F]+)-([0-9a-fA-F]+) \\(prio ([-+]?[0-9]+), .*$");
    /** QEMU 2.9 and earlier print read/write flags where later versions print the region's type. */
    private static final Pattern OLD_ATTRIBUTES = Pattern.compile("^ *[0-9a-fA-F]+-[0-9a-fA-F]+ \\(prio -?[0-9]+, [R-][W-]\\): ");
    /** What {@code info mtree -o} appends to every region line: its owner ({@link FlatDump#OWNER}). */
    private static final Pattern OWNED = Pattern.compile("^.*?" + FlatDump.OWNER + "$");
    /** {@code info mtree -D} ends the line of each disabled region with this. */
    private static final String DISABLED = " [disabled]";

    private RegionLineParser() {
    }

    /**
     * Whether {@code text} (overflow marker included) is a whole region line: a region, or an alias with its target
     * and window. A line a mail client cut is not ({@code ...(prio 0, i/o): alias}, {@code ...(prio 0, i/o):}).
     */
    static boolean isWhole(String text) {
        String t = text.startsWith("[DETECTED OVERFLOW!] ") ? text.substring("[DETECTED OVERFLOW!] ".length()) : text;
        Matcher m = REGION.matcher(t);
        if (!m.matches()) {
            return false;
        }
        String rest = m.group(7);
        if (rest.endsWith(DISABLED)) {
            rest = rest.substring(0, rest.length() - DISABLED.length());
        }
        return !rest.startsWith("alias ") && !rest.equals("alias") || ALIAS.matcher(rest).matches();
    }

    /** Whether the dump is an {@code info mtree -D} dump: one that shows a disabled region. */
    static boolean showsDisabled(List<String> lines) {
        return lines.stream().anyMatch(l -> l != null && l.endsWith(DISABLED));
    }

    /**
     * The region printed on line {@code lineNo}, {@code text}, with the overflow marker already taken off.
     *
     * @throws dev.mmiomediator.input.MtreeFormatException naming what is not a valid region line
     */
    static DumpNode parse(String text, int lineNo, ImportContext ctx) {
        String source = ctx.source();
        Matcher m = REGION.matcher(text);
        if (!m.matches()) {
            if (OLD_ATTRIBUTES.matcher(text).find()) {
                throw ctx.error(lineNo, "'" + abbreviate(text.strip()) + "': region attributes '(prio P, RW)' are the "
                        + "format of QEMU 2.9 and earlier (R/W flags, no region type); this tool reads the output of "
                        + "QEMU 2.10 and later, whose lines print a type (ram, rom, ramd, romd, i/o, container)");
            }
            Matcher loose = LOOSE_REGION.matcher(text);
            if (loose.matches()) {
                MtreeText.hexAddress(loose.group(1), "START", source, lineNo);
                MtreeText.hexAddress(loose.group(2), "END", source, lineNo);
                MtreeText.priority(loose.group(3), source, lineNo);
            }
            throw ctx.error(lineNo, "'" + abbreviate(text.strip()) + "': expected a region line "
                    + "'START-END (prio P, TYPE): NAME' with 16-digit hex START and END and TYPE one of ram, rom, "
                    + "ramd, romd, i/o, container");
        }
        int indent = m.group(1).length();
        if (indent % 2 != 0 || indent == 0) {
            throw ctx.error(lineNo, "indent of " + indent + " spaces: expected a positive even number "
                    + "(two spaces per level)");
        }
        if (indent / 2 > ctx.maxDepth()) {
            throw ctx.error(lineNo, "region nested " + indent / 2 + " levels deep (an indent of "
                    + indent + " spaces): expected at most " + ctx.maxDepth() + " levels");
        }
        DumpNode n = new DumpNode(lineNo, indent / 2);
        n.start = Long.parseUnsignedLong(m.group(2), 16);
        n.end = Long.parseUnsignedLong(m.group(3), 16);
        n.prio = MtreeText.priority(m.group(4), source, lineNo);
        n.nv = m.group(5) != null;
        n.type = m.group(6);
        String rest = m.group(7);
        Matcher owned = OWNED.matcher(rest);
        if (owned.matches() && owned.group(1) != null) {
            throw ctx.error(lineNo, "'" + abbreviate(owned.group(1).strip()) + "': a region's owner, as 'info mtree -o' "
                    + "prints it; this tool reads tree dumps taken without -o (and flat dumps with it, 'info mtree -f -o')");
        }
        if (rest.endsWith(DISABLED)) {
            n.disabled = true;
            rest = rest.substring(0, rest.length() - DISABLED.length());
        }
        if (rest.startsWith("alias ")) {
            parseAlias(n, rest, lineNo, ctx);
        } else {
            n.name = rest;
            if (rest.isEmpty()) {
                throw ctx.error(lineNo, "expected a region name after the type");
            }
            ctx.checkName(n.name, "region name", lineNo);
        }
        return n;
    }

    /** The {@code alias NAME @TARGET TSTART-TEND} part of an alias's line, {@code rest}, into {@code n}. */
    private static void parseAlias(DumpNode n, String rest, int lineNo, ImportContext ctx) {
        Matcher a = ALIAS.matcher(rest);
        if (!a.matches()) {
            Matcher window = LOOSE_WINDOW.matcher(rest);
            if (window.find()) {
                MtreeText.hexAddress(window.group(1), "alias window start", ctx.source(), lineNo);
                MtreeText.hexAddress(window.group(2), "alias window end", ctx.source(), lineNo);
            }
            throw ctx.error(lineNo, "'" + abbreviate(rest) + "': expected 'alias NAME @TARGET "
                    + "TSTART-TEND'");
        }
        n.alias = true;
        n.name = a.group(1);
        n.targetName = a.group(2);
        n.aliasStart = Long.parseUnsignedLong(a.group(3), 16);
        n.aliasEnd = Long.parseUnsignedLong(a.group(4), 16);
        if (n.aliasEnd - n.aliasStart != n.end - n.start) {
            throw ctx.error(lineNo, "alias '" + abbreviate(n.name) + "' window " + Size.hex(n.aliasStart) + "-"
                    + Size.hex(n.aliasEnd) + " is not as long as its range " + Size.hex(n.start) + "-"
                    + Size.hex(n.end) + ": expected equal lengths");
        }
        if (n.name.isEmpty() || n.targetName.isEmpty()) {
            throw ctx.error(lineNo, "alias line '" + abbreviate(rest) + "': expected non-empty "
                    + "alias and target names");
        }
        ctx.checkName(n.name, "alias name", lineNo);
        ctx.checkName(n.targetName, "alias target name", lineNo);
    }
}
