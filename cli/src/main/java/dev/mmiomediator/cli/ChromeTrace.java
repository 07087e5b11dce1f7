package dev.mmiomediator.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceEvent;
import dev.mmiomediator.vfio.MigrationFsm;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes recorded migration sides as a trace in the Chrome trace event format (JSON object form, as the Perfetto
 * project documents it for its JSON importer): one process per side ({@code pid} and {@code process_name}
 * metadata), and in it one thread track per passthrough device, plus tracks for the migration phases, the VM,
 * the stream, the downtime and the migration's own events. Timestamps ({@code ts}) and durations ({@code dur}) are
 * microseconds of the wall clock, so the files of the two processes of a {@code migrate} line up.
 *
 * <ul>
 *   <li>a device's track: its states as complete ({@code X}) spans named after the state, each transition as an
 *       {@code X} span named after the kernel path it walked ({@code RUNNING -> RUNNING_P2P -> STOP}), the P2P
 *       accesses to it as thread-scoped instant ({@code i}) events named after the policy's decision, with the
 *       initiator, BAR, offset, length, direction, target state, decision and result as {@code args}, and the
 *       replays of its held writes and the writes carried for it as instants;</li>
 *   <li>{@code phases}: each migration phase the policy saw as an {@code X} span;</li>
 *   <li>{@code VM}: {@code VM stopped} spans; {@code stream}: the stream sent or received; {@code downtime}: the
 *       side's downtime window; {@code migration}: start, abort requests, cancel and end as instants.</li>
 * </ul>
 *
 * Spans on one track never overlap, as the importer requires.
 */
final class ChromeTrace {
    /** Thread ids of the side's own tracks; devices follow from {@link #FIRST_DEVICE_TID}. */
    private static final int MIGRATION_TID = 1;
    private static final int PHASES_TID = 2;
    private static final int VM_TID = 3;
    private static final int STREAM_TID = 4;
    private static final int DOWNTIME_TID = 5;
    private static final int FIRST_DEVICE_TID = 10;

    private ChromeTrace() {
    }

