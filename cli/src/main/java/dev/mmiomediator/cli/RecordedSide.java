package dev.mmiomediator.cli;

import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceEvent;
import dev.mmiomediator.trace.TraceRecorder;
import dev.mmiomediator.vfio.MigrationState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One migration side as recorded, for the trace file and the timeline: its events, sorted by time, and what follows
 * from them, each device's states as spans.
 *
 * @param pid     the process id the trace gives it (distinct per side in one file, and across the files of two
 *                {@code migrate} processes)
 * @param process the process's name in the trace, e.g. {@code queue-and-replay: source}
 * @param side    {@code source} or {@code destination}
 * @param names   the devices' names from the topology, by address
 * @param events  the recorded events, sorted by {@link TraceEvent#micros()} (stable: same-time events keep the
 *                order they were recorded in)
 * @param droppedP2p P2P accesses the recorder did not keep, past its bound
 */
record RecordedSide(long pid, String process, String side, Map<PciAddress, String> names, List<TraceEvent> events,
                    long droppedP2p) {
    /** A device was in {@code state} from {@code start} to {@code end} (microseconds since the epoch). */
    record StateSpan(PciAddress device, MigrationState state, long start, long end) {
    }

    /** Sorts the recorder's events by time. */
    static RecordedSide of(long pid, String process, String side, Map<PciAddress, String> names,
                           TraceRecorder recorder) {
        List<TraceEvent> sorted = new ArrayList<>(recorder.events());
        sorted.sort((a, b) -> Long.compare(a.micros(), b.micros()));
        return new RecordedSide(pid, process, side, names, List.copyOf(sorted), recorder.droppedP2p());
    }

    /** The earliest event's time, or 0 if there is none. */
    long start() {
        return events.isEmpty() ? 0 : events.get(0).micros();
    }

    /** When the last event (or span) ended, or 0 if there is none. */
    long end() {
        long end = 0;
        for (TraceEvent e : events) {
            end = Math.max(end, e.micros() + duration(e));
        }
        return end;
    }

    static long duration(TraceEvent e) {
        if (e instanceof TraceEvent.Transitioned t) {
            return t.durationMicros();
        }
        if (e instanceof TraceEvent.Stream s) {
            return s.durationMicros();
        }
        if (e instanceof TraceEvent.Downtime d) {
            return d.durationMicros();
        }
        return 0;
    }

    /** The devices in the side's order: those the start named, then any other that transitioned. */
    List<PciAddress> devices() {
        List<PciAddress> devices = new ArrayList<>();
        for (TraceEvent e : events) {
            if (e instanceof TraceEvent.Started s) {
                s.devices().keySet().stream().filter(d -> !devices.contains(d)).forEach(devices::add);
            } else if (e instanceof TraceEvent.Transitioned t && !devices.contains(t.device())) {
                devices.add(t.device());
            }
        }
        return devices;
    }

    /** {@code 0000:01:00.0 (nic)}, or the address alone if the topology does not name it. */
    String deviceName(PciAddress device) {
        String name = names.get(device);
        return name == null ? device.toString() : device + " (" + name + ")";
    }

    /**
     * Each device's states as spans, in time order per device: the state it started in from the side's first event
     * (nothing moved it before the side started), then
     * after each transition the state it ended in (the states a transition passed through last as long as the
     * transition, which is its own span); the last until {@link #end()}.
     */
    Map<PciAddress, List<StateSpan>> stateSpans() {
        Map<PciAddress, List<StateSpan>> spans = new LinkedHashMap<>();
        Map<PciAddress, MigrationState> current = new LinkedHashMap<>();
        Map<PciAddress, Long> since = new LinkedHashMap<>();
        for (TraceEvent e : events) {
            if (e instanceof TraceEvent.Started s) {
                s.devices().forEach((d, state) -> {
                    current.putIfAbsent(d, state);
                    since.putIfAbsent(d, start());
                });
            } else if (e instanceof TraceEvent.Transitioned t) {
                PciAddress d = t.device();
                MigrationState before = current.getOrDefault(d, t.path().get(0));
                long from = since.getOrDefault(d, t.micros());
                if (t.micros() > from) {
                    spans.computeIfAbsent(d, k -> new ArrayList<>()).add(new StateSpan(d, before, from, t.micros()));
                }
                current.put(d, t.path().get(t.path().size() - 1));
                since.put(d, t.micros() + t.durationMicros());
            }
        }
        long end = end();
        current.forEach((d, state) -> {
            long from = since.get(d);
            spans.computeIfAbsent(d, k -> new ArrayList<>()).add(new StateSpan(d, state, from, Math.max(from, end)));
        });
        return spans;
    }
}
