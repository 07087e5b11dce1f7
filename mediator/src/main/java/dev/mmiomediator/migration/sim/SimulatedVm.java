package dev.mmiomediator.migration.sim;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.Passthrough;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One side of a simulated migration: a VM built from a {@link Topology}, with guest RAM, the passthrough devices
 * as {@link SimulatedPassthroughDevice}s whose BARs are mapped into the guest's address space and declared as
 * passthrough, a {@link Mediator} whose P2P handler is a {@link PolicyEngine}, and the software devices as
 * {@link SoftwareDevice} workers doing DMA from their own threads.
 *
 * <p>Layout: RAM ({@value #RAM_SIZE} bytes, or one {@link #RAM_WINDOW} per software device if that is more) at
 * address 0; the BARs from {@value #BAR_BASE} upward, each aligned
 * to the next power of two of its size, in topology order. Both sides of a migration build the same layout from
 * the same topology. Software device {@code i} (0-based) owns the RAM window
 * {@code [i * RAM_WINDOW, (i + 1) * RAM_WINDOW)} and, in every BAR, the window
 * {@code [i * BAR_WINDOW, (i + 1) * BAR_WINDOW)}, so the expected final images follow from each worker's own
 * record of its accepted writes.
 *
 * <p><b>Note:</b> building and the accessors are for one controlling thread; the workers run on their own.
 */
public final class SimulatedVm {
    /** Guest RAM size, or more: one {@link #RAM_WINDOW} per software device when they need more. */
    public static final long RAM_SIZE = 8L << 20;
    /** The largest BAR {@link #fitting} leaves: the simulated device keeps its BARs dense and in its state. */
    public static final long FITTING_BAR_MAX = 64L << 10;
    /** Where the first BAR is mapped. */
    public static final long BAR_BASE = 0xe0000000L;
    /** RAM bytes each software device writes into. */
    public static final int RAM_WINDOW = 1 << 20;
    /** Bytes of each BAR each software device writes into. */
    public static final int BAR_WINDOW = 256;
    /** The RAM page size carried in the stream. */
    public static final int PAGE = 4096;
    /** The name of the RAM region, as carried in the migration stream. */
    public static final String RAM_REGION = "pc.ram";

    private final Topology topology;
    private final long ramSize;
    private final ByteBuf ram;
    private final Mediator mediator;
    private final PolicyEngine engine;
    private final Map<PciAddress, SimulatedPassthroughDevice> devices = new LinkedHashMap<>();
    private final Map<PciAddress, Map<Integer, Long>> barAddresses = new LinkedHashMap<>();
    private final List<SoftwareDevice> software = new ArrayList<>();

    /**
     * Builds the VM: devices RUNNING with zeroed BARs, zeroed RAM, workers created but not started.
     *
     * @param side which half of their windows the software devices write into
     * @param seed the workers' seeds derive from it (worker {@code i} uses {@code seed + i})
     * @throws IllegalArgumentException naming the device or worker if the topology does not fit the layout
     */
    public SimulatedVm(Topology topology, SoftwareDevice.Side side, P2pPolicy policy, MigrationControl control,
                       PolicyEngine.Settings settings, long seed) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.ramSize = ramSize(topology);
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        this.ram = Unpooled.buffer((int) ramSize, (int) ramSize);
        ram.writerIndex((int) ramSize);
        MemoryRegion pcRam = sys.ram(RAM_REGION, Size.of(ramSize));
        pcRam.setRamBacking(new ByteBufRam(ram));
        this.engine = new PolicyEngine(policy, control, settings);
        long next = BAR_BASE;
        List<Runnable> declare = new ArrayList<>();
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(pcRam, 0);
            for (PassthroughSpec spec : topology.passthrough()) {
                SimulatedPassthroughDevice sim = new SimulatedPassthroughDevice(spec.address(), spec.flags(),
                        spec.bars().toArray(new PciBar[0]));
                Map<Integer, MemoryRegion> regions = new LinkedHashMap<>();
                Map<Integer, Long> addresses = new LinkedHashMap<>();
                for (PciBar bar : sim.device().bars()) {
                    if (bar.size() < (long) BAR_WINDOW * Math.max(1, topology.softwareDevices().size())) {
                        throw new IllegalArgumentException(spec.address() + " " + bar + ": too small for "
                                + topology.softwareDevices().size() + " software devices of " + BAR_WINDOW
                                + " bytes each");
                    }
                    long align = Long.highestOneBit(bar.size());
                    align = align == bar.size() ? align : align << 1;
                    next = (next + align - 1) & -align;
                    MemoryRegion region = sys.container(sim.device().barRegionName(bar.index()), Size.of(bar.size()));
                    region.addSubregion(sys.ramDevice(sim.device().barRegionName(bar.index()) + " mmaps[0]",
                            Size.of(bar.size())), 0);
                    system.addSubregion(region, next);
                    regions.put(bar.index(), region);
                    addresses.put(bar.index(), next);
                    next += bar.size();
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
        long[] targets = barAddresses.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue)
                .toArray();
        int[] targetDevice = new int[targets.length];
        int at = 0;
        for (int d = 0; d < targetDevices.length; d++) {
            for (int b = 0; b < barAddresses.get(targetDevices[d]).size(); b++) {
                targetDevice[at++] = d;
            }
        }
        for (int i = 0; i < topology.softwareDevices().size(); i++) {
            software.add(new SoftwareDevice(topology.softwareDevices().get(i), i, side, mediator, targets,
                    targetDevice, targetDevices, seed + i));
        }
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

    /**
     * {@code topology} with every BAR resized to fit this layout: at least one {@link #BAR_WINDOW} per software
     * device (rounded up to a power of two), at most {@link #FITTING_BAR_MAX}, since the simulated device keeps a
     * BAR's bytes in memory and in its migration state. The devices, their BAR indexes, flags and the software
     * devices are unchanged. For a topology read from a real VM's memory map, whose BARs may be gigabytes.
     */
    public static Topology fitting(Topology topology) {
        long least = Long.highestOneBit(Math.max(1L, (long) BAR_WINDOW * topology.softwareDevices().size()) * 2 - 1);
        List<PassthroughSpec> fitted = new ArrayList<>();
        for (PassthroughSpec p : topology.passthrough()) {
            List<PciBar> bars = p.bars().stream()
                    .map(b -> new PciBar(b.index(), Math.max(least, Math.min(FITTING_BAR_MAX, b.size()))))
                    .toList();
            fitted.add(new PassthroughSpec(p.name(), p.address(), p.flags(), bars, p.declaredFlags()));
        }
        return new Topology(topology.vm(), fitted, topology.softwareDevices(), topology.policy(),
                topology.policyOptions());
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

    /** The guest RAM, backing region {@value #RAM_REGION} (the VM's own buffer: do not release). */
    public ByteBuf ram() {
        return ram;
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
     * non-zero 4 KiB pages.
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
                if (!s.region().equals(RAM_REGION) || s.offset() > ramSize - s.data().length) {
                    throw new IllegalArgumentException("RAM section " + s.region() + "+0x"
                            + Long.toHexString(s.offset()) + "/" + s.data().length + ": expected region "
                            + RAM_REGION + " within its " + ramSize + " bytes");
                }
            }

            @Override
            public List<RamSection> saveRam() {
                List<RamSection> pages = new ArrayList<>();
                byte[] page = new byte[PAGE];
                for (int at = 0; at < ramSize; at += PAGE) {
                    ram.getBytes(at, page);
                    for (byte b : page) {
                        if (b != 0) {
                            pages.add(new RamSection(RAM_REGION, at, page));
                            break;
                        }
                    }
                }
                return pages;
            }

            @Override
            public void loadRam(List<RamSection> sections) {
                sections.forEach(this::checkRam);
                sections.forEach(s -> ram.setBytes((int) s.offset(), s.data()));
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
        byte[] r = new byte[(int) ramSize];
        ram.getBytes(0, r);
        Map<PassthroughBar, byte[]> bars = new LinkedHashMap<>();
        devices.forEach((address, sim) -> sim.device().bars().forEach(
                bar -> bars.put(new PassthroughBar(address, bar.index()), sim.barContents(bar.index()))));
        return new VmImage(r, bars);
    }

    /** An image of this layout with zeroed RAM and BARs, as a freshly built VM has. */
    public VmImage blankImage() {
        Map<PassthroughBar, byte[]> bars = new LinkedHashMap<>();
        devices.forEach((address, sim) -> sim.device().bars().forEach(
                bar -> bars.put(new PassthroughBar(address, bar.index()), new byte[(int) bar.size()])));
        return new VmImage(new byte[(int) ramSize], bars);
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
            s.paintRam(image.ram(), clear);
            image.bars().forEach((bar, bytes) -> s.paintBar(barAddresses.get(bar.device()).get(bar.bar()), bytes,
                    clear));
        }
    }

    @Override
    public String toString() {
        return "simulated VM '" + topology.vm() + "' (" + devices.size() + " passthrough, " + software.size()
                + " software devices, policy " + engine.policy().name() + ")";
    }
}
