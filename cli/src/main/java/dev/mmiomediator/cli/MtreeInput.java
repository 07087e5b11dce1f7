package dev.mmiomediator.cli;

import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.migration.plan.PassthroughSpec;
import dev.mmiomediator.migration.sim.GuestMap;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.mtree.FlatDump;
import dev.mmiomediator.mtree.MtreeImporter;
import dev.mmiomediator.mtree.PassthroughAudit;
import dev.mmiomediator.mtree.RegionCatalogue;
import dev.mmiomediator.mtree.VcpuSpaces;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.MigrationFlag;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code --mtree FILE} and {@code --device ADDRESS=FLAGS}, shared by {@code plan}, {@code simulate} and
 * {@code migrate}: the real VM as input. The passthrough functions and their BARs are the ones
 * {@link PassthroughAudit} finds in the dump (tree, {@code -D} or flat), the software devices are the DMA
 * initiators' address spaces that reach a passthrough BAR, and each function's migration flags come from
 * {@code --device}, since a dump cannot know them.
 */
final class MtreeInput {
    @Option(names = "--mtree", paramLabel = "FILE",
            description = "Read the VM from a QEMU 'info mtree' dump (tree, -D or -f) instead of a TOPOLOGY file: its "
                    + "passthrough functions and BARs as 'mtree audit' finds them, its DMA initiators (non-vCPU "
                    + "address spaces that reach a passthrough BAR) as the software devices. Every function needs "
                    + "--device.")
    Path mtree;

    @Option(names = "--device", paramLabel = "ADDRESS=FLAGS",
            description = "With --mtree: the migration flags of a passthrough function of the dump, e.g. "
                    + "--device 0000:0c:00.0=STOP_COPY,P2P (STOP_COPY, P2P, PRE_COPY, or none); once per function.")
    List<String> devices = new ArrayList<>();

    /** The audit of the dump, once read. */
    private PassthroughAudit audit;

    /** Whether {@code --mtree} was given. */
    boolean given() {
        return mtree != null;
    }

    /**
     * The topology: from the dump with {@code --mtree}, else from {@code topologyFile} (or the default VM).
     *
     * @throws BadInputException for both a dump and a topology file, --device without --mtree, a function without
     *                           flags, flags for a function the dump lacks, or a malformed --device
     */
    Topology topology(Path topologyFile) throws IOException {
        if (mtree == null) {
            if (!devices.isEmpty()) {
                throw new BadInputException("--device " + devices.get(0) + ": expected only with --mtree FILE");
            }
            return SimulateCommand.topology(topologyFile);
        }
        if (topologyFile != null) {
            throw new BadInputException("--mtree " + mtree + " and TOPOLOGY " + topologyFile
                    + ": expected one or the other");
        }
        return fromAudit(audit(), flags(), mtree.getFileName().toString());
    }

    /** The audit of the {@code --mtree} dump, with the default vCPU rules, as {@code mtree audit} makes it. */
    PassthroughAudit audit() throws IOException {
        if (audit == null) {
            audit = readAudit();
        }
        return audit;
    }

    private PassthroughAudit readAudit() throws IOException {
        if (!Files.isRegularFile(mtree)) {
            throw new BadInputException("--mtree " + mtree + ": no such file");
        }
        String source = mtree.toString();
        String text = MtreeImporter.decode(Files.readAllBytes(mtree), source);
        return MtreeCommand.isFlat(text)
                ? PassthroughAudit.of(FlatDump.parse(text, source), VcpuSpaces.defaults())
                : PassthroughAudit.of(new MtreeImporter(RegionCatalogue.builtIn())
                        .importTree(new StringReader(text), source), VcpuSpaces.defaults());
    }

    /**
     * Where the simulated VM of {@code topology} has its RAM and BARs: without {@code --mtree} the planner's layout;
     * with it the dump's map ({@link #guestMap(PassthroughAudit, Topology)}).
     *
     * @throws BadInputException if the dump's map cannot be simulated (no RAM, overlapping pieces, too little RAM
     *                           or BAR for the software devices), naming why
     */
    GuestMap guestMap(Topology topology) throws IOException {
        return mtree == null ? GuestMap.planned(topology) : guestMap(audit(), topology);
    }

    /**
     * The dump's map: its guest RAM (the writable RAM ranges of address space {@code memory}, each a piece of its
     * region at its guest address) and each BAR of {@code topology} that the audit places in {@code memory}, at
     * its start. A BAR placed elsewhere (an I/O-space BAR, in {@code I/O}) is left out: DMA cannot reach port I/O.
     */
    static GuestMap guestMap(PassthroughAudit audit, Topology topology) {
        List<GuestMap.RamPiece> ram = new ArrayList<>();
        for (PassthroughAudit.RamRange r : audit.ram()) {
            ram.add(new GuestMap.RamPiece(r.region(), r.start(), r.offset(), r.last() - r.start() + 1));
        }
        if (ram.isEmpty()) {
            throw new BadInputException(audit.source() + ": no RAM in address space '" + PassthroughAudit.GUEST_SPACE
                    + "', expected the guest's RAM ranges (such as pc.ram) there");
        }
        Map<PassthroughBar, Long> bars = new LinkedHashMap<>();
        for (PassthroughAudit.Placement p : audit.placements()) {
            if (p.mapped() && p.addressSpace().equals(PassthroughAudit.GUEST_SPACE)) {
                bars.put(p.bar(), p.start());
            }
        }
        try {
            GuestMap map = new GuestMap(ram, bars);
            SimulatedVm.check(topology, map);
            return map;
        } catch (IllegalArgumentException e) {
            throw new BadInputException(audit.source() + ": " + e.getMessage());
        }
    }

