package dev.mmiomediator.mtree;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static dev.mmiomediator.mtree.MtreeText.abbreviate;

/**
 * Refuses region trees that render more than {@link ImportContext#maxDepth()} regions deep, following each alias
 * into its target's tree as the renderer does (an alias's target may itself hold aliases), and regions that
 * contain themselves through alias targets. Indents are limited already; this limits chains of aliases through
 * {@code memory-region:} blocks. A walk with an explicit stack: the depth is what is being checked.
 */
final class RenderDepth {
    private RenderDepth() {
    }

    /** Checks every block's tree, once every alias has its target. */
    static void check(List<DumpBlock> blocks, ImportContext ctx) {
        final int expanding = 0;
        int maxDepth = ctx.maxDepth();
        Map<DumpNode, Integer> height = new IdentityHashMap<>();
        ArrayDeque<DumpNode> stack = new ArrayDeque<>();
        List<DumpNode> next = new ArrayList<>();
        for (DumpBlock b : blocks) {
            stack.push(b.root.canonical);
            while (!stack.isEmpty()) {
                DumpNode n = stack.peek();
                Integer h = height.get(n);
                if (h == null) {
                    height.put(n, expanding);
                    successors(n, next);
                    for (DumpNode c : next) {
                        Integer hc = height.get(c);
                        if (hc == null) {
                            stack.push(c);
                        } else if (hc == expanding) {
                            throw ctx.error(n.line, "'" + abbreviate(n.name) + "' leads back to '"
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
                for (DumpNode c : next) {
                    deepest = Math.max(deepest, height.get(c));
                }
                if (deepest + 1 > maxDepth) {
                    throw ctx.error(n.line, (n.alias ? "alias '" + abbreviate(n.name) + "' @"
                            + abbreviate(n.targetName) + " leads into a region tree " + deepest + " levels deep"
                            : "'" + abbreviate(n.name) + "' holds regions " + deepest + " levels deep, counting the "
                            + "trees its aliases lead into") + ": expected at most " + maxDepth + " levels in all");
                }
                height.put(n, deepest + 1);
            }
        }
    }

    /** What the renderer descends into from {@code n}: an alias's target, or the region's children. */
    private static void successors(DumpNode n, List<DumpNode> out) {
        out.clear();
        if (n.alias) {
            out.add(n.target.canonical);
        } else {
            for (DumpNode c : n.children) {
                out.add(c.canonical);
            }
        }
    }
}
