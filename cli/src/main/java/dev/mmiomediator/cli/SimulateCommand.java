package dev.mmiomediator.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.GuestMap;
import dev.mmiomediator.migration.sim.Simulation;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceRecorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code mmio-mediator simulate}: the project's main job. Migrates a simulated VM (the embedded default, or a
 * topology file) from a source to a destination over a real loopback TCP socket, with the policy chosen as every
 * command chooses it ({@link PolicySelection}) or, when none is named, once per built-in policy, while software
 * devices do DMA from their own threads, and reports per run what happened and whether
 * every posted write landed exactly once.
 */
@Command(name = "simulate",
        mixinStandardHelpOptions = true,
        description = {"Migrate a simulated VM from a source to a destination over a loopback TCP socket, while its "
                + "software devices keep doing DMA (into RAM and into passthrough BARs), with the policy --policy "
                + "or the topology's 'policy' line names (with its options and any --option), or, when neither "
                + "names one, once per built-in policy (fail-always, abort-migration, queue-and-replay, require-p2p).",
                "A policy of your own runs from its jar (or class directory) with --policy-path DIR --policy NAME; "
                        + "an unknown name exits with 2 and lists the names found.",
                "The default VM (no TOPOLOGY): a q35-like map with three passthrough devices, one without P2P "
                        + "migration states, and two software devices (see 'mmio-mediator plan').",
                "Per run: the path each device took on both sides, the policy's decisions, queued and replayed "
                        + "writes, downtime, outcome (completed, aborted or blocked), and the integrity proof: the "
                        + "running side's RAM and BARs equal the image the software devices' own records imply, and "
                        + "the devices took exactly the P2P writes the mediator accepted, judged per write by its "
                        + "identity (lost 0, duplicated 0).",
                "The report (or with --json one JSON object) goes to standard output. Standard error holds "
                        + "warnings a user must act on and failures; progress (each side's steps) is one line "
                        + "rewritten in place on a terminal, every line with -v, and nothing otherwise; -q leaves "
                        + "only failures.",
                "With --mtree FILE and --device ADDRESS=FLAGS the VM is a real one's 'info mtree' dump, as for "
                        + "'mmio-mediator plan'; its BARs are resized to fit the simulated layout (at most 64 KiB).",
                "Exit code 0 when every run kept its integrity, 1 when one did not, 2 on bad input."})
final class SimulateCommand implements Callable<Integer> {
    /** The built-ins, in the order they run. */
    static final List<String> BUILTINS = List.of("fail-always", "abort-migration", "queue-and-replay", "require-p2p");

    @Parameters(arity = "0..1", paramLabel = "TOPOLOGY",
            description = "A topology file (format: 'mmio-mediator plan --help'); default: the embedded default VM.")
    Path topologyFile;

    @CommandLine.Mixin
    PolicySelection policies = new PolicySelection();

    @CommandLine.Mixin
    MtreeInput mtree = new MtreeInput();

