package dev.mmiomediator.mtree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the memory-region blocks that repeat a region printed elsewhere. Memory-region blocks print alias
 * targets; most are regions printed elsewhere already (a subtree of an address space or of an earlier block).
 * Such a block is the same region when it prints identically: its nodes get that region's nodes as
 * {@link DumpNode#canonical}.
 */
final class RepeatedBlocks {
    private RepeatedBlocks() {
    }

    static void merge(List<DumpBlock> blocks) {
        Map<String, List<DumpNode>> seen = new HashMap<>();
        Map<DumpNode, Boolean> taken = new IdentityHashMap<>();
        for (DumpBlock b : blocks) {
            if (b.mrName == null && b.root.canonical == b.root) { // not a copy of an earlier block's root
                index(b.root, seen);
            }
        }
        for (DumpBlock b : blocks) {
            if (b.mrName == null) {
                continue;
            }
            DumpNode match = null;
            String sig = signature(b.root, b.root.start, 0);
            for (DumpNode c : seen.getOrDefault(b.root.name, List.of())) {
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

    private static void index(DumpNode n, Map<String, List<DumpNode>> seen) {
        if (!n.placeholder) {
            seen.computeIfAbsent(n.name, k -> new ArrayList<>()).add(n);
        }
        for (DumpNode c : n.children) {
            index(c, seen);
        }
    }

    static void mapCanonical(DumpNode copy, DumpNode original) {
        copy.canonical = original.canonical;
        for (int i = 0; i < copy.children.size(); i++) {
            mapCanonical(copy.children.get(i), original.children.get(i));
        }
    }

    /** The subtree of {@code n} as printed, with addresses relative to {@code base}. */
    static String signature(DumpNode n, long base, int depth) {
        StringBuilder sb = new StringBuilder();
        sb.append(depth).append('|').append(Long.toHexString(n.start - base)).append('|')
                .append(Long.toHexString(n.end - base)).append('|').append(n.prio).append('|').append(n.nv)
                .append('|').append(n.type).append('|').append(n.name).append('|').append(n.disabled)
                .append('|').append(n.placeholder);
        if (n.alias) {
            sb.append("|@").append(n.targetName).append('|').append(Long.toHexString(n.aliasStart));
        }
        sb.append('\n');
        for (DumpNode c : n.children) {
            sb.append(signature(c, base, depth + 1));
        }
        return sb.toString();
    }
}
