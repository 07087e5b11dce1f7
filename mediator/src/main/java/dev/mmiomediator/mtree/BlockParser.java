package dev.mmiomediator.mtree;

import java.util.ArrayList;
import java.util.List;

import static dev.mmiomediator.mtree.MtreeText.abbreviate;

/**
 * Reads the lines of a tree dump into its blocks: the {@code address-space:} and {@code memory-region:} headers,
 * each block's region tree (placed by {@link HiddenRegions}), and the blank line that ends each block.
 */
final class BlockParser {
    private static final String AS_PREFIX = "address-space: ";
    private static final String MR_PREFIX = "memory-region: ";
    /** QEMU prints this before the indent of a region whose absolute range wraps past 2^64. */
    private static final String OVERFLOW = "[DETECTED OVERFLOW!] ";

    private final ImportContext ctx;
    private final HiddenRegions hidden;

    BlockParser(ImportContext ctx) {
        this.ctx = ctx;
        this.hidden = new HiddenRegions(ctx);
    }

    /**
     * The blocks of the dump, in print order, each with its region tree.
     *
     * @throws dev.mmiomediator.input.MtreeFormatException for a line that is not valid tree-dump output, or a
     *         block whose tree cannot be rebuilt
     */
    List<DumpBlock> parse(List<String> lines) {
        List<DumpBlock> blocks = new ArrayList<>();
        DumpBlock cur = null;
        List<DumpNode> stack = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i);
            int lineNo = i + 1;
            if (text == null) {
                continue; // dropped or joined to the line before by PastedText
            }
            if (text.isBlank()) {
                if (cur != null && cur.root == null) {
                    hidden.rootOfEmptyBlock(cur, lineNo);
                }
                cur = null;
                continue;
            }
            if (text.startsWith(AS_PREFIX) || text.startsWith(MR_PREFIX)) {
                boolean sharedRoot = text.startsWith(AS_PREFIX) && cur != null && cur.mrName == null;
                if (cur != null && cur.root == null && !sharedRoot) {
                    // QEMU ends every block, even one whose root it does not print, with a blank line
                    throw ctx.error(lineNo, "'" + abbreviate(text) + "' right after the header of "
                            + cur.describe() + " (line " + cur.line + "): expected that block's region lines or a blank "
                            + "line first");
                }
            }
            if (text.startsWith(AS_PREFIX)) {
                if (cur == null || cur.root != null || cur.mrName != null) {
                    cur = new DumpBlock(lineNo);
                    blocks.add(cur);
                }
                String name = text.substring(AS_PREFIX.length());
                if (name.isEmpty()) {
                    throw ctx.error(lineNo, "expected an address space name after 'address-space: '");
                }
                ctx.checkName(name, "address space name", lineNo);
                cur.asNames.add(name);
                continue;
            }
            if (text.startsWith(MR_PREFIX)) {
                cur = new DumpBlock(lineNo);
                cur.mrName = text.substring(MR_PREFIX.length());
                if (cur.mrName.isEmpty()) {
                    throw ctx.error(lineNo, "expected a region name after 'memory-region: '");
                }
                ctx.checkName(cur.mrName, "region name", lineNo);
                blocks.add(cur);
                continue;
            }
            if (text.startsWith("FlatView #")) {
                throw ctx.error(lineNo, "this is a flat dump ('info mtree -f'); expected a tree "
                        + "dump ('info mtree' or 'info mtree -D')");
            }
            boolean overflow = text.startsWith(OVERFLOW);
            if (overflow) {
                text = text.substring(OVERFLOW.length());
            }
            if (text.startsWith("address-space (flat view): ")) {
                throw ctx.error(lineNo, "'" + abbreviate(text) + "': a flat view per address space is the 'info mtree -f' "
                        + "format of QEMU before FlatViews were shared (2017); this tool reads 'FlatView #N' blocks");
            }
            if (blocks.isEmpty() && (text.equals("memory") || text.equals("I/O"))) {
                throw ctx.error(lineNo, "a bare '" + text + "' header is the format of QEMU 1.x (before "
                        + "'address-space:' headers and region types); this tool reads the output of QEMU 2.10 and later");
            }
            if (!text.startsWith(" ")) {
                throw ctx.error(lineNo, "'" + abbreviate(text) + "': expected 'address-space: NAME', "
                        + "'memory-region: NAME', an indented region line or a blank line");
            }
            if (cur == null) {
                throw ctx.error(lineNo, "region line outside a block: expected 'address-space: NAME' "
                        + "or 'memory-region: NAME' before it");
            }
            DumpNode n = RegionLineParser.parse(text, lineNo, ctx);
            n.overflow = overflow;
            n.block = cur;
            if (cur.root == null) {
                stack.clear();
                placeRoot(cur, n, stack);
                continue;
            }
            if (n.level == 1) {
                throw ctx.error(lineNo, "second root region in " + cur.describe()
                        + ": expected an indent of more than 2 spaces, or a blank line before a new block");
            }
            hidden.attach(stack, n);
        }
        if (cur != null && cur.root == null) {
            hidden.rootOfEmptyBlock(cur, lines.size());
        }
        return blocks;
    }

    /** Makes {@code n}, the first region printed in {@code block}, its root or (indented deeper) a root's child. */
    private void placeRoot(DumpBlock block, DumpNode n, List<DumpNode> stack) {
        if (n.level != 1) {
            if (ctx.showsDisabled()) {
                throw ctx.error(n.line, "first region of " + block.describe()
                        + " is indented " + 2 * n.level + " spaces: expected 2");
            }
            hidden.rootAbove(block, n, stack);
        } else {
            block.root = n;
            stack.add(n);
        }
        if (block.mrName != null && !block.mrName.equals(block.root.name) && !block.root.placeholder) {
            throw ctx.error(n.line, "region '" + abbreviate(n.name) + "' heads block 'memory-region: "
                    + abbreviate(block.mrName) + "': expected a region named '" + abbreviate(block.mrName) + "'");
        }
    }
}
