package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.Size;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes address spaces in QEMU's {@code info mtree} formats, byte for byte as QEMU 7.2 prints them:
 * the tree ({@code mtree_info_as}, with or without {@code -D}) and the flat views ({@code mtree_info_flatview}).
 *
 * <p>QEMU prints address-space blocks and flat views in hash-table order; we print them in the order of
 * the address spaces given. Inside a block everything else follows QEMU exactly.
 *
 * <p>Stateless and thread-safe; read the topology while no one changes it.
 */
public final class MtreeExporter {
    private static final String INDENT = "  ";

    private MtreeExporter() {
    }

    /**
     * The tree dump of {@code spaces}, as {@code info mtree} ({@code showDisabled} false) or
     * {@code info mtree -D} prints it.
     *
     * @param memoryRegionOrder regions whose {@code memory-region:} blocks come first, in this order (pass an
     *                          import's {@link MtreeImport#memoryRegionBlocks()} to reproduce its dump); the
     *                          other alias targets follow in QEMU's order (first reference first)
     */
    public static String tree(List<AddressSpace> spaces, boolean showDisabled, List<MemoryRegion> memoryRegionOrder) {
        return tree(spaces, showDisabled, memoryRegionOrder, DumpStyle.CURRENT);
    }

    /**
     * The tree dump of {@code spaces} as the QEMU version {@code style} stands for prints it: grouped by root
     * (QEMU 6.2 and later) or one block per address space in the order given (before 6.2), aliases typed as their
     * targets (QEMU 3.0 and later) or as {@code i/o} (2.10 to 2.12), with {@code style}'s line ends.
     *
     * @param memoryRegionOrder as for {@link #tree(List, boolean, List)}
     */
    public static String tree(List<AddressSpace> spaces, boolean showDisabled, List<MemoryRegion> memoryRegionOrder,
                              DumpStyle style) {
        return tree(spaces, showDisabled, memoryRegionOrder, style, List.of());
    }

    /**
     * As {@link #tree(List, boolean, List, DumpStyle)}, without {@code memory-region:} blocks for {@code unprinted}
     * (an import's {@link MtreeImport#unknownTargets()}, which its dump did not print).
     */
    public static String tree(List<AddressSpace> spaces, boolean showDisabled, List<MemoryRegion> memoryRegionOrder,
                              DumpStyle style, java.util.Collection<MemoryRegion> unprinted) {
        StringBuilder out = new StringBuilder();
        Map<MemoryRegion, List<String>> byRoot = new LinkedHashMap<>();
        Map<MemoryRegion, MemoryRegion> identity = new IdentityHashMap<>();
        for (AddressSpace as : spaces) {
            MemoryRegion key = identity.computeIfAbsent(as.root(), r -> r);
            byRoot.computeIfAbsent(key, k -> new ArrayList<>()).add(as.name());
        }
        Set<MemoryRegion> queued = Collections.newSetFromMap(new IdentityHashMap<>());
        List<MemoryRegion> queue = new ArrayList<>();
        if (style.groupedAddressSpaces()) {
            for (Map.Entry<MemoryRegion, List<String>> e : byRoot.entrySet()) {
                List<String> names = new ArrayList<>(e.getValue());
                names.sort(MtreeExporter::strcmp);
                for (String n : names) {
                    out.append("address-space: ").append(n).append('\n');
                }
                printRegion(out, e.getKey(), 1, 0, queue, queued, showDisabled, style);
                out.append('\n');
            }
        } else {
            for (AddressSpace as : spaces) {
                out.append("address-space: ").append(as.name()).append('\n');
                printRegion(out, as.root(), 1, 0, queue, queued, showDisabled, style);
                out.append('\n');
            }
        }
        List<MemoryRegion> order = new ArrayList<>(memoryRegionOrder);
        Set<MemoryRegion> printed = Collections.newSetFromMap(new IdentityHashMap<>());
        printed.addAll(unprinted);
        int q = 0;
        int o = 0;
        while (true) {
            MemoryRegion next = null;
            if (o < order.size()) {
                next = order.get(o++);
            } else if (q < queue.size()) {
                next = queue.get(q++);
            } else {
                break;
            }
            if (!printed.add(next)) {
                continue;
            }
            out.append("memory-region: ").append(next.name()).append('\n');
            printRegion(out, next, 1, 0, queue, queued, showDisabled, style);
            out.append('\n');
        }
        return style.applyLineEnds(out.toString());
    }

    /** The tree dump of {@code spaces}, alias targets in QEMU's order. */
    public static String tree(List<AddressSpace> spaces, boolean showDisabled) {
        return tree(spaces, showDisabled, List.of());
    }

    /** Re-exports an import as the dump it came from (with {@code -D} if it had it, in its {@link DumpStyle}). */
    public static String tree(MtreeImport imported) {
        return tree(imported.addressSpaces(), imported.showsDisabled(), imported.memoryRegionBlocks(), imported.style(),
                imported.blocklessTargets());
    }

    /** Byte order, like C's {@code strcmp} on UTF-8. */
    static int strcmp(String a, String b) {
        byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }

