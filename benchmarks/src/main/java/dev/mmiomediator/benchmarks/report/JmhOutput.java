package dev.mmiomediator.benchmarks.report;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * JMH's JSON result file ({@code -rf json}), read with Gson: the fields the report tools use.
 *
 * <p>Stateless. No class in this module has "Result" in its name: jcstress's probe at {@code integration-test}
 * loads every such class it finds on a directory classpath, and fails on them.
 */
public final class JmhOutput {
    private JmhOutput() {
    }

    /**
     * One benchmark result: one method (or group) with one set of parameters.
     *
     * @param benchmark        the fully qualified method, e.g. {@code ...LookupBenchmark.lookup}
     * @param mode             {@code avgt}, {@code thrpt}...
     * @param threads          threads in the run
     * @param params           the {@code @Param} values, or null when the benchmark has none
     * @param primaryMetric    the score
     * @param secondaryMetrics per-method scores of a group, profiler results such as {@code gc.alloc.rate.norm}
     */
    public record Run(String benchmark, String mode, int threads, Map<String, String> params, Metric primaryMetric,
                         Map<String, Metric> secondaryMetrics) {
        /** The parameter {@code name}, or null. */
        public String param(String name) {
            return params == null ? null : params.get(name);
        }

        /** The simple class and method name, e.g. {@code LookupBenchmark.lookup}. */
        public String shortName() {
            String[] parts = benchmark.split("\\.");
            return parts[parts.length - 2] + "." + parts[parts.length - 1];
        }

        /** The secondary metric {@code name}, or null. */
        public Metric secondary(String name) {
            return secondaryMetrics == null ? null : secondaryMetrics.get(name);
        }
    }

    /**
     * A score.
     *
     * @param score      the mean
     * @param scoreError the half-width of the 99.9% confidence interval (NaN with too few iterations)
     * @param scoreUnit  e.g. {@code ns/op}, {@code B/op}
     */
    public record Metric(double score, double scoreError, String scoreUnit) {
    }

    /** Reads a JMH JSON result file. */
    public static List<Run> read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new Gson().fromJson(in, TypeToken.getParameterized(List.class, Run.class).getType());
        }
    }
}
