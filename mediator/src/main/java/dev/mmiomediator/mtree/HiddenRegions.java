package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;

import java.util.List;

import static dev.mmiomediator.mtree.MtreeText.abbreviate;

/**
 * Places each parsed region under its parent, and without {@code -D} infers the disabled regions QEMU did not
 * print: it invents a disabled placeholder container for each. Without {@code -D}, a disabled region's children
 * print one level deeper than its visible siblings' children. So a line is the child of a hidden region when its
 * indent jumps by more than one level, when the region printed above it at its parent's depth is an alias
 * (aliases have no children), or when it would print before its would-be previous sibling (QEMU prints children by
 * address, then descending priority). A hidden region is placed right after the last region printed at its
 * depth, and must start at or below its child: when that is impossible there, the hidden region hangs one level
 * higher.
 */
final class HiddenRegions {
    private final ImportContext ctx;

    HiddenRegions(ImportContext ctx) {
        this.ctx = ctx;
    }

    /**
     * For a block whose first region {@code n} is indented deeper than a root: its root is disabled and not
     * printed. Makes a placeholder the block's root and places {@code n} below it.
     *
     * @param stack the open regions, root first; empty on entry
     */
    void rootAbove(DumpBlock block, DumpNode n, List<DumpNode> stack) {
        DumpNode hidden = placeholder(null, n, n.line);
        hidden.block = block;
        if (block.mrName != null) {
            hidden.name = block.mrName;
        }
        block.root = hidden;
        stack.add(hidden);
        ctx.note(n.line, "the root of " + block.describe() + " is disabled and not printed; using a disabled placeholder");
        attach(stack, n);
    }

    /**
     * A block with no region line: without -D that is a disabled root with nothing enabled below it (QEMU prints
     * the header and nothing else); with -D it is a truncated dump.
     */
    void rootOfEmptyBlock(DumpBlock b, int lineNo) {
        if (ctx.showsDisabled()) {
            throw ctx.error(lineNo, (lineNo > 0 ? "blank line or end of dump" : "end of dump")
                    + ": expected the region tree of " + b.describe());
        }
        DumpNode hidden = placeholder(null, null, lineNo);
        hidden.block = b;
        if (b.mrName != null) {
            hidden.name = b.mrName;
            // an alias covering its whole target renders from the target (QEMU's flat-view root): size 0
            // makes any alias onto this disabled target do so, which ends in "nothing rendered" as in QEMU
            hidden.size = Size.ZERO;
        }
        b.root = hidden;
        ctx.note(b.line, b.describe() + " shows no region: its root is disabled and not printed; "
                + "using a disabled placeholder");
    }

