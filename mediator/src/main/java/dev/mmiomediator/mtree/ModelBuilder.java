package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mmiomediator.mtree.MtreeText.abbreviate;
import static dev.mmiomediator.mtree.MtreeText.abbreviateQuoted;

/**
 * Builds the {@link MemorySystem} of a parsed and inferred dump: one region per distinct printed region, placed
 * and configured as printed, and one address space per {@code address-space:} header (those whose blocks share
 * a root, see {@link SharedRoots}, on that one root). Imported MMIO and ROM-device
 * regions get {@link MemoryRegionOps#UNASSIGNED} callbacks.
 */
final class ModelBuilder {
    private final ImportContext ctx;

    ModelBuilder(ImportContext ctx) {
        this.ctx = ctx;
    }

    /**
     * The import of {@code blocks}.
     *
     * @param all every node of the blocks, in print order
     */
    MtreeImport build(List<DumpBlock> blocks, List<DumpNode> all, DumpStyle style) {
        MemorySystem system = new MemorySystem();
        List<AddressSpace> spaces = new ArrayList<>();
        List<MemoryRegion> mrBlocks = new ArrayList<>();
        List<MemoryRegion> placeholders = new ArrayList<>();
        List<MtreeImport.TaggedBar> bars;
        List<MemoryRegion> unknownTargets;
        List<MemoryRegion> blockless = new ArrayList<>();
        try (MemorySystem.Transaction tx = system.begin()) {
            for (DumpNode n : all) {
                if (n.placeholder && n.size == null) {
                    n.size = Size.ofLast(-1L - (n.start - (n.parent == null ? 0 : n.parent.start)));
                }
            }
            for (DumpNode n : all) {
                if (n.canonical == n && !n.alias) {
                    n.region = create(system, n);
                    if (n.placeholder) {
                        placeholders.add(n.region);
                    }
                }
            }
            List<MemoryRegion> unknown = new ArrayList<>();
            unknownTargets = unknown;
            for (DumpNode n : ctx.unknownTargets()) {
                n.region = create(system, n);
                unknown.add(n.region);
            }
            for (DumpNode n : all) {
                if (n.canonical == n && n.alias) {
                    createAlias(system, n, new IdentityHashMap<>());
                }
            }
            for (DumpNode n : all) {
                if (n.canonical == n) {
                    place(n);
                }
            }
            for (DumpBlock b : blocks) {
                if (b.mrName != null) {
                    mrBlocks.add(b.root.canonical.region);
                } else {
                    for (String name : b.asNames) {
                        spaces.add(system.addressSpace(name, b.root.canonical.region));
                    }
                }
            }
            for (DumpNode n : ctx.blocklessTargets()) {
                blockless.add(n.canonical.region);
            }
            catalogueNotes(all);
            bars = new PassthroughBarTagger(ctx).tag(all);
        }
        return new MtreeImport(ctx.source(), system, spaces, mrBlocks, ctx.showsDisabled(), placeholders, ctx.notes(),
                bars, style, unknownTargets, blockless);
    }

    /** Adds {@code n}'s children to its region and sets the attributes the dump prints or the catalogue adds. */
    private void place(DumpNode n) {
        MemoryRegion r = n.region;
        // The order children were added is not printed, only implied: QEMU prints equal (address,
        // priority) children most recent first, so each such run is added in reverse print order. Across
        // addresses nothing is printed; real boards (Aspeed, NPCM) add catch-all regions before the
        // devices inside them, so a later address is taken as added later.
        int from = 0;
        while (from < n.children.size()) {
            int to = from + 1;
            DumpNode first = n.children.get(from);
            while (to < n.children.size() && n.children.get(to).start == first.start
                    && n.children.get(to).prio == first.prio) {
                to++;
            }
            for (int i = to - 1; i >= from; i--) {
                DumpNode c = n.children.get(i);
                try {
                    r.addSubregion(c.region, c.start - n.start, c.prio);
                } catch (IllegalArgumentException e) {
                    throw ctx.error(c.line, abbreviateQuoted(e.getMessage()));
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
        if (!n.placeholder && ctx.catalogue().has(RegionCatalogue.Hint.READONLY, n.name)) {
            r.setReadOnly(true);
        }
    }

    /** Notes each catalogue rule that decided something, with how many regions it decided. */
    private void catalogueNotes(List<DumpNode> all) {
        RegionCatalogue catalogue = ctx.catalogue();
        Map<String, Integer> used = new LinkedHashMap<>();
        for (DumpNode n : all) {
            if (n.canonical != n || n.placeholder) {
                continue;
            }
            for (RegionCatalogue.Hint h : RegionCatalogue.Hint.values()) {
                RegionCatalogue.Rule rule = catalogue.ruleFor(n.name, h);
                if (rule == null) {
                    continue;
                }
                boolean kindRuleDecided = catalogue.kindHint(n.name) == h && MtreeTypes.isIoLike(n.type) && !n.alias;
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
        used.forEach((k, count) -> ctx.note("catalogue: " + k + (count > 1 ? " x" + count : "")));
    }

    private static MemoryRegion create(MemorySystem system, DumpNode n) {
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

    private MemoryRegion createAlias(MemorySystem system, DumpNode n, Map<DumpNode, Boolean> visiting) {
        if (n.region != null) {
            return n.region;
        }
        if (visiting.containsKey(n)) {
            throw ctx.error(n.line, "alias cycle: alias '" + abbreviate(n.name) + "' reaches itself through "
                    + "its targets");
        }
        visiting.put(n, true);
        DumpNode t = n.target.canonical;
        MemoryRegion target = t.alias ? createAlias(system, t, visiting) : t.region;
        try {
            n.region = system.alias(n.name, target, n.aliasStart, n.size);
        } catch (IllegalArgumentException e) {
            throw ctx.error(n.line, abbreviateQuoted(e.getMessage()));
        }
        return n.region;
    }
}
