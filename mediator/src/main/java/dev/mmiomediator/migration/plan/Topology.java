package dev.mmiomediator.migration.plan;

import dev.mmiomediator.pci.PciAddress;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A VM as the planner and the simulator see it: its passthrough devices, the software devices that may DMA into
 * their BARs, and optionally the policy (with options) chosen for it. Immutable and thread-safe.
 *
 * @param vm              the VM's name
 * @param passthrough     the passthrough devices, in declaration order (the order the orchestrator moves them)
 * @param softwareDevices the ids of the emulated devices, in declaration order
 * @param policy          the P2P policy's name, if the topology chooses one
 * @param policyOptions   the policy's options, in declaration order; empty without a policy
 */
public record Topology(String vm, List<PassthroughSpec> passthrough, List<String> softwareDevices,
                       Optional<String> policy, Map<String, String> policyOptions) {
    /**
     * Checks uniqueness and copies the collections.
     *
     * @throws IllegalArgumentException naming the repeated address or name, or options without a policy
     */
    public Topology {
        Objects.requireNonNull(vm, "vm");
        passthrough = List.copyOf(passthrough);
        softwareDevices = List.copyOf(softwareDevices);
        Objects.requireNonNull(policy, "policy");
        policyOptions = Collections.unmodifiableMap(new LinkedHashMap<>(policyOptions));
        if (policy.isEmpty() && !policyOptions.isEmpty()) {
            throw new IllegalArgumentException("VM " + vm + ": policy options " + policyOptions + " without a policy");
        }
        Set<PciAddress> addresses = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (PassthroughSpec p : passthrough) {
            if (!addresses.add(p.address())) {
                throw new IllegalArgumentException("VM " + vm + ": passthrough address " + p.address() + " twice");
            }
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("VM " + vm + ": device name '" + p.name() + "' twice");
            }
        }
        for (String s : softwareDevices) {
            if (!names.add(s)) {
                throw new IllegalArgumentException("VM " + vm + ": device name '" + s + "' twice");
            }
        }
    }

    /** The passthrough device at {@code address}, if any. */
    public Optional<PassthroughSpec> device(PciAddress address) {
        return passthrough.stream().filter(p -> p.address().equals(address)).findFirst();
    }

    /** The passthrough devices with VFIO migration support, in declaration order. */
    public List<PassthroughSpec> migratable() {
        return passthrough.stream().filter(PassthroughSpec::migratable).toList();
    }

    /** This topology with {@code policy} and its options instead of its own (empty: no policy). */
    public Topology withPolicy(Optional<String> policy, Map<String, String> options) {
        return new Topology(vm, passthrough, softwareDevices, policy, options);
    }
}
