package dev.mmiomediator.memory;

import dev.mmiomediator.fixtures.regions.RegionSpec;
import dev.mmiomediator.fixtures.regions.RegionTreeSpec;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/** A {@link RegionTreeSpec} built with the real memory API, for tests: its regions by spec id and its address space. */
public final class SpecModel {
    public final MemorySystem sys = new MemorySystem();
    public final Map<Integer, MemoryRegion> byId = new HashMap<>();
    public final Map<MemoryRegion, Integer> ids = new IdentityHashMap<>();
    public AddressSpace as;

    /** The spec id of a region, for messages. */
    public String name(MemoryRegion r) {
        return r == null ? "(none)" : "#" + ids.get(r);
    }

    /** Builds the spec with the regions' own names. */
    public static SpecModel build(RegionTreeSpec spec) {
        return build(spec, RegionSpec::name);
    }

    /**
     * Builds the spec with the memory API: regions (targets first), the address space, then the history in one
     * transaction, which must render once.
     */
    public static SpecModel build(RegionTreeSpec spec, Function<RegionSpec, String> names) {
        SpecModel b = new SpecModel();
        MemorySystem sys = b.sys;
        for (RegionSpec r : spec.creationOrder()) {
            Size size = r.size().equals(RegionSpec.FULL) ? Size.FULL : Size.of(r.size().longValueExact());
            String name = names.apply(r);
            MemoryRegion mr;
            switch (r.kind()) {
                case RAM: mr = sys.ram(name, size); break;
                case ROM: mr = sys.rom(name, size); break;
                case RAM_DEVICE: mr = sys.ramDevice(name, size); break;
                case ROM_DEVICE: mr = sys.romDevice(name, size, MemoryRegionOps.UNASSIGNED); break;
                case MMIO: mr = sys.mmio(name, size, MemoryRegionOps.UNASSIGNED); break;
                case CONTAINER: mr = sys.container(name, size); break;
                case ALIAS: mr = sys.alias(name, b.byId.get(r.aliasTargetId()), r.aliasOffset(), size); break;
                default: throw new AssertionError(r.kind());
            }
            if (!r.enabled()) {
                mr.setEnabled(false);
            }
            if (r.readOnly()) {
                mr.setReadOnly(true);
            }
            b.byId.put(r.id(), mr);
            b.ids.put(mr, r.id());
        }
        b.as = sys.addressSpace("as", b.byId.get(spec.root().id()));
        long before = sys.renderCount();
        sys.transaction(() -> {
            for (RegionTreeSpec.Event e : spec.history()) {
                MemoryRegion child = b.byId.get(e.child().id());
                if (e.type() == RegionTreeSpec.EventType.ADD) {
                    b.byId.get(e.parent().id()).addSubregion(child, e.address(), e.priority());
                } else {
                    child.setAddress(e.address());
                }
            }
        });
        long renders = sys.renderCount() - before;
        if (renders > 1) {
            throw new AssertionError("seed " + spec.seed() + ": one transaction rendered " + renders + " times");
        }
        return b;
    }
}