    @CommandLine.Mixin
    TraceOptions tracing = new TraceOptions();

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the software devices' choices "
            + "(default 1); thread timing still varies from run to run.")
    long seed = 1;

    @Option(names = "--settle-ms", paramLabel = "MS", description = "How long the VM keeps running with every "
            + "device stopped before it stops (default ${DEFAULT-VALUE}).", defaultValue = "100")
    long settleMillis;

    @Option(names = "--json", description = "Print one JSON object: {\"runs\":[{\"policy\":...,\"outcome\":...,"
            + "\"p2pAccesses\":N,\"forwarded\":N,\"failed\":N,\"queued\":N,\"replayed\":N,\"taken\":N,"
            + "\"lost\":0,\"duplicated\":0,\"unrecorded\":0,\"downtimeMillis\":N,\"imagesMatch\":true}]}.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    Main main;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (settleMillis < 0 || settleMillis > 60_000) {
            throw new BadInputException("--settle-ms " + settleMillis + ": expected 0 to 60000");
        }
        tracing.check();
        Topology topology = mtree.topology(topologyFile);
        GuestMap map = mtree.guestMap(topology);
        List<PolicySelection.Choice> choices = policies.choice(topology).map(List::of).orElseGet(() ->
                BUILTINS.stream().map(name -> new PolicySelection.Choice(name, Map.of())).toList());
        return policies.withLoader(loader -> run(topology, map, choices, loader));
    }

    /** Creates every chosen policy (so a bad name or option prints nothing), then runs each. */
    private int run(Topology topology, GuestMap map, List<PolicySelection.Choice> choices, ClassLoader loader)
            throws InterruptedException {
        List<String> names = choices.stream().map(PolicySelection.Choice::name).toList();
        List<P2pPolicy> created = new ArrayList<>();
        for (PolicySelection.Choice c : choices) {
            created.add(c.create(loader));
        }
        Output progress = main.output();
        Simulation.Settings settings = new Simulation.Settings(seed, Duration.ofMillis(100),
                Duration.ofMillis(settleMillis), Duration.ofMillis(50),
                Simulation.Settings.defaults(seed).engine());
        List<Simulation.Run> runs = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String run = "simulate: run " + (i + 1) + " of " + names.size() + ": ";
            progress.progress(run + "policy " + names.get(i));
            TraceRecorder source = tracing.recorder(names.get(i) + ": source");
            TraceRecorder destination = tracing.recorder(names.get(i) + ": destination");
            runs.add(Simulation.run(topology, map, names.get(i), created.get(i), settings,
                    line -> progress.progress(run + line), source, destination));
            tracing.recorded(names.get(i), topology, source, destination);
        }
        progress.done();
        tracing.write(topology.vm());
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(runs) : (mtree.given() ? mapNote(map) : "") + text(topology, runs));
        out.flush();
        return runs.stream().allMatch(Simulation.Run::intact) ? 0 : 1;
    }

    /** The topology in {@code file}, or the embedded default VM; bad files are bad input, as for {@code plan}. */
    static Topology topology(Path file) throws IOException {
        return file == null ? TopologyParser.defaultVm() : PlanCommand.read(file);
    }

    /** What a run from a dump simulates of the real VM, before the report. */
    static String mapNote(GuestMap map) {
        Map<String, Long> regions = new LinkedHashMap<>();
        map.ram().forEach(r -> regions.merge(r.region(), r.size(), Long::sum));
        List<String> ram = new ArrayList<>();
        regions.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
                .forEach(e -> ram.add(e.getKey() + " " + approximately(e.getValue())));
        if (regions.size() > 3) {
            ram.add((regions.size() - 3) + " more");
        }
        StringBuilder sb = new StringBuilder();
        AuditCommand.wrap(sb, "", "From an info mtree dump, with its memory map: RAM "
                + approximately(map.ramBytes()) + " in " + map.ram().size() + " ranges ("
                + String.join(", ", ram) + ") and " + map.bars().size() + " BARs at the dump's guest addresses and "
                + "sizes, sparse (only pages written cost memory or travel); the software devices DMA into the "
                + "largest RAM range and every BAR in 'memory' (an I/O-space BAR is not a DMA target).");
        return sb.toString();
    }

    /** {@code 16.0 GiB}, {@code 1.5 MiB}, or exact below 1 MiB ({@code 4 KiB}). */
    private static String approximately(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return AuditCommand.human(Size.of(bytes));
    }

    static String text(Topology topology, List<Simulation.Run> runs) {
        StringBuilder sb = new StringBuilder();
        sb.append("Simulated migration of '").append(topology.vm()).append("': ")
                .append(topology.passthrough().size()).append(" passthrough devices, ")
                .append(topology.softwareDevices().size()).append(" software devices, over loopback TCP\n");
        for (Simulation.Run r : runs) {
            sb.append('\n').append(r.policy()).append(": ").append(r.outcome().word());
            if (!r.reason().isEmpty()) {
                sb.append(" (").append(r.reason()).append(')');
            }
            sb.append('\n');
            if (r.outcome() == MigrationOutcome.BLOCKED) {
                continue;
            }
            sb.append("  P2P writes ").append(r.p2pAccesses()).append(": forwarded ").append(r.forwarded())
                    .append(", failed ").append(r.failed()).append(", queued ").append(r.queued())
                    .append(" (replayed ").append(r.replayed()).append(", carried to the destination ")
                    .append(r.carried()).append("); accesses that asked to abort ").append(r.aborts())
                    .append('\n');
            sb.append("  integrity: lost ").append(r.lost()).append(", duplicated ").append(r.duplicated())
                    .append(r.unrecorded() == 0 ? "" : ", " + r.unrecorded() + " writes not recorded (ledger full)")
                    .append(" (per write, of ").append(r.taken()).append(" taken), ")
                    .append(r.outcome() == MigrationOutcome.COMPLETED ? "destination" : "source")
                    .append(" RAM and BARs ").append(r.imagesMatch() ? "equal" : "DIFFER FROM")
                    .append(" the expected image; downtime ").append(r.downtimeMillis()).append(" ms\n");
            paths(sb, "source", r.sourcePaths());
            paths(sb, "destination", r.destinationPaths());
        }
        return sb.toString();
    }

    private static void paths(StringBuilder sb, String side, Map<PciAddress, List<MigrationState>> paths) {
        if (paths.isEmpty()) {
            return;
        }
        sb.append("  ").append(side).append(":\n");
        paths.forEach((device, states) -> {
            sb.append("    ").append(device).append("  ");
            for (int i = 0; i < states.size(); i++) {
                sb.append(i == 0 ? "" : " -> ").append(states.get(i));
            }
            sb.append('\n');
        });
    }

    static String json(List<Simulation.Run> runs) {
        JsonArray array = new JsonArray();
        for (Simulation.Run r : runs) {
            JsonObject run = new JsonObject();
            run.addProperty("policy", r.policy());
            run.addProperty("outcome", r.outcome().word());
            run.addProperty("reason", r.reason());
            run.addProperty("p2pAccesses", r.p2pAccesses());
            run.addProperty("forwarded", r.forwarded());
            run.addProperty("failed", r.failed());
            run.addProperty("queued", r.queued());
            run.addProperty("replayed", r.replayed());
            run.addProperty("carried", r.carried());
            run.addProperty("aborts", r.aborts());
            run.addProperty("taken", r.taken());
            run.addProperty("lost", r.lost());
            run.addProperty("duplicated", r.duplicated());
            run.addProperty("unrecorded", r.unrecorded());
            run.addProperty("downtimeMillis", r.downtimeMillis());
            run.addProperty("imagesMatch", r.imagesMatch());
            array.add(run);
        }
        JsonObject report = new JsonObject();
        report.add("runs", array);
        return JsonReports.line(report);
    }
}
