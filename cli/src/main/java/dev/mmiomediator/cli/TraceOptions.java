package dev.mmiomediator.cli;

import dev.mmiomediator.migration.plan.PassthroughSpec;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceRecorder;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --trace FILE} and {@code --timeline FILE.png|FILE.svg}, shared by {@code simulate} and {@code migrate}: what
 * a migration did, when, as a Chrome trace event file for Perfetto ({@link ChromeTrace}) and as a picture
 * ({@link TimelineChart}), both from the events the library reports ({@link TraceRecorder}).
 */
final class TraceOptions {
    @Option(names = "--trace", paramLabel = "FILE", description = "Write what the migration did, and when, to FILE "
            + "in the Chrome trace event format (JSON), for https://ui.perfetto.dev: one process per side, one track "
            + "per device with its states, each P2P access with the policy's decision, the phases, the stream and "
            + "the downtime, on the wall clock. The files of the two 'migrate' sides line up and can be merged.")
    Path trace;

    @Option(names = "--timeline", paramLabel = "FILE.png|FILE.svg", description = "Draw the migration to FILE (PNG, "
            + "or SVG if the name ends with .svg): one lane per device and side with its states in colour, the P2P "
            + "accesses coloured by decision, the downtime shaded. With several simulated runs, one picture per run: "
            + "FILE with '-POLICY' before its extension.")
    Path timeline;

    /** Per recorded run (simulate) or side (migrate): its title and its sides. */
    private final Map<String, List<RecordedSide>> runs = new LinkedHashMap<>();
    private long nextPid = 1;

    /** Whether either was asked for. */
    boolean given() {
        return trace != null || timeline != null;
    }

    /**
     * Checks the files can be written where asked, before anything runs.
     *
     * @throws BadInputException naming the option and the file if its directory does not exist, or the picture's
     *                           name ends with neither {@code .png} nor {@code .svg}
     */
    void check() {
        writable("--trace", trace);
        writable("--timeline", timeline);
        if (timeline != null) {
            String name = timeline.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!name.endsWith(".png") && !name.endsWith(".svg")) {
                throw new BadInputException("--timeline " + timeline + ": expected a file name ending with .png or "
                        + ".svg");
            }
        }
    }

    private static void writable(String option, Path file) {
        if (file == null) {
            return;
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new BadInputException(option + " " + file + ": directory " + dir + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new BadInputException(option + " " + file + ": is a directory, expected a file to write");
        }
    }

    /** A recorder for one side, or null if neither option was given (then nothing listens). */
    TraceRecorder recorder(String label) {
        return given() ? new TraceRecorder(label) : null;
    }

    /**
     * A simulated run under {@code policy} recorded {@code source} and {@code destination} (both null if nothing was
     * asked for; a blocked run recorded nothing). Its two processes get the next two pids.
     */
    void recorded(String policy, Topology topology, TraceRecorder source, TraceRecorder destination) {
        if (source == null || source.events().isEmpty()) {
            return;
        }
        Map<PciAddress, String> names = names(topology);
        long pid = nextPid;
        nextPid += 2;
        runs.put(policy, List.of(RecordedSide.of(pid, policy + ": source", "source", names, source),
                RecordedSide.of(pid + 1, policy + ": destination", "destination", names, destination)));
    }

    /** One {@code migrate} side recorded {@code recorder}; its process is this process, by its real pid. */
    void recorded(String side, String policy, Topology topology, TraceRecorder recorder) {
        if (recorder == null) {
            return;
        }
        long pid = ProcessHandle.current().pid();
        runs.put(policy, List.of(RecordedSide.of(pid, side + " (" + policy + ", pid " + pid + ")", side,
                names(topology), recorder)));
    }

    private static Map<PciAddress, String> names(Topology topology) {
        Map<PciAddress, String> names = new LinkedHashMap<>();
        for (PassthroughSpec p : topology.passthrough()) {
            names.put(p.address(), p.name());
        }
        return names;
    }

    /**
     * Writes what was recorded: every run in one trace file, and each run's picture (one run: the file asked for;
     * several: one per run, named with {@link #suffixed}).
     */
    void write(String vm) {
        List<RecordedSide> all = new ArrayList<>();
        runs.values().forEach(all::addAll);
        writeTrace(all);
        boolean several = runs.size() > 1;
        runs.forEach((policy, sides) -> writeTimeline(policy + ": migration of '" + vm + "' ("
                + sides.stream().filter(s -> !s.events().isEmpty()).map(RecordedSide::side)
                .reduce((a, b) -> a + " and " + b).orElse("nothing recorded") + ")", sides,
                several ? policy : null));
    }

    /** Writes the trace of {@code sides}, if asked for. */
    void writeTrace(List<RecordedSide> sides) {
        if (trace != null) {
            try {
                ChromeTrace.write(trace, sides);
            } catch (IOException e) {
                throw new BadInputException("--trace " + trace + ": cannot write it: " + e.getMessage());
            }
        }
    }

    /**
     * Draws {@code sides} (one run), if asked for, to the {@code --timeline} file, or with {@code -POLICY} before
     * its extension when {@code suffix} is not null.
     */
    void writeTimeline(String title, List<RecordedSide> sides, String suffix) {
        if (timeline == null) {
            return;
        }
        Path file = suffix == null ? timeline : suffixed(timeline, suffix);
        try {
            TimelineChart.write(file, title, sides);
        } catch (IOException e) {
            throw new BadInputException("--timeline " + file + ": cannot write it: " + e.getMessage());
        }
    }

    /** {@code dir/name-SUFFIX.png} for {@code dir/name.png}. */
    static Path suffixed(Path file, String suffix) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String renamed = name.substring(0, dot) + "-" + suffix.replaceAll("[^A-Za-z0-9._-]", "_") + name.substring(dot);
        return file.resolveSibling(renamed);
    }
}
