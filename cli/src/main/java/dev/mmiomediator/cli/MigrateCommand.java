package dev.mmiomediator.cli;

import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.migration.DestinationMigration;
import dev.mmiomediator.migration.MigrationChannel;
import dev.mmiomediator.migration.MigrationListener;
import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.MigrationTls;
import dev.mmiomediator.migration.MigrationResult;
import dev.mmiomediator.migration.SourceMigration;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.Verdict;
import dev.mmiomediator.migration.sim.GuestMap;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.Simulation;
import dev.mmiomediator.migration.sim.SoftwareDevice;
import dev.mmiomediator.migration.sim.VmImage;
import dev.mmiomediator.migration.sim.WriteLedger;
import dev.mmiomediator.migration.stream.StreamLimits;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceRecorder;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import it.unimi.dsi.fastutil.longs.LongList;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

/**
 * {@code mmio-mediator migrate}: one side of a simulated migration in this process, the other side in another
 * process, over TCP. {@code --listen PORT} is the destination, {@code --to HOST:PORT} the source. Both build the
 * same VM from the same topology, run its software devices, and print what happened; together their reports prove
 * integrity across the two processes (the source's expected image digest equals the destination's digest of the
 * source's part, and the destination's devices' write ledgers hold each P2P write both sides accepted exactly once,
 * by identity).
 */
@Command(name = "migrate",
        mixinStandardHelpOptions = true,
        description = {"One side of a simulated migration over TCP: --listen PORT is the destination (waits for one "
                + "source, prints 'listening on HOST:PORT' on standard error when ready; PORT 0 picks a free one), "
                + "--to HOST:PORT the source. Start the destination first, with the same TOPOLOGY.",
                "Each side uses the policy --policy or its topology's 'policy' line names (with its options and any "
                        + "--option), else " + MigrateCommand.DEFAULT_POLICY + "; the two sides may differ. A "
                        + "policy of your own runs with --policy-path DIR on the side that uses it; an unknown name "
                        + "exits with 2 and lists the names found.",
                "Both print what happened (text, or one JSON object with --json): outcome, the path of each device, "
                        + "the policy's counts, and the integrity evidence: source 'expectedDigest' (SHA-256 of the "
                        + "image its software devices' records imply) against destination 'sourcePartDigest' (its "
                        + "memory with its own software devices' windows zeroed); per P2P write, by its identity: "
                        + "'acceptedIdentities' of both sides (per target device) against the destination's "
                        + "'takenIdentities' (its devices' write ledgers, the source's part carried in their state); "
                        + "a source that resumed reports its own 'takenIdentities', 'lost' and 'duplicated'.",
                "Standard error holds the side's steps, one line each (the 'listening on' line, refused "
                        + "connections, each device's path, the outcome), warnings a user must act on, and failures; "
                        + "-q leaves only failures (no 'listening on' line either), -v adds the log's DEBUG lines and "
                        + "stack traces.",
                "Exit code 0 when the side finished with its integrity kept (completed, aborted or refused are all "
                        + "answers), 1 when its integrity check failed, 2 on bad input, 4 when the network failed "
                        + "before the migration started (the source could not connect or its TLS handshake failed)."})
final class MigrateCommand implements Callable<Integer> {
    static final class Role {
        @Option(names = "--listen", paramLabel = "PORT", required = true, description = "Be the destination.")
        Integer listen;

        @Option(names = "--to", paramLabel = "HOST:PORT", required = true, description = "Be the source.")
        String to;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Role role;

    @Parameters(arity = "0..1", paramLabel = "TOPOLOGY", description = "A topology file; default: the default VM.")
    Path topologyFile;

    @CommandLine.Mixin
    MtreeInput mtree = new MtreeInput();

    /** Where this side's VM has its RAM and BARs: the planner's layout, or the {@code --mtree} dump's map. */
    private GuestMap map;

    /** The policy of a side when neither --policy nor the topology names one. */
    static final String DEFAULT_POLICY = "queue-and-replay";

