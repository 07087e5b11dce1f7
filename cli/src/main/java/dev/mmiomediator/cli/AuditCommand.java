package dev.mmiomediator.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.mtree.FlatDump;
import dev.mmiomediator.mtree.PassthroughAudit;
import dev.mmiomediator.mtree.VcpuSpaces;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code mmio-mediator mtree audit}: which DMA initiators reach which passthrough (VFIO) BARs in a VM's memory
 * map today. Text for a person, or with {@code --json} exactly one JSON object.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"List the passthrough (VFIO) devices of a dump and their BARs with their extents (in the vCPU "
                + "address space 'memory', or whichever vCPU space shows them), then, for every DMA initiator's "
                + "(non-vCPU, e.g. bus-master) address space, the BARs it can reach today. QEMU's bus-master spaces "
                + "alias the system memory, so without an IOMMU they usually reach them all; under mediation each "
                + "of those ranges becomes a P2P section.",
                "BARs are found by QEMU's VFIO region names ('0000:01:00.0 BAR 0', '... BAR 0 mmaps[0]'). In a flat "
                        + "dump ('info mtree -f') a BAR's extent is inferred from its pieces: from its first piece's "
                        + "start minus the piece's @offset to the end of its last piece.",
                "vCPU address spaces are not listed. Default rules: " + "memory, I/O, KVM-SMRAM, cpu-memory-*, "
                        + "cpu-smm-*, cpu-secure-memory-*, cpu-tag-memory-*.",
                "--json prints {\"passthrough\":[{\"device\":\"0000:01:00.0\",\"bar\":0,\"addressSpace\":\"memory\","
                        + "\"start\":\"0x...\",\"end\":\"0x...\",\"pieces\":[{\"start\":\"0x...\",\"end\":\"0x...\","
                        + "\"region\":\"...\",\"acceleratorMapped\":true}]}],\"exposures\":[{\"addressSpace\":"
                        + "\"virtio-net-pci\",\"device\":\"0000:01:00.0\",\"bar\":0,\"initiator\":\"software\"}],"
                        + "\"notes\":[]}: one exposure per "
                        + "address space and BAR (address spaces may share a name); initiator is 'passthrough' for a "
                        + "passthrough function's own bus-master space (vfio-pci: hardware P2P, not a software "
                        + "device); addressSpace, start and end are null for a BAR that renders nowhere; pieces are "
                        + "the BAR's flat-view ranges, acceleratorMapped whether a flat dump tags the range with the "
                        + "accelerator (KVM; a piece without it traps), null from a tree dump; notes say what the "
                        + "dump could not tell (a flat view pasted without its header, alias targets an excerpt "
                        + "left out)."})
final class AuditCommand implements Callable<Integer> {
    private static final int WIDTH = 100;

