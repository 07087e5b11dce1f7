package dev.mmiomediator.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.migration.plan.DeviceHandling;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.PassthroughSpec;
import dev.mmiomediator.migration.plan.QemuVerdict;
import dev.mmiomediator.migration.plan.Step;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyProvider;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code mmio-mediator plan}: the {@link MigrationPlanner}'s plan for a topology file, one per policy, in text or
 * as one JSON object.
 */
@Command(name = "plan",
        mixinStandardHelpOptions = true,
        description = {"Plan the live migration of a VM with passthrough (VFIO) devices: whether it is allowed and "
                + "why, the exact kernel state path of every device on the source and on the destination in QEMU's "
                + "order, what the policy does with DMA into each device that lacks P2P, and what QEMU 8.2's own "
                + "rule decides.",
                "Without --policy and without a 'policy' line in the topology, one plan per policy found, so you see "
                        + "which policies allow the VM. A BLOCKED verdict still exits with 0; bad input (an "
                        + "unreadable file, a format error, an unknown policy or option) exits with 2.",
                "Naming a policy that a provider declares with @PolicyInfo initializes that provider only; "
                        + "otherwise the providers without @PolicyInfo are instantiated to ask their names. Without "
                        + "a policy named, every provider is instantiated. A provider's code runs with your rights: "
                        + "see --policy-path.",
                "With --mtree FILE the VM is read from a QEMU 'info mtree' dump instead: its passthrough functions "
                        + "and BARs as 'mtree audit' finds them, the DMA initiators that reach them as software "
                        + "devices, and each function's flags from --device ADDRESS=FLAGS (required for every one).",
                "Topology file: 'vm NAME', 'passthrough NAME DDDD:BB:DD.F flags=STOP_COPY[,P2P][,PRE_COPY] "
                        + "bars=INDEX:SIZE[,...]', 'software NAME', 'policy NAME [KEY=VALUE]...', '#' comments."})
