package dev.mmiomediator.migration;

import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.Step;
import dev.mmiomediator.migration.stream.DeviceSection;
import dev.mmiomediator.migration.stream.MigrationImage;
import dev.mmiomediator.migration.stream.MigrationStream;
import dev.mmiomediator.migration.stream.StreamDigest;
import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationDataSource;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceListener;
import dev.mmiomediator.vfio.Transition;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The source side of a multi-device migration, in QEMU's order, following a {@link MigrationPlan}'s source steps:
 * optional pre-copy, every P2P-capable device to RUNNING_P2P (or PRE_COPY_P2P) before any device stops, then every
 * device to STOP_COPY; a settle window while the VM still runs (software devices keep doing DMA, which the policy
 * engine handles); the VM stops; device states, RAM and the held P2P writes go into the migration stream; the
 * destination's reply decides. On {@code OK} the held writes count as carried. On anything else (a policy's
 * {@link AbortSwitch abort request}, a user's cancel, a transport failure, a refusal), the migration is cancelled:
 * every P2P-capable device to RUNNING_P2P, then every device to RUNNING, along the kernel's paths; the engine
 * replays the held writes on the way (exactly once, in order); the VM resumes. Nothing is lost, nothing twice.
 *
 * <p><b>Note:</b> one {@link #run} per instance, on one thread; the abort switch may be set from any thread.
 */
public final class SourceMigration {
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
     * How long the source lets things take. Every wait is bounded: a VM that does not stop, or a destination that
     * stalls, makes the source cancel and resume.
     *
     * @param settle   how long the VM keeps running with every device stopped before it stops (the window in which
     *                 software devices' P2P accesses meet stopped devices); zero for none
     * @param vmStop   the longest the VM may take to stop once asked
     * @param idle     the longest one write of the stream, or the wait for the reply, may go without progress
     * @param transfer the longest sending the stream and reading the reply may take together
     */
    public record Settings(Duration settle, Duration vmStop, Duration idle, Duration transfer) {
        /** No settle window, 30 s for the VM to stop, 60 s idle, 10 minutes for the stream and its reply. */
        public static final Settings DEFAULT = new Settings(Duration.ZERO, Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofMinutes(10));

        /** @throws IllegalArgumentException naming the value if the settle window is negative or a timeout not positive */
        public Settings {
            Objects.requireNonNull(settle, "settle");
            if (settle.isNegative()) {
                throw new IllegalArgumentException("settle " + settle + ", expected zero or more");
            }
            DestinationMigration.positive(vmStop, "VM stop timeout");
            DestinationMigration.positive(idle, "idle timeout");
            DestinationMigration.positive(transfer, "transfer timeout");
        }

        /** These settings with another settle window. */
        public Settings withSettle(Duration settle) {
            return new Settings(settle, vmStop, idle, transfer);
        }

        /** These settings with other timeouts for the stream. */
        public Settings withTimeouts(Duration idle, Duration transfer) {
            return new Settings(settle, vmStop, idle, transfer);
        }
    }

    /**
     * A source with {@link Settings#DEFAULT} timeouts and the given settle window.
     */
    public SourceMigration(String vm, List<PassthroughDevice> devices, PolicyEngine engine, MigrationPlan plan,
                           VmHooks hooks, AbortSwitch abort, Duration settle, Consumer<String> progress) {
        this(vm, devices, engine, plan, hooks, abort, Settings.DEFAULT.withSettle(settle), progress);
    }

    /**
     * @param devices  the passthrough devices, RUNNING, each registered with {@code engine}
     * @param abort    the switch the engine's migration control is (the engine must have been built with it)
     * @param progress receives one line per step
     */
    public SourceMigration(String vm, List<PassthroughDevice> devices, PolicyEngine engine, MigrationPlan plan,
                           VmHooks hooks, AbortSwitch abort, Settings settings, Consumer<String> progress) {
        this.vm = Objects.requireNonNull(vm, "vm");
        this.devices = new LinkedHashMap<>();
        devices.forEach(d -> this.devices.put(d.address(), d));
        this.engine = Objects.requireNonNull(engine, "engine");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.hooks = Objects.requireNonNull(hooks, "hooks");
        this.abort = Objects.requireNonNull(abort, "abort switch");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.progress = Objects.requireNonNull(progress, "progress");
        for (Step s : plan.source()) {
            if (!this.devices.containsKey(s.device())) {
                throw new IllegalArgumentException("plan step " + s + ": device " + s.device() + " is not given");
            }
        }
        this.paths = new PathLog(this.devices.values());
    }

    /**
     * Reports this side's migration to {@code listener} (null for none), and sets it on the engine too: every
     * device's path, the phases, each P2P access, the replays, the VM's stop and resume, the stream, the carried
     * writes, the downtime, a cancel and the outcome. Call it before {@link #run}.
     */
    public void setTraceListener(TraceListener listener) {
        this.trace = TraceListener.guarded(listener);
        paths.trace(trace);
        engine.setTraceListener(listener);
    }

    /** A cancellation, for the run to stop and undo. */
    private static final class Cancelled extends Exception {
        Cancelled(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * Runs the migration to the destination behind {@code channel}, and closes it.
     *
     * @return {@code completed}, or {@code aborted} with the reason (devices RUNNING again, VM resumed)
     */
    public MigrationResult run(MigrationChannel channel) {
        Map<PciAddress, MigrationDataSource> sessions = new LinkedHashMap<>();
        long stopStart = 0;
        long carried = 0;
        long bytes = 0;
        boolean vmStopped = false;
        paths.started("source", vm);
        try (channel) {
            for (Step step : plan.source()) {
                check();
                if (stopStart == 0 && step.phase() == MigrationPhase.SOURCE_STOP_COPY) {
                    stopStart = System.nanoTime();
                }
                engine.setPhase(step.phase());
                Transition t = paths.walk(devices.get(step.device()), step);
                t.source().ifPresent(s -> sessions.put(step.device(), s));
                progress.accept("source: " + step.device() + " " + PathLog.join(t.path()));
            }
            if (stopStart == 0) {
                stopStart = System.nanoTime();
            }
            String why = abort.await(settings.settle());
            if (why != null) {
                throw new Cancelled(why);
            }
            hooks.requestStop();
            vmStopped = true;
            if (!hooks.awaitStopped(settings.vmStop())) {
                throw new Cancelled("the VM did not stop within " + Deadlines.human(settings.vmStop()));
            }
            trace.vmStopped();
            check();
            progress.accept("source: VM stopped; saving " + devices.size() + " device states, RAM and held P2P writes");
            List<DeviceSection> states = new ArrayList<>();
            for (PassthroughDevice d : devices.values()) {
                MigrationDataSource src = sessions.get(d.address());
                if (src == null) {
                    throw new IllegalStateException(d.address() + " is " + d.state() + " with no saving session");
                }
                ByteBuf state = src.readAvailable();
                try {
                    byte[] b = new byte[state.readableBytes()];
                    state.readBytes(b);
                    states.add(new DeviceSection(d.address(), d.flags(), b));
                } finally {
                    state.release();
                }
            }
            Map<PciAddress, Integer> held = new LinkedHashMap<>();
            List<QueuedWrite> queued = new ArrayList<>();
            for (PciAddress a : devices.keySet()) {
                List<QueuedWrite> w = engine.heldWrites(a);
                held.put(a, w.size());
                queued.addAll(w);
            }
            MigrationImage image = new MigrationImage(vm, states, hooks.saveRam(), queued);
            bytes = MigrationStream.encodedLength(image);
            progress.accept("source: sending " + bytes + " bytes (" + queued.size() + " held P2P writes) to "
                    + channel.peer());
            check(); // the last point a cancel needs no word from the destination; after it, its reply decides
            GuardedChannel guarded = new GuardedChannel(channel, settings.idle(), settings.transfer(),
                    "sending the stream and reading the reply"); // the deadlines start with the sending
            StreamDigest digest;
            long sending = System.nanoTime();
            try {
                digest = MigrationStream.write(image, guarded.out());
            } catch (IOException e) {
                throw refusedWhileSending(guarded, e);
            }
            trace.stream(true, bytes, TraceListener.sections(states.size(), image.ram().size(),
                    queued.size()), System.nanoTime() - sending);
            String expected = "OK " + digest;
            String reply = guarded.readReply();
            if (reply == null) {
                throw new Cancelled("the destination " + channel.peer() + " closed the connection without a reply");
            }
            if (reply.startsWith("REFUSED ")) {
                throw new Cancelled("the destination " + channel.peer() + " refused: " + reply.substring(8));
            }
            if (!reply.equals(expected)) {
                throw new Cancelled("the destination " + channel.peer() + " answered '" + printable(reply)
                        + "', expected '" + expected + "' for the stream it was sent");
            }
            for (Map.Entry<PciAddress, Integer> e : held.entrySet()) {
                engine.confirmCarried(e.getKey(), e.getValue());
                carried += e.getValue();
                if (e.getValue() > 0) {
                    trace.carried(e.getKey(), e.getValue());
                }
            }
            engine.setPhase(MigrationPhase.NONE);
            trace.downtime(System.nanoTime() - stopStart);
            long downtime = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopStart);
            progress.accept("source: completed; the destination runs the VM (downtime " + downtime + " ms)");
            trace.migrationEnded(MigrationOutcome.COMPLETED.word(), "");
            return new MigrationResult(MigrationOutcome.COMPLETED, "", paths.snapshot(), carried, downtime, bytes);
        } catch (Cancelled e) {
            return cancel(e.getMessage(), stopStart, bytes, vmStopped);
        } catch (IOException e) {
            return cancel("transport failure with " + channel.peer() + ": " + e.getMessage(), stopStart, bytes,
                    vmStopped);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return cancel("interrupted", stopStart, bytes, vmStopped);
        } catch (RuntimeException e) {
            return cancel("failure on the source: " + e, stopStart, bytes, vmStopped);
        }
    }

    /**
     * A write of the stream failed: a destination that refused early (a stream for another VM, say) has replied
     * and closed; its reason is more use than a broken pipe, so it is read if it is there.
     */
    private Cancelled refusedWhileSending(GuardedChannel channel, IOException e) {
        if (!(e instanceof Deadlines.Timeout)) {
            try {
                String reply = channel.readReply();
                if (reply != null && reply.startsWith("REFUSED ")) {
                    return new Cancelled("the destination " + channel.peer() + " refused: " + reply.substring(8));
                }
            } catch (IOException | RuntimeException ignored) {
                // no reply to be had: the write's failure is the reason
            }
        }
        return new Cancelled("transport failure with " + channel.peer() + " while sending: " + e.getMessage());
    }

    /** {@code s} with control characters shown as {@code ?}, at most 200 characters. */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        return sb.length() < s.length() ? sb + "..." : sb.toString();
    }

    private void check() throws Cancelled {
        String why = abort.reason();
        if (why != null) {
            throw new Cancelled(why);
        }
    }

    /** Undoes: devices back to RUNNING (P2P-capable ones through RUNNING_P2P first), VM resumed if it stopped. */
    private MigrationResult cancel(String reason, long stopStart, long bytes, boolean vmStopped) {
        progress.accept("source: cancelling: " + reason);
        trace.cancelled(reason);
        engine.setPhase(MigrationPhase.NONE);
        for (PassthroughDevice d : devices.values()) {
            if (d.flags().has(MigrationFlag.P2P) && !d.state().acceptsInboundMmio()) {
                back(d, MigrationState.RUNNING_P2P);
            }
        }
        for (PassthroughDevice d : devices.values()) {
            back(d, MigrationState.RUNNING);
        }
        if (vmStopped) {
            hooks.resume(); // after a stop still under way, if the VM was slow to stop
            trace.vmResumed();
        }
        if (stopStart != 0) {
            trace.downtime(System.nanoTime() - stopStart);
        }
        long downtime = stopStart == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopStart);
        progress.accept("source: cancelled; every device RUNNING, the VM runs on the source");
        trace.migrationEnded(MigrationOutcome.ABORTED.word(), reason);
        return new MigrationResult(MigrationOutcome.ABORTED, reason, paths.snapshot(), 0, downtime, bytes);
    }

    private void back(PassthroughDevice d, MigrationState target) {
        try {
            long start = System.nanoTime();
            Transition t = d.transition(target);
            paths.walked(d.address(), t.path(), System.nanoTime() - start);
            if (t.path().size() > 1) {
                progress.accept("source: " + d.address() + " " + PathLog.join(t.path()));
            }
        } catch (RuntimeException e) {
            progress.accept("source: " + d.address() + " could not go to " + target + " (" + e.getMessage()
                    + "); resetting it");
            long start = System.nanoTime();
            d.reset();
            paths.reached(d.address(), d.state(), System.nanoTime() - start);
        }
    }
}