    /**
     * Places {@code n} under the right parent, inventing placeholders for unprinted disabled regions (see the
     * class documentation).
     *
     * @param stack the open regions, root first: the last region printed at each depth above {@code n}'s
     */
    void attach(List<DumpNode> stack, DumpNode n) {
        boolean showsDisabled = ctx.showsDisabled();
        int level = n.level;
        while (stack.size() > level - 1) {
            stack.remove(stack.size() - 1);
        }
        if (stack.size() < level - 1 && showsDisabled) {
            throw ctx.error(n.line, "indent of " + 2 * level + " spaces after a region at "
                    + 2 * stack.size() + ": expected at most " + 2 * (stack.size() + 1));
        }
        if (showsDisabled) {
            DumpNode p = stack.get(stack.size() - 1);
            DumpNode prev = p.children.isEmpty() ? null : p.children.get(p.children.size() - 1);
            // with -D every region is printed, so a child out of QEMU's print order was not printed by QEMU;
            // importing it anyway would give it a precedence its own re-export does not show
            if (prev != null && printsBeforeInside(n, prev, p)) {
                throw ctx.error(n.line, "'" + abbreviate(n.name) + "' at " + Size.hex(n.ownAddress(p))
                        + " (prio " + n.prio + ") is printed after its sibling '" + abbreviate(prev.name) + "' at "
                        + Size.hex(prev.ownAddress(p)) + " (prio " + prev.prio + ", line " + prev.line + "): expected "
                        + "the subregions of '" + abbreviate(p.name) + "' by ascending address, then descending "
                        + "priority, as QEMU prints them");
            }
        }
        if (!showsDisabled && stack.size() == level - 1) {
            DumpNode p = stack.get(stack.size() - 1);
            DumpNode prev = p.children.isEmpty() ? null : p.children.get(p.children.size() - 1);
            boolean outOfOrder = prev != null && printsBefore(n, prev);
            // a child starts inside its parent, unless its absolute address wrapped past 2^64
            boolean below = !p.placeholder && !n.overflow && Long.compareUnsigned(n.start, p.start) < 0;
            if ((outOfOrder || below || p.alias) && p.parent != null) {
                stack.remove(stack.size() - 1);
                ctx.note(n.line, "'" + n.name + "' " + (p.alias ? "cannot be inside alias" : below ? "starts below"
                        : "breaks the print order of the children of") + " '" + p.name + "': it belongs to a disabled "
                        + "region the dump does not show (placeholder added)");
            }
        } else if (stack.size() < level - 1) {
            ctx.note(n.line, "'" + n.name + "' is printed deeper than its siblings' children: its "
                    + "parent is a disabled region the dump does not show (placeholder added)");
        }
        while (true) {
            while (stack.size() < level - 1) {
                DumpNode p = stack.get(stack.size() - 1);
                DumpNode prev = p.children.isEmpty() ? null : p.children.get(p.children.size() - 1);
                if (p.parent != null && (p.alias || (prev != null && Long.compareUnsigned(n.start, prev.start) < 0))) {
                    // no hidden region can sit under p after prev and still hold n: it hangs beside p instead
                    stack.remove(stack.size() - 1);
                    continue;
                }
                stack.add(placeholder(p, n, n.line));
            }
            DumpNode top = stack.get(stack.size() - 1);
            if (top.placeholder && top.parent != null && Long.compareUnsigned(n.start, top.start) < 0
                    && !lowerPlaceholder(top, n.start)) {
                // a region starts at or below its children: n needs another hidden region
                stack.remove(stack.size() - 1);
                continue;
            }
            break;
        }
        DumpNode parent = stack.get(stack.size() - 1);
        n.parent = parent;
        parent.children.add(n);
        stack.add(n);
    }

    /**
     * Moves a placeholder's (and its placeholder ancestors') start down to {@code start}, if it still prints
     * after its previous sibling there.
     */
    private static boolean lowerPlaceholder(DumpNode p, long start) {
        if (Long.compareUnsigned(p.start, start) <= 0) {
            return true;
        }
        if (!p.placeholder || p.parent == null) {
            return false;
        }
        int i = p.parent.children.indexOf(p);
        DumpNode prevSibling = i > 0 ? p.parent.children.get(i - 1) : null;
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
    private static boolean printsBeforeInside(DumpNode a, DumpNode b, DumpNode p) {
        int c = Long.compareUnsigned(a.ownAddress(p), b.ownAddress(p));
        return c < 0 || (c == 0 && a.prio > b.prio);
    }

    /** QEMU prints children by ascending address, then descending priority. */
    private static boolean printsBefore(DumpNode a, DumpNode b) {
        int c = Long.compareUnsigned(a.start, b.start);
        return c < 0 || (c == 0 && a.prio > b.prio);
    }

    /**
     * A disabled container standing for a disabled region the dump does not print. It is placed so that it
     * sorts right after the previously printed sibling, which is where QEMU printed the hidden region.
     */
    private static DumpNode placeholder(DumpNode parent, DumpNode firstChild, int line) {
        DumpNode h = new DumpNode(line, parent == null ? 1 : parent.level + 1);
        DumpNode prev = parent == null || parent.children.isEmpty() ? null : parent.children.get(parent.children.size() - 1);
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
        h.size = null; // decided by the builder, once its start is final
        h.kind = RegionKind.CONTAINER;
        if (parent != null) {
            h.parent = parent;
            parent.children.add(h);
            h.block = parent.block;
        }
        return h;
    }
}