    @CommandLine.Mixin
    PolicySelection policies = new PolicySelection();

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Destination: the address to listen on (default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the software devices' choices (default 1).")
    long seed = 1;

    @Option(names = "--timeout-s", paramLabel = "S", defaultValue = "60",
            description = "The longest any single wait may last (default ${DEFAULT-VALUE}): connecting, each read or "
                    + "write without progress, the VM's stop; the destination's wait for a source.")
    int timeoutSeconds;

    @Option(names = "--transfer-timeout-s", paramLabel = "S", defaultValue = "600",
            description = "The longest the whole stream may take (default ${DEFAULT-VALUE}): source, sending it and "
                    + "reading the reply; destination, receiving it from its first byte. A stalled or slow peer makes "
                    + "the source cancel and resume, the destination refuse.")
    int transferTimeoutSeconds;

    @Option(names = "--handshake-timeout-s", paramLabel = "S", defaultValue = "10",
            description = "Destination: how long a connection has to present a valid stream header naming this VM "
                    + "(default ${DEFAULT-VALUE}); connections that do not are refused and the destination waits on.")
    int handshakeTimeoutSeconds;

    @Option(names = "--max-stream-bytes", paramLabel = "N", defaultValue = "68719476736",
            description = "Destination: the longest stream accepted (default ${DEFAULT-VALUE}, 64 GiB; its RAM is staged "
                    + "in a temporary file, not in memory).")
    long maxStreamBytes;

    @Option(names = "--max-frame-bytes", paramLabel = "N", defaultValue = "16777216",
            description = "Destination: the longest section accepted (default ${DEFAULT-VALUE}, 16 MiB): the most "
                    + "stream bytes held in memory at once.")
    int maxFrameBytes;

    @Option(names = "--max-held-writes", paramLabel = "N", defaultValue = "262144",
            description = "Destination: the most carried P2P writes accepted (default ${DEFAULT-VALUE}).")
    long maxHeldWrites;

    @Option(names = "--pace-bytes-per-s", paramLabel = "N", defaultValue = "0", hidden = true,
            description = "For testing only: the source sends at most N bytes a second (0, the default: unpaced), so "
                    + "that a test can act while the stream is under way.")
    long paceBytesPerSecond;

    @CommandLine.Mixin
    TlsOptions tls = new TlsOptions();

    @CommandLine.Mixin
    TraceOptions tracing = new TraceOptions();

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--hold-resuming-ms", paramLabel = "MS", defaultValue = "0",
            description = "For testing, destination only: after starting the VM's DMA, keep the devices RESUMING for "
                    + "up to MS before starting them, ending the wait as soon as this side's policy asks to cancel "
                    + "(so that under abort-migration the DMA meets a device still RESUMING); default 0, no wait.")
    long holdResumingMillis;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ParentCommand
    Main main;

    @Override
    public Integer call() throws IOException, InterruptedException {
        range("--timeout-s", timeoutSeconds, 1, 3600);
        range("--transfer-timeout-s", transferTimeoutSeconds, 1, 86400);
        range("--handshake-timeout-s", handshakeTimeoutSeconds, 1, 3600);
        range("--max-stream-bytes", maxStreamBytes, 64, Long.MAX_VALUE);
        range("--max-frame-bytes", maxFrameBytes, 64, StreamLimits.NONE.maxFrameBytes());
        range("--max-held-writes", maxHeldWrites, 0, 0xffff_ffffL);
        range("--hold-resuming-ms", holdResumingMillis, 0, 600_000);
        if (holdResumingMillis != 0 && role.listen == null) {
            throw new BadInputException("--hold-resuming-ms is for the destination (--listen), not the source");
        }
        range("--pace-bytes-per-s", paceBytesPerSecond, 0, Long.MAX_VALUE);
        tracing.check();
        Topology topology = mtree.topology(topologyFile);
        map = mtree.guestMap(topology);
        PolicySelection.Choice choice = policies.choice(topology)
                .orElseGet(() -> new PolicySelection.Choice(DEFAULT_POLICY, Map.of()));
        Map<String, Object> report = policies.withLoader(loader -> migrate(topology, choice, loader));
        tracing.write(topology.vm());
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(report) : text(report));
        out.flush();
        return integrityKept(report) ? Main.EXIT_OK : Main.EXIT_CHECK_FAILED;
    }