    /** One region still to print, with the indent level and the absolute address of its container. */
    private record Pending(MemoryRegion mr, int level, long base) {
    }

    /**
     * Prints {@code root}'s subtree as QEMU's {@code mtree_print_mr} does, depth first, with an explicit stack: a
     * tree's depth must not be limited by the caller's thread stack.
     */
    private static void printRegion(StringBuilder out, MemoryRegion root, int rootLevel, long rootBase,
                                    List<MemoryRegion> queue, Set<MemoryRegion> queued, boolean showDisabled,
                                    DumpStyle style) {
        java.util.ArrayDeque<Pending> stack = new java.util.ArrayDeque<>();
        stack.push(new Pending(root, rootLevel, rootBase));
        while (!stack.isEmpty()) {
            Pending p = stack.pop();
            MemoryRegion mr = p.mr();
            int level = p.level();
            long base = p.base();
            long curStart = base + mr.address();
            long curEnd = curStart + mr.size().mtreeSpan();
            boolean overflow = Long.compareUnsigned(curStart, base) < 0 || Long.compareUnsigned(curEnd, curStart) < 0;
            boolean show = mr.isEnabled() || showDisabled;
            if (mr.aliasTarget() != null && queued.add(mr.aliasTarget())) {
                queue.add(mr.aliasTarget());
            }
            if (show) {
                if (overflow) {
                    out.append("[DETECTED OVERFLOW!] ");
                }
                out.append(INDENT.repeat(level));
                out.append(Size.hex16(curStart)).append('-').append(Size.hex16(curEnd))
                        .append(" (prio ").append(mr.priority()).append(", ")
                        .append(mr.isNonVolatile() ? "nv-" : "")
                        .append(mr.aliasTarget() != null && !style.aliasTargetTypes() ? "i/o" : MtreeTypes.of(mr, style))
                        .append("): ");
                if (mr.aliasTarget() != null) {
                    long off = mr.aliasOffset();
                    out.append("alias ").append(mr.name()).append(" @").append(mr.aliasTarget().name()).append(' ')
                            .append(Size.hex16(off)).append('-').append(Size.hex16(off + mr.size().mtreeSpan()));
                } else {
                    out.append(mr.name());
                }
                if (!mr.isEnabled()) {
                    out.append(" [disabled]");
                }
                out.append('\n');
            }
            List<MemoryRegion> children = new ArrayList<>(mr.subregions());
            // stable: equal (address, priority) keep precedence order, as QEMU's insertion into its print queue does
            children.sort((a, b) -> {
                int c = Long.compareUnsigned(a.address(), b.address());
                return c != 0 ? c : Integer.compare(b.priority(), a.priority());
            });
            for (int i = children.size() - 1; i >= 0; i--) {
                stack.push(new Pending(children.get(i), level + 1, curStart));
            }
        }
    }

    /**
     * The flat views of {@code spaces}, as {@code info mtree -f} prints them: one {@code FlatView #n} block per
     * distinct view (address spaces rendering from the same root share one), in order of first use.
     */
    public static String flat(List<AddressSpace> spaces) {
        return flat(spaces, DumpStyle.CURRENT);
    }

    /**
     * As {@link #flat(List)}, with the region types and line ends of {@code style} (an import's
     * {@link MtreeImport#style()}: a dump that printed {@code container} types is flattened with them).
     */
    public static String flat(List<AddressSpace> spaces, DumpStyle style) {
        Map<FlatView, List<AddressSpace>> byView = new LinkedHashMap<>();
        Map<FlatView, FlatView> identity = new IdentityHashMap<>();
        for (AddressSpace as : spaces) {
            FlatView v = identity.computeIfAbsent(as.flatView(), x -> x);
            byView.computeIfAbsent(v, k -> new ArrayList<>()).add(as);
        }
        StringBuilder out = new StringBuilder();
        int counter = 0;
        for (Map.Entry<FlatView, List<AddressSpace>> e : byView.entrySet()) {
            FlatView view = e.getKey();
            out.append("FlatView #").append(counter++).append('\n');
            for (AddressSpace as : e.getValue()) {
                out.append(" AS \"").append(as.name()).append("\", root: ").append(as.root().name());
                if (as.root().aliasTarget() != null) {
                    out.append(", alias ").append(as.root().aliasTarget().name());
                }
                out.append('\n');
            }
            out.append(" Root memory region: ").append(view.root() == null ? "(none)" : view.root().name()).append('\n');
            if (view.size() == 0) {
                out.append(INDENT).append("No rendered FlatView\n\n");
                continue;
            }
            for (FlatRange r : view.ranges()) {
                out.append(INDENT).append(Size.hex16(r.start())).append('-').append(Size.hex16(r.last()))
                        .append(" (prio ").append(r.region().priority()).append(", ")
                        .append(r.nonVolatile() ? "nv-" : "").append(MtreeTypes.of(r, style)).append("): ")
                        .append(r.region().name());
                if (r.offsetInRegion() != 0) {
                    out.append(" @").append(Size.hex16(r.offsetInRegion()));
                }
                out.append('\n');
            }
            out.append('\n');
        }
        return style.applyLineEnds(out.toString());
    }
}
