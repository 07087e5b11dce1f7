package dev.mmiomediator.trace;

import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.MigrationState;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TraceListener} that keeps what one migration side reports, as {@link TraceEvent}s stamped with the wall
 * clock: the clock is read once, when the recorder is made, and advanced by {@link System#nanoTime()}, so events
 * keep their order and their spacing even if the wall clock is stepped during the run.
 *
 * <p>Bounded: at most {@code maxP2p} P2P accesses are kept (those after are counted in {@link #droppedP2p()}), and
 * at most {@link #MAX_OTHER} other events (transitions, phases, ...: a migration makes a few dozen; those after are
 * counted in {@link #droppedOther()}).
 *
 * <p><b>Note:</b> thread-safe; recording takes one short lock.
 */
public final class TraceRecorder implements TraceListener {
    /** The most events other than P2P accesses kept. */
    public static final int MAX_OTHER = 100_000;
    /** The default bound on P2P accesses kept. */
    public static final int DEFAULT_MAX_P2P = 1_000_000;

    private final String label;
    private final int maxP2p;
    private final long epochMicros;
    private final long originNanos;
    private final List<TraceEvent> events = new ArrayList<>();
    private String lastPhase;
    private int p2p;
    private long droppedP2p;
    private long droppedOther;

    /** A recorder keeping at most {@link #DEFAULT_MAX_P2P} P2P accesses. */
    public TraceRecorder(String label) {
        this(label, DEFAULT_MAX_P2P);
    }

    /**
     * @param label  what the recording is of, for its reader (e.g. {@code queue-and-replay: source})
     * @param maxP2p the most P2P accesses kept, 0 or more
     * @throws IllegalArgumentException naming the value if {@code maxP2p} is negative
     */
    public TraceRecorder(String label, int maxP2p) {
        if (maxP2p < 0) {
            throw new IllegalArgumentException("max P2P events " + maxP2p + ", expected 0 or more");
        }
        this.label = java.util.Objects.requireNonNull(label, "label");
        this.maxP2p = maxP2p;
        Instant now = Instant.now();
        this.originNanos = System.nanoTime();
        this.epochMicros = ChronoUnit.MICROS.between(Instant.EPOCH, now);
    }

    /** What the recording is of. */
    public String label() {
        return label;
    }

    /** Now, in microseconds since the epoch by this recorder's clock. */
    public long nowMicros() {
        return epochMicros + TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - originNanos);
    }

    /** A copy of the events kept, in the order they were recorded. */
    public synchronized List<TraceEvent> events() {
        return List.copyOf(events);
    }

    /** P2P accesses not kept, past the bound. */
    public synchronized long droppedP2p() {
        return droppedP2p;
    }

    /** Other events not kept, past {@link #MAX_OTHER}. */
    public synchronized long droppedOther() {
        return droppedOther;
    }

    private synchronized void add(TraceEvent e) {
        if (events.size() - p2p >= MAX_OTHER) {
            droppedOther++;
            return;
        }
        events.add(e);
    }

    /** A span that ends now and took {@code nanos}: its start. */
    private long began(long end, long nanos) {
        return end - TimeUnit.NANOSECONDS.toMicros(Math.max(0, nanos));
    }

    @Override
    public void migrationStarted(String side, String vm, Map<PciAddress, MigrationState> devices) {
        add(new TraceEvent.Started(nowMicros(), side, vm, devices));
    }

    @Override
    public void transitioned(PciAddress device, List<MigrationState> path, long nanos) {
        long end = nowMicros();
        long start = began(end, nanos);
        add(new TraceEvent.Transitioned(start, end - start, device, path));
    }

    @Override
    public void p2pAccess(P2pAccess access, MigrationState targetState, String decision, int result) {
        TraceEvent e = new TraceEvent.P2p(nowMicros(), access.initiator().id(), access.bar().device(),
                access.bar().bar(), access.barOffset(), access.length(), access.write(), targetState, decision,
                result);
        synchronized (this) {
            if (p2p >= maxP2p) {
                droppedP2p++;
                return;
            }
            p2p++;
            events.add(e);
        }
    }

    @Override
    public void abortRequested(String reason) {
        add(new TraceEvent.AbortRequested(nowMicros(), reason));
    }

    @Override
    public void replayed(PciAddress device, int writes) {
        add(new TraceEvent.Replayed(nowMicros(), device, writes));
    }

    @Override
    public void carried(PciAddress device, int writes) {
        add(new TraceEvent.Carried(nowMicros(), device, writes));
    }

    @Override
    public void phaseChanged(String phase) {
        synchronized (this) {
            if (phase.equals(lastPhase)) {
                return; // the orchestrators set the phase before each step; only a change is an event
            }
            lastPhase = phase;
        }
        add(new TraceEvent.Phase(nowMicros(), phase));
    }

    @Override
    public void vmStopped() {
        add(new TraceEvent.Vm(nowMicros(), false));
    }

    @Override
    public void vmResumed() {
        add(new TraceEvent.Vm(nowMicros(), true));
    }

    @Override
    public void stream(boolean sent, long bytes, Map<String, Integer> sections, long nanos) {
        long end = nowMicros();
        long start = began(end, nanos);
        add(new TraceEvent.Stream(start, end - start, sent, bytes, sections));
    }

    @Override
    public void downtime(long nanos) {
        long end = nowMicros();
        long start = began(end, nanos);
        add(new TraceEvent.Downtime(start, end - start));
    }

    @Override
    public void cancelled(String reason) {
        add(new TraceEvent.Cancelled(nowMicros(), reason));
    }

    @Override
    public void migrationEnded(String outcome, String reason) {
        add(new TraceEvent.Ended(nowMicros(), outcome, reason));
    }

    @Override
    public String toString() {
        return "trace recorder (" + label + ")";
    }
}
