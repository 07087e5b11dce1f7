package dev.mmiomediator.migration;

import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.Step;
import dev.mmiomediator.migration.stream.DeviceSection;
import dev.mmiomediator.migration.stream.MigrationImage;
import dev.mmiomediator.migration.stream.MigrationStream;
import dev.mmiomediator.migration.stream.StreamFormatException;
import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationDataSink;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.vfio.PciAddress;
import dev.mmiomediator.vfio.Transition;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The destination side, following a {@link MigrationPlan}'s destination steps: read the whole migration stream and
 * validate it ({@link MigrationStream#read}: nothing is applied from a truncated, corrupt, reordered or unknown
 * stream, or one whose devices do not match this VM's); then every device to RESUMING and its state written; RAM
 * loaded; the carried P2P writes handed to the policy engine ({@link PolicyEngine#importHeld}), ahead of any
 * newer access; the VM's own DMA started (so accesses to devices still RESUMING go through the policy, queued under
 * {@code queue-and-replay}); then the devices started one by one (P2P-capable ones through RUNNING_P2P), each
 * replaying the writes held for it when it first accepts. The reply {@code OK} goes back once every device runs;
 * {@code REFUSED <reason>} otherwise, also when the policy asked to cancel the migration while the devices loaded
 * and started (an access from the VM's DMA to a device still RESUMING, under {@code abort-migration}): the source then
 * resumes with everything it held, and this side's VM is to be discarded.
 *
 * <p><b>Note:</b> one {@link #run} per instance, on one thread.
 */
public final class DestinationMigration {
    /** The largest stream accepted. */
    public static final long MAX_STREAM_BYTES = 1L << 30;

    private final Map<PciAddress, PassthroughDevice> devices;
    private final PolicyEngine engine;
    private final MigrationPlan plan;
    private final VmHooks hooks;
    private final AbortSwitch abort;
    private final Consumer<String> progress;
    private final PathLog paths;

    /**
     * @param devices  the passthrough devices, RUNNING as freshly opened, each registered with {@code engine}
     * @param abort    the {@link dev.mmiomediator.policy.MigrationControl} {@code engine} was given: a request to
     *                 cancel, made before the reply, refuses the migration
     * @param progress receives one line per step
     */
    public DestinationMigration(List<PassthroughDevice> devices, PolicyEngine engine, MigrationPlan plan,
                                VmHooks hooks, AbortSwitch abort, Consumer<String> progress) {
        this.devices = new LinkedHashMap<>();
        devices.forEach(d -> this.devices.put(d.address(), d));
        this.engine = Objects.requireNonNull(engine, "engine");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.hooks = Objects.requireNonNull(hooks, "hooks");
        this.abort = Objects.requireNonNull(abort, "abort");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.paths = new PathLog(this.devices.values());
    }

    /**
     * Receives one migration from {@code channel}, replies, and closes it.
     *
     * @return {@code completed} (the VM runs here), or {@code refused} with the reason
     */
    public MigrationResult run(MigrationChannel channel) {
        try (channel) {
            MigrationImage image;
            try {
                image = MigrationStream.read(channel.in(), MAX_STREAM_BYTES);
            } catch (StreamFormatException e) {
                return refuse(channel, "invalid migration stream: " + e.getMessage(), 0);
            }
            long start = System.nanoTime();
            String mismatch = mismatch(image);
            if (mismatch != null) {
                return refuse(channel, mismatch, 0);
            }
            progress.accept("destination: stream of '" + image.vm() + "' validated: " + image.devices().size()
                    + " devices, " + image.ram().size() + " RAM sections, " + image.queuedWrites().size()
                    + " held P2P writes");
            try {
                load(image);
            } catch (RuntimeException | IOException e) {
                undo();
                return refuse(channel, "loading failed: " + e.getMessage(), 0);
            }
            String cancelled = abort.reason();
            if (cancelled != null) {
                undo();
                return refuse(channel, "cancelled on the destination: " + cancelled, 0);
            }
            long downtime = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            channel.reply("OK");
            progress.accept("destination: every device RUNNING; the VM runs here");
            return new MigrationResult("completed", "", paths.snapshot(), image.queuedWrites().size(), downtime, 0);
        } catch (IOException e) {
            undo();
            return new MigrationResult("refused", "transport failure: " + e, paths.snapshot(), 0, 0, 0);
        }
    }

    private void load(MigrationImage image) throws IOException {
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
        hooks.loadRam(image.ram());
        engine.importHeld(image.queuedWrites());
        hooks.resume();
        for (Step step : starting) {
            engine.setPhase(step.phase());
            move(step);
        }
        engine.setPhase(MigrationPhase.NONE);
    }

    private Transition move(Step step) {
        Transition t = devices.get(step.device()).transition(step.target());
        paths.walked(step.device(), t.path());
        progress.accept("destination: " + step.device() + " " + PathLog.join(t.path()));
        return t;
    }

    /** Why this VM cannot take {@code image}, or null. */
    private String mismatch(MigrationImage image) {
        Map<PciAddress, DeviceSection> states = new LinkedHashMap<>();
        image.devices().forEach(s -> states.put(s.device(), s));
        if (!states.keySet().equals(devices.keySet())) {
            return "the stream carries devices " + states.keySet() + ", this VM has " + devices.keySet();
        }
        for (DeviceSection s : image.devices()) {
            if (!s.flags().equals(devices.get(s.device()).flags())) {
                return s.device() + " has migration flags " + s.flags() + " in the stream, "
                        + devices.get(s.device()).flags() + " here";
            }
        }
        return null;
    }

    private MigrationResult refuse(MigrationChannel channel, String reason, long downtime) {
        progress.accept("destination: refused: " + reason);
        try {
            channel.reply("REFUSED " + reason.replace('\n', ' '));
        } catch (IOException e) {
            progress.accept("destination: could not send the refusal: " + e);
        }
        return new MigrationResult("refused", reason, paths.snapshot(), 0, downtime, 0);
    }

    /** Back to a fresh destination: every device reset to RUNNING, the VM's DMA stopped. */
    private void undo() {
        engine.setPhase(MigrationPhase.NONE);
        hooks.requestStop();
        for (PassthroughDevice d : devices.values()) {
            if (d.state() != MigrationState.RUNNING) {
                d.reset();
                paths.reached(d.address(), d.state());
            }
        }
    }
}