    /**
     * Writes {@code sides} to {@code file} (replacing it): {@code {"traceEvents":[...],"displayTimeUnit":"ms",
     * "otherData":{...}}}, one event at a time (a trace holds as many as a million P2P accesses per side).
     */
    static void write(Path file, List<RecordedSide> sides) throws IOException {
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             JsonWriter json = gson.newJsonWriter(w)) {
            json.beginObject().name("traceEvents").beginArray();
            long dropped = 0;
            for (RecordedSide side : sides) {
                add(e -> gson.toJson(e, json), side);
                dropped += side.droppedP2p();
            }
            json.endArray().name("displayTimeUnit").value("ms");
            json.name("otherData").beginObject().name("tool").value("mmio-mediator")
                    .name("droppedP2pEvents").value(dropped).endObject();
            json.endObject();
            json.flush();
            w.write('\n');
        }
    }

    /** Where the events go. */
    private interface Sink {
        void add(JsonObject event) throws IOException;
    }

    private static void add(Sink out, RecordedSide side) throws IOException {
        long pid = side.pid();
        out.add(metadata(pid, null, "process_name", "name", side.process()));
        out.add(metadata(pid, null, "process_sort_index", "sort_index", pid));
        thread(out, pid, MIGRATION_TID, "migration");
        thread(out, pid, PHASES_TID, "phases");
        thread(out, pid, VM_TID, "VM");
        thread(out, pid, STREAM_TID, "stream");
        thread(out, pid, DOWNTIME_TID, "downtime");
        List<PciAddress> devices = side.devices();
        for (int i = 0; i < devices.size(); i++) {
            thread(out, pid, FIRST_DEVICE_TID + i, side.deviceName(devices.get(i)));
        }
        for (Map.Entry<PciAddress, List<RecordedSide.StateSpan>> e : side.stateSpans().entrySet()) {
            int tid = FIRST_DEVICE_TID + devices.indexOf(e.getKey());
            for (RecordedSide.StateSpan s : e.getValue()) {
                out.add(span(pid, tid, s.state().name(), "state", s.start(), s.end() - s.start(), null));
            }
        }
        long end = side.end();
        String phase = null;
        long phaseStart = 0;
        Long vmStopped = null;
        for (TraceEvent e : side.events()) {
            if (e instanceof TraceEvent.Started s) {
                JsonObject args = new JsonObject();
                args.addProperty("vm", s.vm());
                args.addProperty("side", s.side());
                s.devices().forEach((d, state) -> args.addProperty(d.toString(), state.name()));
                out.add(instant(pid, MIGRATION_TID, "migration started", "migration", s.micros(), args));
            } else if (e instanceof TraceEvent.Transitioned t) {
                JsonObject args = new JsonObject();
                args.addProperty("path", MigrationFsm.format(t.path()));
                args.addProperty("arcs", t.path().size() - 1);
                out.add(span(pid, FIRST_DEVICE_TID + devices.indexOf(t.device()), MigrationFsm.format(t.path()),
                        "transition", t.micros(), t.durationMicros(), args));
            } else if (e instanceof TraceEvent.P2p p) {
                out.add(instant(pid, FIRST_DEVICE_TID + devices.indexOf(p.device()), p2pName(p), "p2p", p.micros(),
                        p2pArgs(p)));
            } else if (e instanceof TraceEvent.Replayed r) {
                out.add(instant(pid, FIRST_DEVICE_TID + devices.indexOf(r.device()), "replayed " + r.writes()
                        + " held writes", "replay", r.micros(), count("writes", r.writes())));
            } else if (e instanceof TraceEvent.Carried c) {
                out.add(instant(pid, FIRST_DEVICE_TID + devices.indexOf(c.device()), (side.side().equals("source")
                        ? "carried " : "imported ") + c.writes() + " held writes", "carry", c.micros(),
                        count("writes", c.writes())));
            } else if (e instanceof TraceEvent.Phase ph) {
                if (phase != null && !phase.equals("NONE")) {
                    out.add(span(pid, PHASES_TID, phase, "phase", phaseStart, ph.micros() - phaseStart, null));
                }
                phase = ph.phase();
                phaseStart = ph.micros();
            } else if (e instanceof TraceEvent.Vm vm) {
                if (!vm.running() && vmStopped == null) {
                    vmStopped = vm.micros();
                } else if (vm.running() && vmStopped != null) {
                    out.add(span(pid, VM_TID, "VM stopped", "vm", vmStopped, vm.micros() - vmStopped, null));
                    vmStopped = null;
                } else if (vm.running()) {
                    out.add(instant(pid, VM_TID, "VM runs", "vm", vm.micros(), null));
                }
            } else if (e instanceof TraceEvent.Stream s) {
                JsonObject args = new JsonObject();
                args.addProperty("bytes", s.bytes());
                s.sections().forEach((k, v) -> args.addProperty(k, v));
                out.add(span(pid, STREAM_TID, s.sent() ? "stream sent" : "stream received", "stream", s.micros(),
                        s.durationMicros(), args));
            } else if (e instanceof TraceEvent.Downtime d) {
                out.add(span(pid, DOWNTIME_TID, "downtime", "downtime", d.micros(), d.durationMicros(),
                        count("millis", d.durationMicros() / 1000)));
            } else if (e instanceof TraceEvent.AbortRequested a) {
                out.add(instant(pid, MIGRATION_TID, "abort requested", "migration", a.micros(),
                        text("reason", a.reason())));
            } else if (e instanceof TraceEvent.Cancelled c) {
                out.add(instant(pid, MIGRATION_TID, side.side().equals("source") ? "cancel" : "refuse", "migration",
                        c.micros(), text("reason", c.reason())));
            } else if (e instanceof TraceEvent.Ended x) {
                JsonObject args = text("outcome", x.outcome());
                args.addProperty("reason", x.reason());
                out.add(instant(pid, MIGRATION_TID, "migration " + x.outcome(), "migration", x.micros(), args));
            }
        }
        if (phase != null && !phase.equals("NONE")) {
            out.add(span(pid, PHASES_TID, phase, "phase", phaseStart, end - phaseStart, null));
        }
        if (vmStopped != null) {
            out.add(span(pid, VM_TID, "VM stopped", "vm", vmStopped, end - vmStopped, null));
        }
    }

    /** {@code QUEUE write}, or {@code no decision read} when the policy never decided. */
    static String p2pName(TraceEvent.P2p p) {
        return (p.decision() == null ? "no decision" : p.decision()) + (p.write() ? " write" : " read");
    }

    private static JsonObject p2pArgs(TraceEvent.P2p p) {
        JsonObject args = new JsonObject();
        args.addProperty("initiator", p.initiator());
        args.addProperty("device", p.device().toString());
        args.addProperty("bar", p.bar());
        args.addProperty("offset", Size.hex(p.offset()));
        args.addProperty("length", p.length());
        args.addProperty("direction", p.write() ? "write" : "read");
        args.addProperty("targetState", p.targetState() == null ? null : p.targetState().name());
        args.addProperty("decision", p.decision());
        args.addProperty("result", MemTxResult.describe(p.result()));
        return args;
    }

    private static JsonObject count(String key, long n) {
        JsonObject o = new JsonObject();
        o.addProperty(key, n);
        return o;
    }

    private static JsonObject text(String key, String value) {
        JsonObject o = new JsonObject();
        o.addProperty(key, value);
        return o;
    }

    private static void thread(Sink out, long pid, int tid, String name) throws IOException {
        out.add(metadata(pid, tid, "thread_name", "name", name));
        out.add(metadata(pid, tid, "thread_sort_index", "sort_index", tid));
    }

    private static JsonObject metadata(long pid, Integer tid, String name, String key, Object value) {
        JsonObject m = new JsonObject();
        m.addProperty("name", name);
        m.addProperty("ph", "M");
        m.addProperty("pid", pid);
        if (tid != null) {
            m.addProperty("tid", tid);
        }
        JsonObject args = new JsonObject();
        if (value instanceof Number n) {
            args.addProperty(key, n);
        } else {
            args.addProperty(key, String.valueOf(value));
        }
        m.add("args", args);
        return m;
    }

    private static JsonObject span(long pid, int tid, String name, String cat, long ts, long dur, JsonObject args) {
        JsonObject e = event(pid, tid, name, cat, "X", ts, args);
        e.addProperty("dur", Math.max(0, dur));
        return e;
    }

    private static JsonObject instant(long pid, int tid, String name, String cat, long ts, JsonObject args) {
        JsonObject e = event(pid, tid, name, cat, "i", ts, args);
        e.addProperty("s", "t");
        return e;
    }

    private static JsonObject event(long pid, int tid, String name, String cat, String ph, long ts,
                                    JsonObject args) {
        JsonObject e = new JsonObject();
        e.addProperty("name", name);
        e.addProperty("cat", cat);
        e.addProperty("ph", ph);
        e.addProperty("ts", ts);
        e.addProperty("pid", pid);
        e.addProperty("tid", tid);
        if (args != null) {
            e.add("args", args);
        }
        return e;
    }
}