    /**
     * What {@code plan} says of the passthrough functions' own bus-master spaces that reach a BAR, or empty if
     * none does: they are not counted as software devices.
     */
    String passthroughSpacesNote() throws IOException {
        Map<String, Integer> names = new LinkedHashMap<>();
        audit().deviceSpaces().stream().filter(d -> !d.reachable().isEmpty() && d.passthroughFunction())
                .forEach(d -> names.merge(d.name(), 1, Integer::sum));
        int n = names.values().stream().mapToInt(Integer::intValue).sum();
        List<String> counted = new ArrayList<>();
        names.forEach((name, count) -> counted.add(count == 1 ? name : name + " x" + count));
        return n == 0 ? "" : n + (n == 1 ? " passthrough function's own bus-master space" : " passthrough functions' "
                + "own bus-master spaces") + " (" + String.join(", ", counted)
                + ") reach BARs too: hardware P2P, which the kernel's P2P states govern, not software devices";
    }

    /** The {@code --device} flags by address; a malformed or repeated one is bad input. */
    Map<PciAddress, Set<MigrationFlag>> flags() {
        Map<PciAddress, Set<MigrationFlag>> out = new LinkedHashMap<>();
        for (String d : devices) {
            int eq = d.indexOf('=');
            if (eq < 0) {
                throw new BadInputException("--device " + d + ": expected ADDRESS=FLAGS, e.g. 0000:0c:00.0=STOP_COPY,P2P");
            }
            PciAddress address;
            try {
                address = PciAddress.parse(d.substring(0, eq));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--device " + d + ": " + e.getMessage());
            }
            EnumSet<MigrationFlag> set = EnumSet.noneOf(MigrationFlag.class);
            String text = d.substring(eq + 1);
            if (!text.equalsIgnoreCase("none")) {
                for (String part : text.split(",", -1)) {
                    MigrationFlag flag = MigrationFlag.named(part);
                    if (flag == null) {
                        throw new BadInputException("--device " + d + ": unknown flag '" + part
                                + "', expected STOP_COPY, P2P, PRE_COPY or none");
                    }
                    if (!set.add(flag)) {
                        throw new BadInputException("--device " + d + ": " + flag + " given twice, expected each "
                                + "flag once");
                    }
                }
            }
            if (out.put(address, set) != null) {
                throw new BadInputException("--device " + d + ": " + address + " given twice, expected once");
            }
        }
        return out;
    }

    /**
     * The VM the audit found: each passthrough function (named {@code vfio0}, {@code vfio1}... in address order)
     * with every BAR the audit places, its size the extent's rounded up to a power of two; each DMA initiator's
     * address space that reaches a passthrough BAR as a software device, a repeated name numbered
     * ({@code pcie-root-port}, {@code pcie-root-port.2}...).
     */
    static Topology fromAudit(PassthroughAudit audit, Map<PciAddress, Set<MigrationFlag>> flags, String vm) {
        if (!audit.hasPassthrough()) {
            throw new BadInputException(audit.source() + ": no passthrough (VFIO) function in the dump, expected "
                    + "regions named like '0000:01:00.0 BAR 0'");
        }
        List<PciAddress> found = audit.devices();
        List<String> unknown = new ArrayList<>();
        flags.keySet().forEach(a -> {
            if (!found.contains(a)) {
                unknown.add(a.toString());
            }
        });
        if (!unknown.isEmpty()) {
            throw new BadInputException("--device " + String.join(", ", unknown) + ": no such passthrough function in "
                    + audit.source() + ", expected one of " + join(found));
        }
        List<PciAddress> missing = found.stream().filter(a -> !flags.containsKey(a)).toList();
        if (!missing.isEmpty()) {
            throw new BadInputException(audit.source() + ": no --device flags for " + join(missing)
                    + ": a dump does not say a function's migration flags, expected --device ADDRESS=FLAGS for each, "
                    + "e.g. --device " + missing.get(0) + "=STOP_COPY,P2P (or =none)");
        }
        List<PassthroughSpec> passthrough = new ArrayList<>();
        for (int i = 0; i < found.size(); i++) {
            PciAddress a = found.get(i);
            List<PciBar> bars = new ArrayList<>();
            for (PassthroughAudit.Placement p : audit.placements()) {
                if (p.bar().device().equals(a) && p.mapped()) {
                    bars.add(new PciBar(p.bar().bar(), powerOfTwo(p.size().bytes())));
                }
            }
            if (bars.isEmpty()) {
                throw new BadInputException(audit.source() + ": passthrough function " + a
                        + " has no BAR that renders in an address space, expected at least one");
            }
            passthrough.add(PassthroughSpec.declared("vfio" + i, a, flags.get(a), bars));
        }
        return new Topology(vm, passthrough, initiators(audit), Optional.empty(), Map.of());
    }

    /**
     * The software DMA initiators: the address spaces that reach a passthrough BAR, in the dump's order, numbered
     * if repeated, without the passthrough functions' own ({@link PassthroughAudit#isPassthroughSpace}: their DMA is
     * hardware P2P, which the kernel's P2P states govern, not a software device's).
     */
    static List<String> initiators(PassthroughAudit audit) {
        Map<String, Integer> seen = new HashMap<>();
        List<String> out = new ArrayList<>();
        for (PassthroughAudit.DeviceSpace d : audit.deviceSpaces()) {
            if (!d.reachable().isEmpty() && !d.passthroughFunction()) {
                int n = seen.merge(d.name(), 1, Integer::sum);
                out.add(n == 1 ? d.name() : d.name() + "." + n);
            }
        }
        return out;
    }

    private static long powerOfTwo(long size) {
        long p = Long.highestOneBit(size);
        return p == size ? p : p << 1;
    }

    private static String join(List<PciAddress> addresses) {
        return String.join(", ", addresses.stream().map(PciAddress::toString).toList());
    }
}