final class PlanCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "TOPOLOGY",
            description = "The topology file. Default: the embedded default VM (" + TopologyParser.DEFAULT_VM_SOURCE
                    + ": a NIC with P2P and PRE_COPY, a GPU with P2P, an FPGA with STOP_COPY only, and the software "
                    + "devices virtio-net and nvme).")
    Path topologyFile;

    @CommandLine.Mixin
    PolicySelection policies = new PolicySelection();

    @CommandLine.Mixin
    MtreeInput mtree = new MtreeInput();

    // Accepted so that scripts written for it keep working: every plan now has pre-copy, as simulate and migrate do.
    @Option(names = "--pre-copy", hidden = true, description = "Ignored: devices with the PRE_COPY flag always "
            + "enter PRE_COPY first, in plan as in simulate and migrate.")
    boolean preCopy;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String source = mtree.given() ? mtree.mtree + " (an info mtree dump; flags from --device)"
                : topologyFile == null ? TopologyParser.DEFAULT_VM_SOURCE + " (the default VM)" : topologyFile.toString();
        Topology topology = mtree.topology(topologyFile);
        List<MigrationPlan> plans = policies.withLoader(loader -> plans(topology, loader));
        String report = json ? json(topology, plans) : text(source, topology, plans);
        String note = mtree.given() && !json ? mtree.passthroughSpacesNote() : "";
        int at = report.indexOf("\n\n", report.indexOf("\nSoftware devices: ") + 1);
        if (!note.isEmpty() && at > 0) {
            StringBuilder sb = new StringBuilder();
            AuditCommand.wrap(sb, "", "Not software devices: " + note + ".");
            report = report.substring(0, at + 1) + sb + report.substring(at + 1);
        }
        spec.commandLine().getOut().print(report);
        return 0;
    }

    /** The topology in {@code file}; a missing file or a format error is bad input (exit 2). */
    static Topology read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new BadInputException(file + ": is a directory, expected a topology file");
        }
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": no such file");
        }
        return TopologyParser.parse(file);
    }

    /** One plan per selected policy, each created before any is planned, so a bad option prints nothing. */
    private List<MigrationPlan> plans(Topology topology, ClassLoader loader) {
        Map<String, Map<String, String>> selected = new LinkedHashMap<>();
        Optional<PolicySelection.Choice> choice = policies.choice(topology);
        if (choice.isPresent()) {
            selected.put(choice.get().name(), choice.get().options());
        } else {
            for (PolicyProvider p : Policies.available(loader)) {
                selected.put(p.name(), Map.of());
            }
        }
        Map<String, P2pPolicy> created = new LinkedHashMap<>();
        selected.forEach((name, opts) -> created.put(name, Policies.create(name, opts, loader)));
        List<MigrationPlan> plans = new ArrayList<>();
        created.forEach((name, p) -> plans.add(MigrationPlanner.plan(
                topology.withPolicy(Optional.of(name), selected.get(name)), name, p)));
        return plans;
    }

    // ---------------------------------------------------------------- text

    static String text(String source, Topology topology, List<MigrationPlan> plans) {
        StringBuilder sb = new StringBuilder();
        sb.append("Migration plan for VM ").append(topology.vm()).append(", from ").append(source).append("\n\n");
        devices(sb, topology);
        QemuVerdict qemu = QemuVerdict.of(topology);
        AuditCommand.wrap(sb, "QEMU 8.2: ", qemu.allowed() ? qemu.message()
                : "blocked: \"" + String.join("\"; \"", qemu.blockers()) + "\"");
        if (!plans.isEmpty() && !plans.get(0).source().isEmpty()) {
            // the paths depend on the flags only, never on the policy: the same for every plan
            MigrationPlan first = plans.get(0);
            sb.append('\n');
            AuditCommand.wrap(sb, "", "Source" + (first.source().stream().anyMatch(s -> s.phase()
                    == MigrationPhase.SOURCE_PRE_COPY) ? " with pre-copy" : "") + " ("
                    + MigrationPlanner.SOURCE_ORDER + "):");
            steps(sb, topology, first.source());
            AuditCommand.wrap(sb, "", "Destination (" + MigrationPlanner.DESTINATION_ORDER + "):");
            steps(sb, topology, first.destination());
        }
        for (MigrationPlan plan : plans) {
            plan(sb, plan);
        }
        if (plans.size() > 1) {
            sb.append('\n');
            List<String> allowed = names(plans, true);
            List<String> blocked = names(plans, false);
            AuditCommand.wrap(sb, "Summary: ", (allowed.isEmpty() ? "no policy allows this migration"
                    : "allowed by " + String.join(", ", allowed))
                    + (blocked.isEmpty() ? "" : "; blocked by " + String.join(", ", blocked))
                    + ". QEMU 8.2 would " + (qemu.allowed() ? "allow it (" + qemu.message() + ")"
                    : "block it: \"" + qemu.message() + "\"") + ".");
        }
        return sb.toString();
    }

    private static List<String> names(List<MigrationPlan> plans, boolean allowed) {
        return plans.stream().filter(p -> p.allowed() == allowed).map(MigrationPlan::policy).toList();
    }

    private static void devices(StringBuilder sb, Topology topology) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ADDRESS", "NAME", "FLAGS", "P2P", "BARS"});
        for (PassthroughSpec p : topology.passthrough()) {
            rows.add(new String[] {p.address().toString(), p.name(), p.flagsText(),
                    p.migratable() ? (p.supportsP2p() ? "yes" : "no") : "no (not migratable)",
                    p.bars().stream().map(b -> b.index() + ": " + AuditCommand.human(Size.of(b.size())))
                            .collect(Collectors.joining(", "))});
        }
        sb.append("Passthrough devices:\n");
        table(sb, rows);
        sb.append("Software devices: ").append(topology.softwareDevices().isEmpty() ? "none"
                : String.join(", ", topology.softwareDevices())).append("\n\n");
    }

    private static void table(StringBuilder sb, List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < r.length; i++) {
                line.append(r[i]).append(" ".repeat(width[i] - r[i].length() + 2));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static void plan(StringBuilder sb, MigrationPlan plan) {
        Topology t = plan.topology();
        String opts = t.policyOptions().isEmpty() ? "" : " (" + t.policyOptions().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ")) + ")";
        sb.append("\n== Policy ").append(plan.policy()).append(opts).append(": ").append(plan.verdict())
                .append('\n');
        for (String r : plan.reasons()) {
            AuditCommand.wrap(sb, "  - ", r);
        }
        if (!plan.handling().isEmpty()) {
            sb.append("  Devices without P2P:\n");
            for (DeviceHandling h : plan.handling()) {
                AuditCommand.wrap(sb, "    ", h.summary());
            }
        }
    }

    private static void steps(StringBuilder sb, Topology t, List<Step> steps) {
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            rows.add(new String[] {(i + 1) + ".", s.phase().name(), s.device().toString(),
                    t.device(s.device()).map(PassthroughSpec::name).orElse("?"), MigrationFsm.format(s.path())});
        }
        table(sb, rows);
    }

    // ---------------------------------------------------------------- JSON

    static String json(Topology topology, List<MigrationPlan> plans) {
        JsonArray passthrough = new JsonArray();
        for (PassthroughSpec p : topology.passthrough()) {
            JsonObject device = new JsonObject();
            device.addProperty("name", p.name());
            device.addProperty("address", p.address().toString());
            device.add("flags", JsonReports.strings(p.declaredFlags().stream().map(Enum::name).toList()));
            device.addProperty("migratable", p.migratable());
            device.addProperty("p2p", p.supportsP2p());
            JsonArray bars = new JsonArray();
            for (PciBar b : p.bars()) {
                JsonObject bar = new JsonObject();
                bar.addProperty("index", b.index());
                bar.addProperty("size", Size.hex(b.size()));
                bars.add(bar);
            }
            device.add("bars", bars);
            passthrough.add(device);
        }
        JsonObject vm = new JsonObject();
        vm.addProperty("vm", topology.vm());
        vm.add("passthrough", passthrough);
        vm.add("software", JsonReports.strings(topology.softwareDevices()));
        QemuVerdict qemu = QemuVerdict.of(topology);
        JsonObject qemuVerdict = new JsonObject();
        qemuVerdict.addProperty("allowed", qemu.allowed());
        qemuVerdict.addProperty("message", qemu.message());
        qemuVerdict.add("blockers", JsonReports.strings(qemu.blockers()));
        JsonArray planList = new JsonArray();
        for (MigrationPlan plan : plans) {
            JsonObject entry = new JsonObject();
            entry.addProperty("policy", plan.policy());
            JsonObject options = new JsonObject();
            plan.topology().policyOptions().forEach(options::addProperty);
            entry.add("options", options);
            entry.addProperty("verdict", plan.verdict().name().toLowerCase(Locale.ROOT));
            entry.add("reasons", JsonReports.strings(plan.reasons()));
            entry.add("source", steps(plan.source()));
            entry.add("destination", steps(plan.destination()));
            JsonArray handling = new JsonArray();
            for (DeviceHandling h : plan.handling()) {
                JsonObject device = new JsonObject();
                device.addProperty("device", h.device().toString());
                device.addProperty("summary", h.summary());
                device.add("whileStopped", decisions(h.whileStopped()));
                device.add("whileResuming", decisions(h.whileResuming()));
                handling.add(device);
            }
            entry.add("handling", handling);
            planList.add(entry);
        }
        JsonObject report = new JsonObject();
        report.add("topology", vm);
        report.add("qemu", qemuVerdict);
        report.add("plans", planList);
        return JsonReports.line(report);
    }

    private static JsonArray steps(List<Step> steps) {
        JsonArray array = new JsonArray();
        for (Step s : steps) {
            JsonObject step = new JsonObject();
            step.addProperty("phase", s.phase().name());
            step.addProperty("device", s.device().toString());
            step.addProperty("target", s.target().name());
            step.add("path", JsonReports.strings(s.path().stream().map(MigrationState::name).toList()));
            array.add(step);
        }
        return array;
    }

    private static JsonObject decisions(Map<String, Decision> decisions) {
        JsonObject object = new JsonObject();
        decisions.forEach((initiator, decision) -> object.addProperty(initiator, decision.name()));
        return object;
    }
}