    /** This side's migration with the chosen policy, created from the providers {@code loader} sees. */
    private Map<String, Object> migrate(Topology topology, PolicySelection.Choice choice, ClassLoader loader)
            throws InterruptedException {
        P2pPolicy p = choice.create(loader);
        MigrationPlan plan = MigrationPlanner.plan(topology.withPolicy(Optional.of(choice.name()), choice.options()),
                choice.name(), p);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("side", role.listen != null ? "destination" : "source");
        report.put("policy", choice.name());
        report.put("options", choice.options());
        if (plan.verdict() == Verdict.BLOCKED) {
            report.put("outcome", MigrationOutcome.BLOCKED.word());
            report.put("reason", String.join("; ", plan.reasons()));
        } else if (role.listen != null) {
            destination(topology, p, plan, report);
        } else {
            source(topology, p, plan, report);
        }
        report.put("peakHeapBytes", peakHeap());
        return report;
    }

    /**
     * Whether this side's own integrity check held, by the evidence it reports: a source that resumed, its image
     * and every P2P write (none lost, duplicated or unrecorded); a destination that completed, the memory its own
     * devices wrote; either side, no write its ledgers could not record. Evidence this side does not report passes.
     * A refusing destination's {@code unchanged} is not part of it: its own devices may have written its memory
     * before it refused (with {@code --hold-resuming-ms}), which is no loss.
     */
    static boolean integrityKept(Map<String, Object> report) {
        for (String flag : List.of("imagesMatch", "ownWindowsMatch")) {
            if (Boolean.FALSE.equals(report.get(flag))) {
                return false;
            }
        }
        for (String count : List.of("lost", "duplicated", "unrecorded")) {
            if (report.get(count) instanceof Number n && n.longValue() != 0) {
                return false;
            }
        }
        return true;
    }

