package dev.mmiomediator.benchmarks.lookup;

import java.util.Locale;
import java.util.function.Function;

/** The dispatch designs the lookup suites compare, by the name their {@code impl} parameter takes. */
public enum LookupImpl {
    /** The mediator: {@code DmaPort.section}, the port's own dispatch ({@link MediatorLookup}). */
    MEDIATOR(map -> new MediatorLookup(map.mediator())),
    /** {@link FloorEntryLookup#treeMap}. */
    TREEMAP(FloorEntryLookup::treeMap),
    /** {@link FloorEntryLookup#skipList}. */
    SKIPLIST(FloorEntryLookup::skipList),
    /** {@link FastutilLookup}. */
    FASTUTIL(FastutilLookup::new),
    /** {@link BinarySearchLookup}. */
    BINARYSEARCH(BinarySearchLookup::new),
    /** {@link BranchlessLookup}. */
    BRANCHLESS(BranchlessLookup::new),
    /** {@link EytzingerLookup}. */
    EYTZINGER(EytzingerLookup::new),
    /** cloud-hypervisor's bus: {@link ChvLookup}. */
    CHV(ChvLookup::new),
    /** crosvm's bus: {@link CrosvmLookup}. */
    CROSVM(CrosvmLookup::new),
    /** rust-vmm vm-memory: {@link VmMemoryLookup}. */
    VMMEMORY(VmMemoryLookup::new),
    /** QEMU's phys_map: {@link QemuLookup}. */
    QEMU(QemuLookup::new);

    private final Function<RangeMap, RangeLookup> factory;

    LookupImpl(Function<RangeMap, RangeLookup> factory) {
        this.factory = factory;
    }

    /** The design named {@code name} (the lower-case constant name). */
    public static LookupImpl named(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** A new lookup of this design over {@code map}. */
    public RangeLookup over(RangeMap map) {
        return factory.apply(map);
    }
}