    @CommandLine.Mixin
    MtreeCommand.ImportOptions options;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--vcpu-space", paramLabel = "NAME",
            description = "Also treat the address space NAME as a vCPU view (not listed); may repeat.")
    List<String> vcpuNames = new ArrayList<>();

    @Option(names = "--vcpu-pattern", paramLabel = "REGEX",
            description = "Also treat every address space whose whole name matches REGEX (Java syntax) as a vCPU view; "
                    + "may repeat.")
    List<String> vcpuPatterns = new ArrayList<>();

    @Option(names = "--no-default-vcpu-spaces",
            description = "Drop the default vCPU rules: only --vcpu-space and --vcpu-pattern decide (without them, "
                    + "every address space is listed as a DMA initiator's).")
    boolean noDefaults;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    VcpuSpaces vcpuSpaces() {
        VcpuSpaces v = noDefaults ? VcpuSpaces.none() : VcpuSpaces.defaults();
        for (String n : vcpuNames) {
            v = v.plusName(n);
        }
        for (String p : vcpuPatterns) {
            v = v.plusPattern(p);
        }
        return v;
    }

    @Override
    public Integer call() throws IOException {
        VcpuSpaces vcpu = vcpuSpaces();
        String text = options.read();
        boolean flat = MtreeCommand.isFlat(text);
        PassthroughAudit audit = flat
                ? PassthroughAudit.of(FlatDump.parse(text, options.sourceName()), vcpu)
                : PassthroughAudit.of(options.importTree(text, spec.commandLine().getErr()), vcpu);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(audit) : text(audit, vcpu));
        return 0;
    }

    // ---------------------------------------------------------------- JSON

    /** The audit as one JSON object on one line, ending with a newline. */
    static String json(PassthroughAudit audit) {
        JsonArray passthrough = new JsonArray();
        for (PassthroughAudit.Placement p : audit.placements()) {
            JsonObject placement = new JsonObject();
            placement.addProperty("device", p.bar().device().toString());
            placement.addProperty("bar", p.bar().bar());
            placement.addProperty("addressSpace", p.mapped() ? p.addressSpace() : null);
            placement.addProperty("start", p.mapped() ? Size.hex(p.start()) : null);
            placement.addProperty("end", p.mapped() ? Size.hex(p.last()) : null);
            JsonArray pieces = new JsonArray();
            for (PassthroughAudit.Piece piece : audit.pieces(p.bar())) {
                JsonObject o = new JsonObject();
                o.addProperty("start", Size.hex(piece.start()));
                o.addProperty("end", Size.hex(piece.last()));
                o.addProperty("region", piece.region());
                o.addProperty("acceleratorMapped", piece.acceleratorMapped());
                pieces.add(o);
            }
            placement.add("pieces", pieces);
            passthrough.add(placement);
        }
        JsonArray exposures = new JsonArray();
        for (PassthroughAudit.Exposure e : audit.exposures()) {
            JsonObject exposure = new JsonObject();
            exposure.addProperty("addressSpace", e.addressSpace());
            exposure.addProperty("device", e.bar().device().toString());
            exposure.addProperty("bar", e.bar().bar());
            exposure.addProperty("initiator", PassthroughAudit.isPassthroughSpace(e.addressSpace()) ? "passthrough"
                    : "software");
            exposures.add(exposure);
        }
        JsonObject report = new JsonObject();
        report.add("passthrough", passthrough);
        report.add("exposures", exposures);
        JsonArray notes = new JsonArray();
        audit.notes().forEach(notes::add);
        report.add("notes", notes);
        return JsonReports.line(report);
    }

    // ---------------------------------------------------------------- text

    static String text(PassthroughAudit audit, VcpuSpaces vcpu) {
        StringBuilder sb = new StringBuilder();
        sb.append("Passthrough audit of ").append(audit.source())
                .append(audit.fromFlatDump() ? ", a flat dump: BAR extents inferred from their pieces" : ", a tree dump")
                .append("\n\n");
        for (String note : audit.notes()) {
            wrap(sb, "Note: ", note);
        }
        if (!audit.notes().isEmpty()) {
            sb.append('\n');
        }
        List<PassthroughAudit.DeviceSpace> spaces = audit.deviceSpaces();
        if (!audit.hasPassthrough()) {
            sb.append("No passthrough (VFIO) device: no region is named like QEMU's VFIO BARs ('0000:01:00.0 BAR 0').\n");
            wrap(sb, "", "Nothing for mediation to change: " + count(spaces.size(), "DMA initiator address space")
                    + (spaces.size() == 1 ? " reaches" : " reach") + " no passthrough BAR.");
            vcpuLine(sb, audit, vcpu);
            return sb.toString();
        }
        List<PassthroughAudit.Placement> ps = audit.placements();
        sb.append("Passthrough devices: ").append(count(audit.devices().size(), "function")).append(", ")
                .append(count(ps.size(), "BAR")).append('\n');
        int asWidth = 0;
        for (PassthroughAudit.Placement p : ps) {
            asWidth = Math.max(asWidth, p.mapped() ? p.addressSpace().length() : 0);
        }
        for (PassthroughAudit.Placement p : ps) {
            sb.append("  ").append(p.bar().device()).append(" BAR ").append(p.bar().bar()).append("  ");
            if (!p.mapped()) {
                sb.append("renders in no address space (disabled or hidden everywhere)\n");
                continue;
            }
            sb.append(pad(p.addressSpace(), asWidth)).append("  ").append(Size.hex16(p.start())).append('-')
                    .append(Size.hex16(p.last())).append("  ").append(pad(human(p.size()), 8)).append("  ")
                    .append(count(p.ranges(), "range")).append('\n');
        }
        sb.append('\n');

        Map<List<PassthroughBar>, List<String>> groups = new LinkedHashMap<>();
        List<String> none = new ArrayList<>();
        int reaching = 0;
        for (PassthroughAudit.DeviceSpace d : spaces) {
            if (d.reachable().isEmpty()) {
                none.add(d.name());
            } else {
                groups.computeIfAbsent(d.reachable(), k -> new ArrayList<>()).add(d.name());
                reaching++;
            }
        }
        sb.append("DMA initiators (non-vCPU address spaces): ").append(spaces.size()).append(", of which ")
                .append(reaching).append(reaching == 1 ? " reaches" : " reach").append(" passthrough BARs today\n");
        for (Map.Entry<List<PassthroughBar>, List<String>> g : groups.entrySet()) {
            sb.append("  ").append(count(g.getValue().size(), "address space")).append(g.getValue().size() == 1
                    ? " reaches " : " reach ").append(count(g.getKey().size(), "BAR")).append(":\n");
            wrap(sb, "    BARs: ", bars(g.getKey()));
            wrap(sb, "    from: ", String.join(", ", names(g.getValue())));
        }
        if (!none.isEmpty()) {
            sb.append("  ").append(count(none.size(), "address space")).append(none.size() == 1 ? " reaches" : " reach")
                    .append(" no passthrough BAR:\n");
            wrap(sb, "    ", String.join(", ", names(none)));
        }
        List<String> functions = new ArrayList<>();
        for (PassthroughAudit.DeviceSpace d : spaces) {
            if (!d.reachable().isEmpty() && d.passthroughFunction()) {
                functions.add(d.name());
            }
        }
        if (!functions.isEmpty()) {
            wrap(sb, "  ", "Of these, " + functions.size() + " " + (functions.size() == 1 ? "is a passthrough "
                    + "function's own bus-master space" : "are passthrough functions' own bus-master spaces") + " ("
                    + String.join(", ", names(functions)) + "): hardware P2P, which the kernel's P2P states govern; "
                    + "plan, simulate and migrate count the other " + (reaching - functions.size())
                    + " as software devices.");
        }
        // a flat view pasted without its AS lines: which address spaces render it, initiators or vCPUs, is unknown
        boolean unnamed = ps.stream().anyMatch(p -> p.addressSpace().equals(FlatDump.View.UNNAMED));
        List<PassthroughBar> unreachable = audit.unreachable();
        if (!unreachable.isEmpty()) {
            wrap(sb, unnamed ? "  Not known which DMA initiators reach (the view has no AS lines): "
                    : "  Reached by no DMA initiator (vCPUs only): ", bars(unreachable));
        }
        sb.append('\n');
        int exposures = audit.exposures().size();
        if (exposures > 0) {
            wrap(sb, "", "Under mediation, each of these " + count(exposures, "exposure") + " (address space, BAR) "
                    + "becomes a P2P section in that address space's view: the initiator's DMA to the BAR goes to the "
                    + "P2P policy, never straight to the device.");
        } else if (unnamed) {
            wrap(sb, "", "Not known whether a DMA initiator reaches a passthrough BAR: the flat view was given without "
                    + "its 'FlatView #n' and 'AS' lines. Take the whole 'info mtree -f' (or the tree) to audit it.");
        } else {
            sb.append("No DMA initiator reaches a passthrough BAR: mediation adds no P2P section.\n");
        }
        vcpuLine(sb, audit, vcpu);
        return sb.toString();
    }

    private static void vcpuLine(StringBuilder sb, PassthroughAudit audit, VcpuSpaces vcpu) {
        StringBuilder line = new StringBuilder(count(audit.vcpuSpaces().size(), "vCPU address space"));
        if (!audit.vcpuSpaces().isEmpty()) {
            List<String> shapes = new ArrayList<>();
            audit.vcpuSpaces().forEach(n -> shapes.add(n.replaceFirst("-[0-9]+$", "-N")));
            line.append(" (").append(String.join(", ", names(shapes))).append(')');
        }
        line.append("; vCPU rules: ").append(vcpu);
        wrap(sb, "Not listed: ", line.toString());
    }

    /** {@code 0000:0c:00.0 BAR 0, 1, 3; 0000:0c:00.1 BAR 0}: the list must be sorted by device. */
    static String bars(List<PassthroughBar> bars) {
        StringBuilder sb = new StringBuilder();
        Object device = null;
        for (PassthroughBar b : bars) {
            if (b.device().equals(device)) {
                sb.append(", ").append(b.bar());
            } else {
                if (device != null) {
                    sb.append("; ");
                }
                sb.append(b.device()).append(" BAR ").append(b.bar());
                device = b.device();
            }
        }
        return sb.toString();
    }

    /** Names in first-appearance order, a repeated name once with {@code xN}. */
    static List<String> names(List<String> names) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        names.forEach(n -> counts.merge(n, 1, Integer::sum));
        List<String> out = new ArrayList<>();
        counts.forEach((n, c) -> out.add(c > 1 ? n + " x" + c : n));
        return out;
    }

    /** Appends {@code text} word-wrapped at {@link #WIDTH}, the first line after {@code first}, the rest aligned. */
    static void wrap(StringBuilder sb, String first, String text) {
        String indent = " ".repeat(first.length());
        StringBuilder line = new StringBuilder(first);
        boolean empty = true;
        for (String word : text.split(" ")) {
            if (!empty && line.length() + 1 + word.length() > WIDTH) {
                sb.append(line).append('\n');
                line = new StringBuilder(indent);
                empty = true;
            }
            if (!empty) {
                line.append(' ');
            }
            line.append(word);
            empty = false;
        }
        sb.append(line).append('\n');
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    /** A size in the largest binary unit that divides it, e.g. {@code 16 MiB}, else in hex bytes. */
    static String human(Size size) {
        if (size.isFull()) {
            return "16 EiB";
        }
        long b = size.bytes();
        String[] units = {"EiB", "PiB", "TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            int shift = 10 * (units.length - i);
            if (b != 0 && (b & ((1L << shift) - 1)) == 0) {
                return (b >>> shift) + " " + units[i];
            }
        }
        return b < 1024 ? b + " B" : Size.hex(b) + " B";
    }
}
