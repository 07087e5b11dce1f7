package dev.mmiomediator.benchmarks.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws the lookup chart from JMH's JSON output of {@link dev.mmiomediator.benchmarks.lookup.LookupBenchmark}:
 * ns/op against the number of ranges (both axes logarithmic), one line per design, one panel per address
 * pattern side by side, written as a PNG with XChart.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.mmiomediator.benchmarks.report.LookupChart \
 *     benchmarks/results/lookup.json benchmarks/results/lookup.png
 * </pre>
 */
public final class LookupChart {
    private static final String BENCHMARK = "LookupBenchmark.lookup";

    private LookupChart() {
    }

    /** {@code args}: the JSON result file and the PNG to write. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: LookupChart RESULTS.json CHART.png");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        List<JmhOutput.Run> results = JmhOutput.read(Path.of(args[0]));
        // pattern -> design -> size -> ns/op, in the order JMH ran them
        Map<String, Map<String, TreeMap<Integer, Double>>> byPattern = new TreeMap<>();
        for (JmhOutput.Run r : results) {
            if (!r.shortName().equals(BENCHMARK)) {
                continue;
            }
            byPattern.computeIfAbsent(r.param("pattern"), p -> new java.util.LinkedHashMap<>())
                    .computeIfAbsent(r.param("impl"), i -> new TreeMap<>())
                    .put(Integer.parseInt(r.param("size")), r.primaryMetric().score());
        }
        if (byPattern.isEmpty()) {
            System.err.println(args[0] + ": no " + BENCHMARK + " results");
            System.exit(2);
        }
        List<XYChart> charts = new ArrayList<>();
        for (Map.Entry<String, Map<String, TreeMap<Integer, Double>>> p : byPattern.entrySet()) {
            charts.add(chart(p.getKey(), p.getValue()));
        }
        String png = args[1];
        BitmapEncoder.saveBitmap(charts, 1, charts.size(), png.replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart chart(String pattern, Map<String, TreeMap<Integer, Double>> byImpl) {
        XYChart chart = new XYChartBuilder().width(720).height(540)
                .title("Lookup, pattern " + pattern + " (lower is better)")
                .xAxisTitle("ranges in the map").yAxisTitle("ns/op").build();
        Styler styler = chart.getStyler();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        styler.setLegendPosition(Styler.LegendPosition.InsideNW);
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        for (Map.Entry<String, TreeMap<Integer, Double>> e : byImpl.entrySet()) {
            double[] x = e.getValue().keySet().stream().mapToDouble(Integer::doubleValue).toArray();
            double[] y = e.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
            chart.addSeries(e.getKey(), x, y);
        }
        return chart;
    }
}
