package dev.mmiomediator.migration.sim;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.Passthrough;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.memory.SparseRam;
import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.migration.VmHooks;
import dev.mmiomediator.migration.plan.PassthroughSpec;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.stream.RamSection;
import dev.mmiomediator.policy.EngineLog;
import dev.mmiomediator.policy.MigrationControl;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One side of a simulated migration: a VM built from a {@link Topology} and a {@link GuestMap}, with guest RAM, the
 * passthrough devices as {@link SimulatedPassthroughDevice}s whose BARs are mapped into the guest's address space
 * and declared as passthrough, a {@link Mediator} whose P2P handler is a {@link PolicyEngine}, and the software
 * devices as {@link SoftwareDevice} workers doing DMA from their own threads.
 *
 * <p>Layout: the map's, either the planner's ({@link GuestMap#planned}: RAM ({@value #RAM_SIZE} bytes, or one
 * {@link #RAM_WINDOW} per software device if that is more) at address 0, the BARs from {@value #BAR_BASE} upward)
 * or a real VM's, read from its {@code info mtree} dump: its RAM regions at their guest addresses and sizes, its
 * BARs at theirs. RAM and BARs are sparse ({@link SparseRam}), so a 64 GiB guest with 256 MiB BARs costs the pages
 * written. Both sides of a migration build the same layout from the same topology and map. Software device
 * {@code i} (0-based) owns the RAM window {@code [i * RAM_WINDOW, (i + 1) * RAM_WINDOW)} from the start of the
 * largest RAM piece (rounded up to a {@link #RAM_WINDOW}) and, in every BAR the map places, the window
 * {@code [i * w, (i + 1) * w)} with {@code w} {@link #BAR_WINDOW}, or less for a BAR too small to give each device
 * that much; so the expected final images follow from each worker's own record of its accepted writes. A BAR the
 * map does not place (port I/O) is no DMA target.
 *
 * <p><b>Note:</b> building and the accessors are for one controlling thread; the workers run on their own.
 */
public final class SimulatedVm {
    /** Guest RAM size, or more: one {@link #RAM_WINDOW} per software device when they need more. */
    public static final long RAM_SIZE = 8L << 20;
    /** Where the first BAR is mapped. */
    public static final long BAR_BASE = 0xe0000000L;
    /** RAM bytes each software device writes into. */
    public static final int RAM_WINDOW = 1 << 20;
    /** Bytes of each BAR each software device writes into, at most. */
    public static final int BAR_WINDOW = 256;
    /** The RAM page size carried in the stream. */
    public static final int PAGE = 4096;
    /** The name of the RAM region of the planner's layout, as carried in the migration stream. */
    public static final String RAM_REGION = "pc.ram";

    private final Topology topology;
    private final GuestMap map;
    private final Map<String, SparseRam> ram = new LinkedHashMap<>();
    private final Mediator mediator;
    private final PolicyEngine engine;
    private final Map<PciAddress, SimulatedPassthroughDevice> devices = new LinkedHashMap<>();
    private final Map<PciAddress, Map<Integer, Long>> barAddresses = new LinkedHashMap<>();
    private final List<SoftwareDevice> software = new ArrayList<>();

    /** As {@link #SimulatedVm(Topology, GuestMap, SoftwareDevice.Side, P2pPolicy, MigrationControl, PolicyEngine.Settings, long)} with the planner's layout. */
    public SimulatedVm(Topology topology, SoftwareDevice.Side side, P2pPolicy policy, MigrationControl control,
                       PolicyEngine.Settings settings, long seed) {
        this(topology, GuestMap.planned(topology), side, policy, control, settings, seed);
    }

    /**
     * Builds the VM: devices RUNNING with zeroed BARs, zeroed RAM, workers created but not started.
     *
     * @param map  where RAM and the BARs sit; every BAR it places must be one of the topology's
     * @param side which half of their windows the software devices write into
     * @param seed the workers' seeds derive from it (worker {@code i} uses {@code seed + i})
     * @throws IllegalArgumentException naming the device, BAR or worker if the topology does not fit the map
     */
    public SimulatedVm(Topology topology, GuestMap map, SoftwareDevice.Side side, P2pPolicy policy,
                       MigrationControl control, PolicyEngine.Settings settings, long seed) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.map = Objects.requireNonNull(map, "map");
        int workers = topology.softwareDevices().size();
        check(topology, map);
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        Map<String, MemoryRegion> ramRegions = new LinkedHashMap<>();
        map.ramRegions().forEach((name, size) -> {
            SparseRam backing = new SparseRam(size);
            ram.put(name, backing);
            MemoryRegion region = sys.ram(name, Size.of(size));
            region.setRamBacking(backing);
            ramRegions.put(name, region);
        });
        this.engine = new PolicyEngine(policy, control, settings);
        List<Runnable> declare = new ArrayList<>();
        List<PassthroughBar> targetBars = new ArrayList<>();
        List<Integer> barWindows = new ArrayList<>();
        try (MemorySystem.Transaction tx = sys.begin()) {
            int n = 0;
            for (GuestMap.RamPiece piece : map.ram()) {
                MemoryRegion region = ramRegions.get(piece.region());
                if (piece.offset() == 0 && piece.size() == region.size().bytes()) {
                    system.addSubregion(region, piece.address());
                } else {
                    system.addSubregion(sys.alias(piece.region() + "-" + n++, region, piece.offset(),
                            Size.of(piece.size())), piece.address());
                }
            }
            for (PassthroughSpec spec : topology.passthrough()) {
                SimulatedPassthroughDevice sim = new SimulatedPassthroughDevice(spec.address(), spec.flags(),
                        spec.bars().toArray(new PciBar[0]));
                Map<Integer, MemoryRegion> regions = new LinkedHashMap<>();
                Map<Integer, Long> addresses = new LinkedHashMap<>();
                for (PciBar bar : sim.device().bars()) {
                    PassthroughBar id = new PassthroughBar(spec.address(), bar.index());
                    Long at = map.bars().get(id);
                    if (at == null) {
                        continue; // not in memory: no DMA reaches it
                    }
                    barWindows.add(barWindow(id, bar.size(), workers));
                    targetBars.add(id);
                    MemoryRegion region = sys.container(sim.device().barRegionName(bar.index()), Size.of(bar.size()));
                    region.addSubregion(sys.ramDevice(sim.device().barRegionName(bar.index()) + " mmaps[0]",
                            Size.of(bar.size())), 0);
                    system.addSubregion(region, at);
                    regions.put(bar.index(), region);
                    addresses.put(bar.index(), at);
                }
                devices.put(spec.address(), sim);
                barAddresses.put(spec.address(), Collections.unmodifiableMap(addresses));
                declare.add(() -> Passthrough.declare(sim.device(), regions));
                try (EngineLog.Scope s = EngineLog.side(side.name().toLowerCase(Locale.ROOT))) {
                    engine.register(sim.device(), SimulatedP2pTarget.of(sim));
                }
            }
        }
        declare.forEach(Runnable::run);
        AddressSpace memory = sys.addressSpace("memory", system);
        this.mediator = new Mediator(memory);
        mediator.setP2pHandler(engine);
        PciAddress[] targetDevices = barAddresses.keySet().toArray(new PciAddress[0]);
        long[] targets = new long[targetBars.size()];
        int[] targetDevice = new int[targets.length];
        int[] windows = new int[targets.length];
        for (int b = 0; b < targets.length; b++) {
            PassthroughBar bar = targetBars.get(b);
            targets[b] = barAddresses.get(bar.device()).get(bar.bar());
            targetDevice[b] = Arrays.asList(targetDevices).indexOf(bar.device());
            windows[b] = barWindows.get(b);
        }
        GuestMap.RamPiece dma = map.largestRamPiece();
        long skip = Math.floorMod(-dma.address(), (long) RAM_WINDOW); // windows aligned in guest addresses
        int p2pEvery = SoftwareDevice.p2pEvery(workers);
        PassthroughBar[] named = targetBars.toArray(new PassthroughBar[0]);
        for (int i = 0; i < workers; i++) {
            software.add(new SoftwareDevice(topology.softwareDevices().get(i), i, side, mediator,
                    dma.address() + skip, dma.region(), dma.offset() + skip, targets, windows, named, targetDevice,
                    targetDevices, p2pEvery, seed + i));
        }
    }

    /**
     * Checks that a VM of {@code topology} can be built on {@code map}: every BAR the map places is the topology's,
     * none overlaps another or RAM, the largest RAM piece holds a {@link #RAM_WINDOW} per software device and every
     * placed BAR 16 bytes per software device.
     *
     * @throws IllegalArgumentException naming what does not fit
     */
    public static void check(Topology topology, GuestMap map) {
        checkBars(topology, map);
        int workers = topology.softwareDevices().size();
        GuestMap.RamPiece dma = map.largestRamPiece();
        long skip = Math.floorMod(-dma.address(), (long) RAM_WINDOW);
        if (skip + (long) workers * RAM_WINDOW > dma.size()) {
            throw new IllegalArgumentException("RAM " + dma.region() + " at " + Size.hex(dma.address()) + " ("
                    + dma.size() + " bytes): too small for " + workers + " software devices of " + RAM_WINDOW
                    + " bytes each");
        }
        topology.passthrough().forEach(p -> p.bars().forEach(b -> {
            PassthroughBar bar = new PassthroughBar(p.address(), b.index());
            if (map.bars().containsKey(bar)) {
                barWindow(bar, b.size(), workers);
            }
        }));
    }

    /** Every BAR the map places is the topology's, and none overlaps another or RAM. */
    private static void checkBars(Topology topology, GuestMap map) {
        Map<PassthroughBar, Long> sizes = new LinkedHashMap<>();
        topology.passthrough().forEach(p -> p.bars().forEach(
                b -> sizes.put(new PassthroughBar(p.address(), b.index()), b.size())));
        List<long[]> extents = new ArrayList<>();
        List<String> names = new ArrayList<>();
        map.ram().forEach(r -> {
            extents.add(new long[] {r.address(), r.last(), names.size()});
            names.add(r.region() + " at " + Size.hex(r.address()));
        });
        map.bars().forEach((bar, at) -> {
            Long size = sizes.get(bar);
            if (size == null) {
                throw new IllegalArgumentException("guest map: " + bar + " is not a BAR of topology '"
                        + topology.vm() + "', expected one of " + sizes.keySet());
            }
            if (at + size - 1 < at) {
                throw new IllegalArgumentException("guest map: " + bar + " at " + Size.hex(at) + " (" + size
                        + " bytes) crosses 2^63");
            }
            extents.add(new long[] {at, at + size - 1, names.size()});
            names.add(bar + " (" + size + " bytes) at " + Size.hex(at));
        });
        extents.sort(Comparator.comparingLong(e -> e[0]));
        for (int i = 1; i < extents.size(); i++) {
            if (extents.get(i)[0] <= extents.get(i - 1)[1]) {
                throw new IllegalArgumentException("guest map: " + names.get((int) extents.get(i - 1)[2]) + " and "
                        + names.get((int) extents.get(i)[2]) + " overlap, expected disjoint");
            }
        }
    }

    /**
     * Each software device's window in a BAR of {@code size} bytes: {@link #BAR_WINDOW}, or the largest multiple
     * of 16 that gives each of {@code workers} devices one.
     *
     * @throws IllegalArgumentException naming the BAR if it cannot give each device 16 bytes
     */
    static int barWindow(PassthroughBar bar, long size, int workers) {
        long each = Math.min(BAR_WINDOW, size / Math.max(1, workers) / 16 * 16);
        if (each < 16) {
            throw new IllegalArgumentException(bar + " (" + size + " bytes): too small for " + workers
                    + " software devices of 16 bytes each");
        }
        return (int) each;
    }

    /**
     * The RAM a VM of {@code topology} has: {@link #RAM_SIZE}, or one {@link #RAM_WINDOW} per software device
     * when there are more than fit it (both sides of a migration build it from the same topology).
     *
     * @throws IllegalArgumentException when the software devices need more than 1 GiB
     */
    public static long ramSize(Topology topology) {
        long need = (long) topology.softwareDevices().size() * RAM_WINDOW;
        if (need > 1L << 30) {
            throw new IllegalArgumentException("topology '" + topology.vm() + "' has "
                    + topology.softwareDevices().size() + " software devices, at most " + (1L << 30) / RAM_WINDOW
                    + " fit the simulated RAM");
        }
        return Math.max(RAM_SIZE, need);
    }

    /** The topology it was built from. */
    public Topology topology() {
        return topology;
    }

    /** The policy engine (the mediator's P2P handler). */
    public PolicyEngine engine() {
        return engine;
    }

    /** The mediator. */
    public Mediator mediator() {
        return mediator;
    }

    /** The passthrough devices, in topology order. */
    public Map<PciAddress, SimulatedPassthroughDevice> devices() {
        return Collections.unmodifiableMap(devices);
    }

    /** The passthrough devices' models, in topology order, as the migration orchestrators take them. */
    public List<PassthroughDevice> passthroughDevices() {
        return devices.values().stream().map(SimulatedPassthroughDevice::device).toList();
    }

    /** The P2P writes the mediator accepted (forwarded or queued) from this VM's software devices. */
    public long acceptedP2pWrites() {
        long n = 0;
        for (SoftwareDevice s : software) {
            n += s.forwarded() + s.queued();
        }
        return n;
    }

    /**
     * The MMIO writes this VM's passthrough devices took, by their own count (it travels in their state): a total
     * only; {@link #checkWrites} judges each write.
     */
    public long deviceWrites() {
        long n = 0;
        for (SimulatedPassthroughDevice d : devices.values()) {
            n += d.registers()[SimulatedPassthroughDevice.REG_WRITES];
        }
        return n;
    }

    /**
     * Per passthrough device, the identities of the P2P writes this VM's software devices had accepted for it
     * (forwarded or queued); read after {@link #stopSoftware}.
     */
    public Map<PciAddress, long[]> acceptedIdentities() {
        Map<PciAddress, long[]> out = new LinkedHashMap<>();
        devices.keySet().forEach(d -> out.put(d, new long[0]));
        for (SoftwareDevice s : software) {
            s.acceptedIdentities().forEach((d, ids) -> {
                long[] before = out.get(d);
                long[] both = Arrays.copyOf(before, before.length + ids.length);
                System.arraycopy(ids, 0, both, before.length, ids.length);
                out.put(d, both);
            });
        }
        return out;
    }

    /** Per passthrough device, its write ledger: every MMIO write it took, in order, the carried part first. */
    public Map<PciAddress, long[]> takenIdentities() {
        Map<PciAddress, long[]> out = new LinkedHashMap<>();
        devices.forEach((address, sim) -> out.put(address, sim.writeLedger()));
        return out;
    }

    /** Writes this VM's devices took while their ledger was full (0 unless a ledger is incomplete). */
    public long unrecordedWrites() {
        long n = 0;
        for (SimulatedPassthroughDevice d : devices.values()) {
            n += d.unrecordedWrites();
        }
        return n;
    }

    /**
     * Judges each write this VM's devices took against the P2P writes accepted on {@code acceptedOn} (the sides
     * whose software devices' writes this VM's devices owe: the source, and the destination too when it runs the
     * VM): see {@link WriteLedger#check}. Stop the software devices first.
     */
    public WriteLedger.Check checkWrites(SimulatedVm... acceptedOn) {
        List<Map<PciAddress, long[]>> sides = new ArrayList<>();
        for (SimulatedVm vm : acceptedOn) {
            sides.add(vm.acceptedIdentities());
        }
        return WriteLedger.check(WriteLedger.union(sides), takenIdentities(), unrecordedWrites());
    }

    /** The software devices, in topology order. */
    public List<SoftwareDevice> software() {
        return Collections.unmodifiableList(software);
    }

    /** Where each BAR of {@code device} is mapped, by BAR index. */
    public Map<Integer, Long> barAddresses(PciAddress device) {
        return barAddresses.get(device);
    }

    /** Where RAM and the BARs sit. */
    public GuestMap guestMap() {
        return map;
    }

    /** Each RAM region's backing, by name, in the map's order (sparse: only written pages cost memory). */
    public Map<String, SparseRam> ram() {
        return Collections.unmodifiableMap(ram);
    }

    /** Starts every software device's thread. */
    public void startSoftware() {
        software.forEach(SoftwareDevice::start);
    }

    /** Stops every software device's thread and waits for it (the VM stops). */
    public void stopSoftware() {
        software.forEach(SoftwareDevice::stop);
    }

    /**
     * The VM as a migration sees it: stop and resume are the software devices' threads; RAM is carried as its
     * non-zero 4 KiB pages, per RAM region.
     */
    public VmHooks hooks() {
        return new VmHooks() {
            @Override
            public void requestStop() {
                software.forEach(SoftwareDevice::requestStop);
            }

            @Override
            public boolean stopped() {
                return software.stream().allMatch(SoftwareDevice::stopped);
            }

            @Override
            public boolean awaitStopped(Duration timeout) throws InterruptedException {
                long end = System.nanoTime() + timeout.toNanos();
                for (SoftwareDevice s : software) {
                    if (!s.awaitStopped(end)) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public void resume() {
                stopSoftware(); // a stop under way finishes first: the workers end after their current access
                startSoftware();
            }

            @Override
            public void checkRam(RamSection s) {
                SparseRam r = ram.get(s.region());
                if (r == null || s.offset() < 0 || s.offset() > r.size() - s.data().length) {
                    throw new IllegalArgumentException("RAM section " + s.region() + "+0x"
                            + Long.toHexString(s.offset()) + "/" + s.data().length + ": expected "
                            + (r == null ? "one of the RAM regions " + ram.keySet()
                            : "region " + s.region() + " within its " + r.size() + " bytes"));
                }
            }

            @Override
            public List<RamSection> saveRam() {
                List<RamSection> pages = new ArrayList<>();
                ram.forEach((name, r) -> r.nonZeroPages(PAGE).forEach(
                        (offset, page) -> pages.add(new RamSection(name, offset, page))));
                return pages;
            }

            @Override
            public void loadRam(List<RamSection> sections) {
                sections.forEach(this::checkRam);
                sections.forEach(s -> ram.get(s.region()).write(s.offset(), s.data(), 0, s.data().length));
            }
        };
    }

    /**
     * As {@link #hooks()}, but {@link VmHooks#resume()} starts the software devices and then returns only once
     * {@code release} has a reason to cancel, or after {@code hold} at the latest. For tests: a destination starts the VM's DMA before
     * its devices ({@link dev.mmiomediator.migration.DestinationMigration}), so holding there keeps the devices
     * RESUMING while the software devices run, until (say) a policy has met one and asked to cancel. A zero
     * {@code hold} is {@link #hooks()}.
     */
    public VmHooks hooksHoldingResume(Duration hold, AbortSwitch release) {
        Objects.requireNonNull(release, "release");
        if (hold.isNegative()) {
            throw new IllegalArgumentException("hold " + hold + ", expected zero or more");
        }
        VmHooks plain = hooks();
        if (hold.isZero()) {
            return plain;
        }
        return new VmHooks() {
            @Override
            public void requestStop() {
                plain.requestStop();
            }

            @Override
            public boolean stopped() {
                return plain.stopped();
            }

            @Override
            public boolean awaitStopped(Duration timeout) throws InterruptedException {
                return plain.awaitStopped(timeout);
            }

            @Override
            public void checkRam(RamSection section) {
                plain.checkRam(section);
            }

            @Override
            public void resume() {
                plain.resume();
                try {
                    release.await(hold);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public List<RamSection> saveRam() {
                return plain.saveRam();
            }

            @Override
            public void loadRam(List<RamSection> ram) {
                plain.loadRam(ram);
            }
        };
    }

    /** RAM and every BAR as they are now (stop the software devices first for a stable image). */
    public VmImage actualImage() {
        VmImage image = new VmImage();
        ram.forEach((name, r) -> image.putPages(VmImage.ramPlace(name), r.nonZeroPages(VmImage.PAGE)));
        devices.forEach((address, sim) -> sim.device().bars().forEach(bar -> image.putPages(
                VmImage.barPlace(new PassthroughBar(address, bar.index())), sim.barPages(bar.index()))));
        return image;
    }

    /** An image of this layout with zeroed RAM and BARs, as a freshly built VM has. */
    public VmImage blankImage() {
        return new VmImage();
    }

    /**
     * Paints into {@code image} what this VM's software devices' accepted writes say memory must hold in their
     * windows (the other side's windows are left alone, so a source's and a destination's paintings combine).
     */
    public void paintExpected(VmImage image) {
        paint(image, false);
    }

    /**
     * Zeroes in {@code image} the windows this VM's software devices write into: what is left is the other
     * side's part, comparable across processes by {@link VmImage#digest()}.
     */
    public void clearOwnWindows(VmImage image) {
        paint(image, true);
    }

    private void paint(VmImage image, boolean clear) {
        for (SoftwareDevice s : software) {
            s.paint(image, clear);
        }
    }

    @Override
    public String toString() {
        return "simulated VM '" + topology.vm() + "' (" + devices.size() + " passthrough, " + software.size()
                + " software devices, policy " + engine.policy().name() + ")";
    }
}
