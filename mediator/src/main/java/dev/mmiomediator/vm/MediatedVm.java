package dev.mmiomediator.vm;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.Passthrough;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.policy.MigrationControl;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationDriver;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.PassthroughDevice;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A VM's address space with its passthrough (VFIO) functions mediated: each function
 * {@linkplain Passthrough#declare declared} (its BARs are P2P space for every initiator but the vCPU), registered
 * with one {@link PolicyEngine}, and the engine plugged into the address space's {@link Mediator}, all at once.
 *
 * <pre>{@code
 * MediatedVm vm = MediatedVm.builder(memory)
 *         .passthrough(PciAddress.parse("0000:01:00.0"), MigrationFlags.WITH_P2P, vfioDriver, Map.of(0, bar0))
 *         .policy("queue-and-replay")
 *         .build();
 * DmaPort virtioNet = vm.port(Initiator.softwareDevice("virtio-net"));  // one port per initiator thread
 * vm.device(PciAddress.parse("0000:01:00.0")).transition(MigrationState.RUNNING_P2P);
 * }</pre>
 *
 * <p>By default a BAR's P2P target is the BAR's own region ({@link BarRegionTarget}), so a peer and the vCPU see
 * the same bytes; a function given its own {@link P2pTarget} gets its accesses there instead. {@link Builder#build}
 * declares and registers every function or none, and refuses: a function given twice, a BAR region already
 * declared (by another VM or by hand), and an address space in which some region is P2P space of a function the VM
 * does not declare (its accesses would have no target). So no P2P access of the VM meets an unregistered BAR;
 * one declared later by hand is master-aborted and counted in {@link PolicyEngine#unregisteredAccesses()}.
 *
 * <p>Migration: move each function through the kernel's states with {@link #device(PciAddress)} (the engine
 * follows, and replays held writes when a device accepts again), and tell the policy the phase, hand over held
 * writes and so on through {@link #engine()}.
 *
 * <p><b>Note:</b> thread-safe; immutable once built. Ports are not: take one per initiator thread.
 */
public final class MediatedVm {
    private final AddressSpace space;
    private final PolicyEngine engine;
    private final Mediator mediator;
    private final Map<PciAddress, PassthroughDevice> devices;
    private final Map<PciAddress, Passthrough> declared;

    private MediatedVm(AddressSpace space, PolicyEngine engine, Mediator mediator,
                       Map<PciAddress, PassthroughDevice> devices, Map<PciAddress, Passthrough> declared) {
        this.space = space;
        this.engine = engine;
        this.mediator = mediator;
        this.devices = devices;
        this.declared = declared;
    }

    /** A builder of a mediated VM over {@code space}, the guest's physical memory (QEMU's {@code memory}). */
    public static Builder builder(AddressSpace space) {
        return new Builder(space);
    }

    /** A new DMA port for {@code initiator} ({@link Mediator#port}); use each port from one thread. */
    public DmaPort port(Initiator initiator) {
        return mediator.port(initiator);
    }

    /**
     * The passthrough function at {@code address}: transition it through the kernel's migration states here.
     *
     * @throws IllegalArgumentException naming the address and the VM's functions if it is not one of them
     */
    public PassthroughDevice device(PciAddress address) {
        PassthroughDevice d = devices.get(Objects.requireNonNull(address, "address"));
        if (d == null) {
            throw new IllegalArgumentException(address + " is not a passthrough function of this VM (its functions: "
                    + devices.keySet() + ")");
        }
        return d;
    }

    /** The passthrough functions, in the order they were given. */
    public List<PassthroughDevice> devices() {
        return List.copyOf(devices.values());
    }

    /**
     * The declaration of the function at {@code address}: its BAR regions and the initiator of its own DMA.
     *
     * @throws IllegalArgumentException naming the address and the VM's functions if it is not one of them
     */
    public Passthrough passthrough(PciAddress address) {
        device(address);
        return declared.get(address);
    }

    /** The policy engine: phase, counters, held writes (the migration's side of the policy). */
    public PolicyEngine engine() {
        return engine;
    }

    /** The mediator of the address space, with the engine as its P2P handler. */
    public Mediator mediator() {
        return mediator;
    }

    /** The mediated address space. */
    public AddressSpace space() {
        return space;
    }

    @Override
    public String toString() {
        return "MediatedVm over " + space + ", " + devices.keySet() + ", " + engine;
    }

    /**
     * Collects the functions and the policy of a {@link MediatedVm}; {@link #build()} wires them.
     *
     * <p><b>Note:</b> not thread-safe; use it on one thread, once.
     */
    public static final class Builder {
        private final AddressSpace space;
        private final Map<PciAddress, Function> functions = new LinkedHashMap<>();
        private P2pPolicy policy;
        private String policyName;
        private Map<String, String> policyOptions = Map.of();
        private ClassLoader policyLoader;
        private MigrationControl migration = MigrationControl.NONE;
        private PolicyEngine.Settings settings = PolicyEngine.Settings.DEFAULT;
        private boolean ramOnly;

        private Builder(AddressSpace space) {
            this.space = Objects.requireNonNull(space, "address space");
        }

        /** A function, its BAR regions and its P2P target (null: the BAR regions themselves). */
        private record Function(PassthroughDevice device, Map<Integer, MemoryRegion> bars, P2pTarget target) {
        }

        /**
         * A passthrough function at {@code address} with the kernel's migration {@code flags}, moved by
         * {@code driver}, whose BARs are {@code bars} (BAR index to the region the vCPU reaches it through, of
         * the BAR's power-of-two size); its P2P accesses reach those regions.
         *
         * @throws IllegalArgumentException naming the address if it was given before, or naming the BAR if a
         *                                  region's size is not a power of two
         */
        public Builder passthrough(PciAddress address, MigrationFlags flags, MigrationDriver driver,
                                   Map<Integer, MemoryRegion> bars) {
            return passthrough(address, flags, driver, bars, null);
        }

        /**
         * As {@link #passthrough(PciAddress, MigrationFlags, MigrationDriver, Map)}, with forwarded P2P accesses
         * performed by {@code target} (a VFIO region read/write, say) instead of on the BAR regions.
         */
        public Builder passthrough(PciAddress address, MigrationFlags flags, MigrationDriver driver,
                                   Map<Integer, MemoryRegion> bars, P2pTarget target) {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(bars, "BAR regions of " + address);
            List<PciBar> pciBars = new ArrayList<>();
            bars.forEach((index, region) -> {
                Objects.requireNonNull(index, "BAR index of " + address);
                Objects.requireNonNull(region, "region of " + address + " BAR " + index);
                Size size = region.size();
                if (size.isFull()) {
                    throw new IllegalArgumentException("region '" + region.name() + "' of " + size + " for "
                            + address + " BAR " + index + ": expected a power-of-two size below 2^64");
                }
                pciBars.add(new PciBar(index, size.bytes()));
            });
            return passthrough(new PassthroughDevice(address, flags, pciBars, driver), bars, target);
        }

        /**
         * A passthrough function already modelled as {@code device} (a simulated one, say), whose BARs are
         * {@code bars}; its P2P accesses reach those regions, or {@code target} if it is not null.
         *
         * @throws IllegalArgumentException naming the address if a function at it was given before
         */
        public Builder passthrough(PassthroughDevice device, Map<Integer, MemoryRegion> bars, P2pTarget target) {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(bars, "BAR regions of " + device.address());
            if (functions.containsKey(device.address())) {
                throw new IllegalArgumentException("passthrough function " + device.address()
                        + " given twice: a function is declared once");
            }
            functions.put(device.address(), new Function(device, Map.copyOf(bars), target));
            return this;
        }

        /**
         * The P2P policy by name, found with {@link Policies#create} among the providers on this class's class
         * loader (the built-ins need the {@code policies} jar), with its default options.
         */
        public Builder policy(String name) {
            return policy(name, Map.of(), MediatedVm.class.getClassLoader());
        }

        /** The P2P policy by name, with {@code options}, from the providers {@code loader} finds. */
        public Builder policy(String name, Map<String, String> options, ClassLoader loader) {
            this.policyName = Objects.requireNonNull(name, "policy name");
            this.policyOptions = Map.copyOf(Objects.requireNonNull(options, "options of policy " + name));
            this.policyLoader = Objects.requireNonNull(loader, "class loader");
            this.policy = null;
            return this;
        }

        /** The P2P policy itself. */
        public Builder policy(P2pPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.policyName = null;
            return this;
        }

        /** Where the engine asks for the migration to be cancelled; default {@link MigrationControl#NONE}. */
        public Builder migrationControl(MigrationControl migration) {
            this.migration = Objects.requireNonNull(migration, "migration control");
            return this;
        }

        /** The engine's queue capacity and longest wait; default {@link PolicyEngine.Settings#DEFAULT}. */
        public Builder settings(PolicyEngine.Settings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Whether every device MMIO range, not only the BARs, faults for non-vCPU initiators; default false. */
        public Builder ramOnly(boolean ramOnly) {
            this.ramOnly = ramOnly;
            return this;
        }

        /**
         * Declares every function, registers each with a new policy engine, and plugs the engine into a new
         * mediator of the address space; all or nothing.
         *
         * @throws IllegalStateException    if no policy was given
         * @throws IllegalArgumentException from {@link Policies#create} for an unknown policy or option; naming
         *                                  the function and region if a BAR region is already declared, if some
         *                                  region of the address space is P2P space of a function not given here,
         *                                  or for any refusal of {@link Passthrough#declare(PassthroughDevice, Map)}
         *                                  (wrong BAR size, an alias, nested BARs, another memory system)
         */
        public MediatedVm build() {
            if (policy == null && policyName == null) {
                throw new IllegalStateException("no P2P policy: give one by name (policy(\"queue-and-replay\")) or "
                        + "as an instance (policy(p2pPolicy))");
            }
            P2pPolicy p = policy != null ? policy : Policies.create(policyName, policyOptions, policyLoader);
            PolicyEngine engine = new PolicyEngine(p, migration, settings);
            Map<PciAddress, PassthroughDevice> devices = new LinkedHashMap<>();
            Map<PciAddress, Passthrough> declared = new LinkedHashMap<>();
            List<BarRegionTarget> targets = new ArrayList<>();
            space.system().atomically(() -> {
                checkNoP2pSpaceYet();
                try {
                    for (Function f : functions.values()) {
                        PciAddress address = f.device().address();
                        Passthrough pt = Passthrough.declare(f.device(), f.bars());
                        declared.put(address, pt);
                        P2pTarget target = f.target();
                        if (target == null) {
                            BarRegionTarget own = BarRegionTarget.of(address, f.bars());
                            targets.add(own);
                            target = own;
                        }
                        engine.register(f.device(), target);
                        devices.put(address, f.device());
                    }
                } catch (RuntimeException e) {
                    // nothing was accessed yet: undo in reverse, so a refused build leaves the topology unchanged
                    devices.keySet().forEach(engine::unregister);
                    declared.values().forEach(Passthrough::remove);
                    targets.forEach(BarRegionTarget::close);
                    throw e;
                }
                return null;
            });
            Mediator mediator = new Mediator(space, engine, ramOnly);
            return new MediatedVm(space, engine, mediator, Collections.unmodifiableMap(devices),
                    Collections.unmodifiableMap(declared));
        }

        /**
         * Refuses any region reachable from the space's root (through subregions and aliases) that is already a
         * BAR: one of the functions given here declared before, or a function this VM would not register.
         */
        private void checkNoP2pSpaceYet() {
            Set<MemoryRegion> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            Deque<MemoryRegion> todo = new ArrayDeque<>();
            todo.add(space.root());
            for (Function f : functions.values()) {
                todo.addAll(f.bars().values()); // a BAR region not (yet) mapped into the space
            }
            while (!todo.isEmpty()) {
                MemoryRegion r = todo.poll();
                if (!seen.add(r)) {
                    continue;
                }
                PassthroughBar tag = r.passthroughBar();
                if (tag != null) {
                    if (functions.containsKey(tag.device())) {
                        throw new IllegalArgumentException("passthrough function " + tag.device()
                                + " is already declared (region '" + r.name() + "' is its " + tag
                                + "): a function is declared once");
                    }
                    throw new IllegalArgumentException("region '" + r.name() + "' in " + space + " is " + tag
                            + ", which this VM does not declare: its P2P accesses would have no target; give "
                            + tag.device() + " to passthrough(...)");
                }
                todo.addAll(r.subregions());
                if (r.aliasTarget() != null) {
                    todo.add(r.aliasTarget());
                }
            }
        }
    }
}
