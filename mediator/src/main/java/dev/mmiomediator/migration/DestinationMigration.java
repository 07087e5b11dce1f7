package dev.mmiomediator.migration;

import dev.mmiomediator.memory.Size;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.Step;
import dev.mmiomediator.migration.stream.DeviceSection;
import dev.mmiomediator.migration.stream.MigrationImage;
import dev.mmiomediator.migration.stream.ReceivedStream;
import dev.mmiomediator.input.StreamFormatException;
import dev.mmiomediator.migration.stream.StreamHeader;
import dev.mmiomediator.migration.stream.StreamLimits;
import dev.mmiomediator.migration.stream.StreamReader;
import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationDataSink;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.MigrationStreamException;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.trace.TraceListener;
import dev.mmiomediator.vfio.Transition;
import io.netty.buffer.Unpooled;
import it.unimi.dsi.fastutil.longs.LongOpenHashSet;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The destination side, following a {@link MigrationPlan}'s destination steps. It reads the stream section by
 * section in bounded memory ({@link StreamReader} within {@link Settings#limits}): the header first, refused at
 * once if it names another VM or another number of devices; RAM to a {@link RamStaging} file, each section checked
 * against this VM's RAM; device states and carried writes kept. Nothing is applied until the end marker and the
 * whole-stream checksum are verified and every device state passes its device's own check
 * ({@link PassthroughDevice#checkState}) and every carried write fits a BAR of its device, with no sequence number
 * twice and each initiator's writes to a device in sequence order. Then every device to RESUMING and its state
 * written; RAM loaded from the staging file; the carried writes handed to the policy engine
 * ({@link PolicyEngine#importHeld}) ahead of any newer access; the VM's own DMA started (so accesses to devices
 * still RESUMING go through the policy, queued under {@code queue-and-replay}); then the devices started one by
 * one (P2P-capable ones through RUNNING_P2P), each replaying the writes held for it when it first accepts.
 *
 * <p>The reply {@code OK crc32c=... bytes=...} (naming the stream's {@linkplain
 * dev.mmiomediator.migration.stream.StreamDigest digest}) goes back once every device runs; {@code REFUSED <reason>}
 * otherwise, also when the policy asked to cancel the migration while the devices loaded and started (an access from
 * the VM's DMA to a device still RESUMING, under {@code abort-migration}): the source then resumes with everything it
 * held, and this side's VM is to be discarded.
 *
 * <p>Every wait on the source is bounded: each read must progress within {@link Settings#idle}, the whole stream
 * must arrive within {@link Settings#transfer}.
 *
 * <p><b>Note:</b> one migration per instance, on one thread at a time ({@link MigrationListener} hands it the first
 * source that sends a valid header).
 */
public final class DestinationMigration {
    /**
     * What the destination accepts and how long it waits.
     *
     * @param limits  the stream's limits: length, frame, device states, carried writes
     * @param idle    the longest a read (or the reply) may wait for progress
     * @param transfer the longest the whole stream may take to arrive, from its first byte
     * @param staging where the RAM staging file goes; null for the system's temporary directory
     */
    public record Settings(StreamLimits limits, Duration idle, Duration transfer, Path staging) {
        /** {@link StreamLimits#DEFAULT}, 60 s idle, 10 minutes for the stream, the system's temporary directory. */
        public static final Settings DEFAULT = new Settings(StreamLimits.DEFAULT, Duration.ofSeconds(60),
                Duration.ofMinutes(10), null);

        /** @throws IllegalArgumentException naming the value if a timeout is not positive */
        public Settings {
            Objects.requireNonNull(limits, "limits");
            positive(idle, "idle timeout");
            positive(transfer, "transfer timeout");
        }

        /** These settings with other timeouts. */
        public Settings withTimeouts(Duration idle, Duration transfer) {
            return new Settings(limits, idle, transfer, staging);
        }

        /** These settings with other limits. */
        public Settings withLimits(StreamLimits limits) {
            return new Settings(limits, idle, transfer, staging);
        }
    }

    static void positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " " + d + ", expected a positive duration");
        }
    }

    private final String vm;
    private final Map<PciAddress, PassthroughDevice> devices;
    private final PolicyEngine engine;
    private final MigrationPlan plan;
    private final VmHooks hooks;
    private final AbortSwitch abort;
    private final Settings settings;
    private final Consumer<String> progress;
    private final PathLog paths;
    private TraceListener trace = TraceListener.NONE;

    /**
     * @param vm       this VM's name: a stream for another VM is refused
     * @param devices  the passthrough devices, RUNNING as freshly opened, each registered with {@code engine}
     * @param abort    the {@link dev.mmiomediator.policy.MigrationControl} {@code engine} was given: a request to
     *                 cancel, made before the reply, refuses the migration
     * @param progress receives one line per step
     */
    public DestinationMigration(String vm, List<PassthroughDevice> devices, PolicyEngine engine, MigrationPlan plan,
                                VmHooks hooks, AbortSwitch abort, Settings settings, Consumer<String> progress) {
        this.vm = Objects.requireNonNull(vm, "vm");
        this.devices = new LinkedHashMap<>();
        devices.forEach(d -> this.devices.put(d.address(), d));
        this.engine = Objects.requireNonNull(engine, "engine");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.hooks = Objects.requireNonNull(hooks, "hooks");
        this.abort = Objects.requireNonNull(abort, "abort");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.paths = new PathLog(this.devices.values());
    }

    /** The settings. */
    public Settings settings() {
        return settings;
    }

    /**
     * Reports this side's migration to {@code listener} (null for none), and sets it on the engine too: the stream
     * received, every device's path, the phases, each P2P access, the carried writes imported, the replays, the VM's
     * DMA start (and stop, on a refusal after loading began), the downtime, a refusal and the outcome. Call it
     * before {@link #run} (or before {@link MigrationListener#serve} hands this side a source).
     */
    public void setTraceListener(TraceListener listener) {
        this.trace = TraceListener.guarded(listener);
        paths.trace(trace);
        engine.setTraceListener(listener);
    }

    /** A refusal before anything was applied. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    /** A source whose stream's header was read and is for this VM. */
    final class Incoming {
        final MigrationChannel channel;
        final StreamReader reader;
        final RamStaging staging;
        final StreamHeader header;
        final long start;

        Incoming(MigrationChannel channel, StreamReader reader, RamStaging staging, StreamHeader header,
                 long start) {
            this.channel = channel;
            this.reader = reader;
            this.staging = staging;
            this.header = header;
            this.start = start;
        }
    }

    /**
     * Receives one migration from {@code channel} (its reads under this side's deadlines), replies, and closes it.
     *
     * @return {@code completed} (the VM runs here), or {@code refused} with the reason
     */
    public MigrationResult run(MigrationChannel channel) {
        GuardedChannel guarded = new GuardedChannel(channel, settings.idle(), settings.transfer(), "the stream");
        try (guarded) {
            Incoming incoming;
            try {
                incoming = open(guarded);
            } catch (Refused e) {
                return refuse(guarded, e.getMessage());
            }
            return receive(incoming);
        } catch (IOException e) {
            return new MigrationResult(MigrationOutcome.REFUSED, "transport failure: " + e.getMessage(), paths.snapshot(), 0, 0, 0);
        }
    }

    /**
     * Reads the magic and the header from {@code channel}: a stream for this VM, with this VM's number of devices,
     * within the limits.
     *
     * @throws Refused     why not
     * @throws IOException if reading fails (a deadline included)
     */
    Incoming open(MigrationChannel channel) throws Refused, IOException {
        long start = System.nanoTime();
        RamStaging staging = new RamStaging(hooks, settings.staging());
        StreamReader reader = new StreamReader(channel.in(), settings.limits(), staging, this::headerProblem);
        try {
            return new Incoming(channel, reader, staging, reader.header(), start);
        } catch (StreamFormatException e) {
            staging.close();
            // a peer that closes before its first byte sent no stream at all: a cancelled source does that
            throw new Refused(e.section().equals("magic") && e.problem().startsWith("truncated: empty")
                    ? "it closed without sending a stream (as a source that cancels before sending does)"
                    : "invalid migration stream: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            staging.close();
            throw e;
        }
    }

    private String headerProblem(String streamVm, long deviceSections, long ramSections, long queuedWrites) {
        if (!streamVm.equals(vm)) {
            return "a stream of VM '" + streamVm + "', this destination runs '" + vm + "'";
        }
        if (deviceSections != devices.size()) {
            return "the stream announces " + deviceSections + " device states, this VM has " + devices.size()
                    + " passthrough devices (" + devices.keySet() + ")";
        }
        return null;
    }

    /** Reads the rest of the stream, validates it, applies it and replies; closes nothing but the staging. */
    MigrationResult receive(Incoming in) {
        paths.started("destination", vm);
        try (RamStaging staging = in.staging) {
            ReceivedStream received;
            try {
                received = in.reader.rest();
            } catch (StreamFormatException e) {
                return refuse(in.channel, "invalid migration stream: " + e.getMessage());
            }
            MigrationImage image = received.image();
            String problem = problem(image);
            if (problem != null) {
                return refuse(in.channel, problem);
            }
            trace.stream(false, received.digest().bytes(), TraceListener.sections(image.devices().size(),
                    staging.sections(), image.queuedWrites().size()), System.nanoTime() - in.start);
            progress.accept("destination: stream of '" + image.vm() + "' validated (" + received.digest() + "): "
                    + image.devices().size() + " devices, " + staging.sections() + " RAM sections ("
                    + staging.bytes() + " bytes), " + image.queuedWrites().size() + " held P2P writes");
            try {
                load(image, staging);
            } catch (RuntimeException | IOException e) {
                undo();
                return refuse(in.channel, "loading failed: " + e.getMessage());
            }
            String cancelled = abort.reason();
            if (cancelled != null) {
                undo();
                return refuse(in.channel, "cancelled on the destination: " + cancelled);
            }
            long downtime = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - in.start);
            try {
                in.channel.reply("OK " + received.digest());
            } catch (IOException e) {
                // The two-generals gap: the VM runs here, the source may not know; it resumes unless it read OK.
                progress.accept("destination: could not send OK (" + e.getMessage() + "); the VM runs here");
            }
            progress.accept("destination: every device RUNNING; the VM runs here");
            trace.downtime(System.nanoTime() - in.start);
            trace.migrationEnded(MigrationOutcome.COMPLETED.word(), "");
            return new MigrationResult(MigrationOutcome.COMPLETED, "", paths.snapshot(), image.queuedWrites().size(), downtime,
                    received.digest().bytes());
        } catch (IOException e) {
            undo();
            trace.migrationEnded(MigrationOutcome.REFUSED.word(), "transport failure: " + e.getMessage());
            return new MigrationResult(MigrationOutcome.REFUSED, "transport failure: " + e.getMessage(), paths.snapshot(), 0, 0, 0);
        }
    }

    private void load(MigrationImage image, RamStaging staging) throws IOException {
        Map<PciAddress, DeviceSection> states = new LinkedHashMap<>();
        image.devices().forEach(s -> states.put(s.device(), s));
        List<Step> starting = new ArrayList<>();
        for (Step step : plan.destination()) {
            if (step.phase() != MigrationPhase.DESTINATION_RESUMING) {
                starting.add(step);
                continue;
            }
            engine.setPhase(step.phase());
            Transition t = move(step);
            MigrationDataSink sink = t.sink().orElseThrow(() -> new IllegalStateException(step.device()
                    + " reached " + step.target() + " without a resuming session"));
            sink.write(Unpooled.wrappedBuffer(states.get(step.device()).state()));
        }
        staging.apply();
        engine.importHeld(image.queuedWrites());
        Map<PciAddress, Integer> imported = new LinkedHashMap<>();
        image.queuedWrites().forEach(w -> imported.merge(w.device(), 1, Integer::sum));
        imported.forEach(trace::carried);
        hooks.resume();
        trace.vmResumed();
        for (Step step : starting) {
            engine.setPhase(step.phase());
            move(step);
        }
        engine.setPhase(MigrationPhase.NONE);
    }

    private Transition move(Step step) {
        Transition t = paths.walk(devices.get(step.device()), step);
        progress.accept("destination: " + step.device() + " " + PathLog.join(t.path()));
        return t;
    }

    /**
     * Why this VM cannot take {@code image}, or null: its devices and their migration flags, each device's state by
     * its own check, and every carried write against its device's BARs and the sequence order.
     */
    private String problem(MigrationImage image) {
        Map<PciAddress, DeviceSection> states = new LinkedHashMap<>();
        image.devices().forEach(s -> states.put(s.device(), s));
        if (!states.keySet().equals(devices.keySet())) {
            return "the stream carries devices " + states.keySet() + ", this VM has " + devices.keySet();
        }
        for (DeviceSection s : image.devices()) {
            PassthroughDevice d = devices.get(s.device());
            if (!s.flags().equals(d.flags())) {
                return s.device() + " has migration flags " + s.flags() + " in the stream, " + d.flags() + " here";
            }
            try {
                d.checkState(s.state());
            } catch (MigrationStreamException e) {
                return "the device state of " + e.getMessage();
            }
        }
        return writesProblem(image.queuedWrites());
    }

    /** Why the carried writes cannot be applied here, or null. */
    private String writesProblem(List<QueuedWrite> writes) {
        LongOpenHashSet sequences = new LongOpenHashSet(writes.size());
        Map<PciAddress, Map<String, Long>> last = new HashMap<>();
        for (int i = 0; i < writes.size(); i++) {
            QueuedWrite w = writes.get(i);
            PassthroughDevice d = devices.get(w.device());
            PciBar bar = d.bar(w.bar()).orElse(null);
            if (bar == null) {
                return "carried write " + i + " (" + w + "): " + w.device() + " has no BAR " + w.bar() + ", it has "
                        + d.bars();
            }
            if (w.offset() > bar.size() - w.length()) {
                return "carried write " + i + " (" + w + "): ends past " + w.device() + " " + bar
                        + ", expected offset + length at most " + Size.hex(bar.size());
            }
            if (!sequences.add(w.sequence())) {
                return "carried write " + i + " (" + w + "): sequence " + w.sequence() + " again, expected each "
                        + "sequence once";
            }
            Long before = last.computeIfAbsent(w.device(), k -> new HashMap<>()).put(w.initiator(), w.sequence());
            if (before != null && before > w.sequence()) {
                return "carried write " + i + " (" + w + "): sequence " + w.sequence() + " after " + before
                        + " from " + w.initiator() + " to " + w.device() + ", expected each initiator's writes to a "
                        + "device in sequence order";
            }
        }
        return null;
    }

    private MigrationResult refuse(MigrationChannel channel, String reason) {
        progress.accept("destination: refused: " + reason);
        trace.cancelled(reason);
        trace.migrationEnded(MigrationOutcome.REFUSED.word(), reason);
        String line = reason.replace('\n', ' ').replace('\r', ' ');
        try {
            channel.reply("REFUSED " + (line.length() > 1000 ? line.substring(0, 1000) + "..." : line));
        } catch (IOException e) {
            progress.accept("destination: could not send the refusal: " + e.getMessage());
        }
        return new MigrationResult(MigrationOutcome.REFUSED, reason, paths.snapshot(), 0, 0, 0);
    }

    /** {@code refused} for {@code reason}, with nothing applied (the listener's answer when no source came). */
    MigrationResult refusal(String reason) {
        return new MigrationResult(MigrationOutcome.REFUSED, reason, paths.snapshot(), 0, 0, 0);
    }

    /**
     * Back to a fresh destination after a refusal that came once loading had begun: the VM's DMA stopped (within the
     * idle timeout), then every device reset, also those already RUNNING with the source's state, so that nothing of
     * the refused stream stays in a device. (RAM keeps what was loaded: this VM is to be discarded.)
     */
    private void undo() {
        engine.setPhase(MigrationPhase.NONE);
        hooks.requestStop();
        try {
            if (!hooks.awaitStopped(settings.idle())) {
                progress.accept("destination: the VM's DMA did not stop within " + Deadlines.human(settings.idle())
                        + "; resetting the devices anyway");
            } else {
                trace.vmStopped();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (PassthroughDevice d : devices.values()) {
            boolean moved = d.state() != MigrationState.RUNNING;
            long start = System.nanoTime();
            d.reset();
            if (moved) {
                paths.reached(d.address(), d.state(), System.nanoTime() - start);
            }
        }
    }
}
