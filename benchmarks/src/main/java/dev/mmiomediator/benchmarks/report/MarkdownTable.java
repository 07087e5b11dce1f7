package dev.mmiomediator.benchmarks.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints JMH's JSON output as a Markdown table for the README: benchmark, parameters, score ± error and unit,
 * the allocation per op when the run had {@code -prof gc}, and one row per method of a JMH group.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.mmiomediator.benchmarks.report.MarkdownTable results.json
 * </pre>
 */
public final class MarkdownTable {
    private static final String ALLOC = "gc.alloc.rate.norm";

    private MarkdownTable() {
    }

    /** {@code args}: the JSON result file. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: MarkdownTable RESULTS.json");
            System.exit(2);
        }
        System.out.println("| benchmark | params | score | unit | B/op |");
        System.out.println("|---|---|---:|---|---:|");
        for (JmhOutput.Run r : JmhOutput.read(Path.of(args[0]))) {
            String params = r.params() == null ? "" : String.join(" ",
                    new TreeMap<>(r.params()).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
            JmhOutput.Metric alloc = r.secondary(ALLOC);
            row(r.shortName(), params, r.primaryMetric(), alloc);
            if (r.secondaryMetrics() != null) {
                for (Map.Entry<String, JmhOutput.Metric> m : r.secondaryMetrics().entrySet()) {
                    if (!m.getKey().startsWith("gc.") && !m.getKey().startsWith("·")) {
                        row(r.shortName() + ":" + m.getKey(), params, m.getValue(), null);
                    }
                }
            }
        }
    }

    private static void row(String name, String params, JmhOutput.Metric m, JmhOutput.Metric alloc) {
        String error = Double.isNaN(m.scoreError()) ? "" : " ± " + number(m.scoreError());
        System.out.println("| " + name + " | " + params + " | " + number(m.score()) + error + " | " + m.scoreUnit()
                + " | " + (alloc == null ? "" : number(alloc.score())) + " |");
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }
}