    /** The most heap this process has used, summed over the heap's pools (their peaks may differ in time). */
    static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static void range(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new BadInputException(option + " " + value + ": expected " + min + " to " + max);
        }
    }

    /**
     * A side's steps are events, not progress: one migration takes a few dozen lines, each a step a caller or a
     * test may wait for ("listening on", a refused connection, the outcome), so they are printed unless -q.
     */
    private void progress(String line) {
        main.output().event(line);
    }

    private void source(Topology topology, P2pPolicy p, MigrationPlan plan, Map<String, Object> report)
            throws InterruptedException {
        int colon = role.to.lastIndexOf(':');
        int port = colon < 0 ? -1 : parsePort(role.to.substring(colon + 1));
        if (colon <= 0 || port <= 0) {
            throw new BadInputException("--to " + role.to + ": expected HOST:PORT with PORT 1 to 65535");
        }
        MigrationChannel channel; // before the VM is built, so that an unreachable peer is one line and nothing else
        MigrationTls secure = tls.tls(); // outside the try: an unreadable key store is bad input, not the network's
        try {
            channel = secure == null
                    ? MigrationChannel.connect(role.to.substring(0, colon), port, Duration.ofSeconds(timeoutSeconds))
                    : MigrationChannel.of(secure.connect(role.to.substring(0, colon), port,
                            Duration.ofSeconds(timeoutSeconds)));
        } catch (UnknownHostException e) {
            throw new BadInputException("--to " + role.to + ": unknown host " + e.getMessage());
        } catch (IOException e) {
            throw new TransportException("--to " + role.to + ": cannot connect: " + e.getMessage(), e);
        }
        if (paceBytesPerSecond > 0) {
            channel = PacedChannel.of(channel, paceBytesPerSecond);
        }
        Simulation.Settings settings = Simulation.Settings.defaults(seed);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm vm = new SimulatedVm(topology, map, SoftwareDevice.Side.SOURCE, p, abort, settings.engine(), seed);
        TraceRecorder recorder = tracing.recorder("source");
        vm.engine().setTraceListener(recorder);
        vm.startSoftware();
        TimeUnit.NANOSECONDS.sleep(settings.warmUp().toNanos());
        SourceMigration.Settings timeouts = new SourceMigration.Settings(settings.settle(),
                Duration.ofSeconds(timeoutSeconds), Duration.ofSeconds(timeoutSeconds),
                Duration.ofSeconds(transferTimeoutSeconds));
        SourceMigration source = new SourceMigration(topology.vm(), vm.passthroughDevices(), vm.engine(), plan,
                vm.hooks(), abort, timeouts, this::progress);
        source.setTraceListener(recorder);
        MigrationResult r = source.run(channel);
        tracing.recorded("source", plan.policy(), topology, recorder);
        TimeUnit.NANOSECONDS.sleep(settings.after().toNanos());
        vm.stopSoftware();
        result(report, r);
        counts(report, vm);
        VmImage expected = vm.blankImage();
        vm.paintExpected(expected);
        report.put("expectedDigest", expected.digest());
        if (!r.completed()) {
            report.put("imagesMatch", vm.actualImage().equals(expected));
            report.put("deviceWrites", vm.deviceWrites());
            WriteLedger.Check writes = vm.checkWrites(vm);
            report.put("lost", writes.lost());
            report.put("duplicated", writes.duplicated());
            ledgers(report, vm);
        }
    }

    private void destination(Topology topology, P2pPolicy p, MigrationPlan plan, Map<String, Object> report)
            throws InterruptedException {
        if (role.listen < 0 || role.listen > 65535) {
            throw new BadInputException("--listen " + role.listen + ": expected a port 0 to 65535");
        }
        Simulation.Settings settings = Simulation.Settings.defaults(seed);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm vm = new SimulatedVm(topology, map, SoftwareDevice.Side.DESTINATION, p, abort, settings.engine(),
                seed + 1000);
        List<PassthroughDevice> devices = vm.passthroughDevices();
        DestinationMigration.Settings receiving = new DestinationMigration.Settings(
                new StreamLimits(maxStreamBytes, maxFrameBytes, StreamLimits.DEFAULT.maxDeviceStateBytes(),
                        maxHeldWrites), Duration.ofSeconds(timeoutSeconds), Duration.ofSeconds(transferTimeoutSeconds),
                null);
        DestinationMigration destination = new DestinationMigration(topology.vm(), devices, vm.engine(), plan,
                vm.hooksHoldingResume(Duration.ofMillis(holdResumingMillis), abort), abort,
                receiving, this::progress);
        TraceRecorder recorder = tracing.recorder("destination");
        destination.setTraceListener(recorder);
        MigrationTls secure = tls.tls();
        ServerSocket server;
        try {
            InetAddress address = InetAddress.getByName(bind);
            server = secure == null ? new ServerSocket(role.listen, 16, address)
                    : secure.serverSocket(role.listen, 16, address);
        } catch (IOException e) {
            throw new BadInputException("--listen " + role.listen + " on " + bind + ": " + e.getMessage());
        }
        String warning = tls.plainListenWarning(server.getInetAddress());
        if (warning != null) {
            progress(warning);
        }
        progress("listening on " + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort()
                + (secure == null ? "" : " (TLS, as " + secure.subject() + ")"));
        MigrationListener.Handshake handshake = secure == null ? MigrationListener.Handshake.NONE
                : (socket, timeout) -> {
                    secure.handshake((SSLSocket) socket, timeout);
                    return socket;
                };
        MigrationResult r = new MigrationListener(server, handshake,
                Duration.ofSeconds(handshakeTimeoutSeconds), 8, this::progress)
                .serve(destination, Duration.ofSeconds(timeoutSeconds));
        tracing.recorded("destination", plan.policy(), topology, recorder);
        TimeUnit.NANOSECONDS.sleep(settings.after().toNanos());
        vm.stopSoftware();
        result(report, r);
        counts(report, vm);
        VmImage actual = vm.actualImage();
        if (r.completed()) {
            vm.clearOwnWindows(actual);
            report.put("sourcePartDigest", actual.digest());
            report.put("deviceWrites", vm.deviceWrites());
            report.put("ownWindowsMatch", ownWindowsMatch(vm));
        } else {
            boolean running = devices.stream().allMatch(d -> d.state() == MigrationState.RUNNING);
            report.put("unchanged", running && actual.equals(vm.blankImage()));
        }
        ledgers(report, vm);
    }

    /** Whether the memory in this side's own windows equals what its software devices' records imply. */
    private static boolean ownWindowsMatch(SimulatedVm vm) {
        VmImage actual = vm.actualImage();
        VmImage rebuilt = vm.actualImage();
        vm.clearOwnWindows(rebuilt);
        vm.paintExpected(rebuilt);
        return rebuilt.equals(actual);
    }

    private static void result(Map<String, Object> report, MigrationResult r) {
        report.put("outcome", r.outcome().word());
        report.put("reason", r.reason());
        report.put("downtimeMillis", r.downtimeMillis());
        report.put("streamBytes", r.streamBytes());
        report.put("carried", r.queuedCarried());
        Map<String, Object> paths = new LinkedHashMap<>();
        r.paths().forEach((d, states) -> paths.put(d.toString(), states.stream().map(Enum::name).toList()));
        report.put("paths", paths);
    }

    private static void counts(Map<String, Object> report, SimulatedVm vm) {
        long p2p = 0;
        long failed = 0;
        for (SoftwareDevice s : vm.software()) {
            p2p += s.p2pWrites();
            failed += s.failed();
        }
        PolicyCounters c = vm.engine().counters();
        report.put("p2pAccesses", p2p);
        report.put("acceptedP2pWrites", vm.acceptedP2pWrites());
        report.put("acceptedIdentities", identities(vm.acceptedIdentities(), true));
        report.put("failed", failed);
        report.put("forwarded", c.total(PolicyCounters.Counter.FORWARDED));
        report.put("queued", c.total(PolicyCounters.Counter.QUEUED));
        report.put("replayed", c.total(PolicyCounters.Counter.REPLAYED));
        report.put("aborts", c.total(PolicyCounters.Counter.ABORTS));
    }

    /** The devices' write ledgers, in the order taken, and the count of writes they could not hold. */
    private static void ledgers(Map<String, Object> report, SimulatedVm vm) {
        report.put("takenIdentities", identities(vm.takenIdentities(), false));
        report.put("unrecorded", vm.unrecordedWrites());
    }

    private static Map<String, Object> identities(Map<PciAddress, long[]> byDevice, boolean sort) {
        Map<String, Object> out = new LinkedHashMap<>();
        byDevice.forEach((d, ids) -> {
            long[] v = sort ? ids.clone() : ids;
            if (sort) {
                Arrays.sort(v);
            }
            out.put(d.toString(), LongArrayList.wrap(v));
        });
        return out;
    }

    private static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s);
            return p >= 1 && p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String text(Map<String, Object> report) {
        StringBuilder sb = new StringBuilder();
        report.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) {
                sb.append(k).append(":\n");
                m.forEach((dk, dv) -> sb.append("  ").append(dk).append("  ").append(dv instanceof LongList ids
                        ? ids.size() + " writes (identities with --json)"
                        : dv instanceof List<?> states ? String.join(" -> ", states.stream().map(Object::toString)
                        .toList()) : String.valueOf(dv)).append('\n'));
            } else {
                sb.append(k).append(": ").append(v).append('\n');
            }
        });
        return sb.toString();
    }

    /**
     * The report as one line of JSON. Gson writes each value by its runtime type, so counts stay integers and the
     * identity lists (fastutil {@code LongList}s) become arrays of integers.
     */
    static String json(Map<String, Object> report) {
        return JsonReports.line(report);
    }
}
