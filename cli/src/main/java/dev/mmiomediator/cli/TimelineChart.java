package dev.mmiomediator.cli;

import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceEvent;
import dev.mmiomediator.vfio.MigrationState;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The timeline picture of one migration (its two sides), drawn by XChart: one lane per device and side with its
 * migration states as coloured bars and its transitions as dark ones, the P2P accesses to the device as marks above
 * its bar coloured by the policy's decision, the replays of held writes as marks on it, the downtime window shaded
 * (the source's, from its first device stop to the destination's reply; the destination's if there is no source), a
 * line where the side cancelled, and a legend. Time
 * runs left to right in milliseconds from the first event of either side. PNG or SVG, by the file's extension.
 */
final class TimelineChart {
    /** The picture's width in pixels. */
    static final int WIDTH = 1600;
    /** Pixels per lane, and for the title, axis and legend around them. */
    static final int LANE_HEIGHT = 56;
    static final int FRAME_HEIGHT = 260;

    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Map<MigrationState, Color> STATE_COLOURS = new EnumMap<>(MigrationState.class);
    private static final Map<String, Color> DECISION_COLOURS = new LinkedHashMap<>();

    static {
        STATE_COLOURS.put(MigrationState.RUNNING, new Color(0x66bb6a));
        STATE_COLOURS.put(MigrationState.PRE_COPY, new Color(0xc5e1a5));
        STATE_COLOURS.put(MigrationState.RUNNING_P2P, new Color(0x81d4fa));
        STATE_COLOURS.put(MigrationState.PRE_COPY_P2P, new Color(0x80cbc4));
        STATE_COLOURS.put(MigrationState.STOP, new Color(0xffcc80));
        STATE_COLOURS.put(MigrationState.STOP_COPY, new Color(0xef9a9a));
        STATE_COLOURS.put(MigrationState.RESUMING, new Color(0xb39ddb));
        STATE_COLOURS.put(MigrationState.ERROR, new Color(0x424242));
        DECISION_COLOURS.put("FORWARD", new Color(0x1b5e20));
        DECISION_COLOURS.put("QUEUE", new Color(0xe65100));
        DECISION_COLOURS.put("FAIL", new Color(0xc62828));
        DECISION_COLOURS.put("ABORT_MIGRATION", new Color(0x6a1b9a));
        DECISION_COLOURS.put("no decision", new Color(0x757575));
    }

    private TimelineChart() {
    }

    /** The picture's height for {@code lanes} lanes. */
    static int height(int lanes) {
        return FRAME_HEIGHT + LANE_HEIGHT * Math.max(1, lanes);
    }

    /** The number of lanes the picture of {@code sides} has: one per device and side. */
    static int lanes(List<RecordedSide> sides) {
        return sides.stream().mapToInt(s -> s.devices().size()).sum();
    }

    /**
     * Writes the picture of {@code sides} (normally a source and a destination) to {@code file}: SVG if its name
     * ends with {@code .svg}, otherwise PNG.
     */
    static void write(Path file, String title, List<RecordedSide> sides) throws IOException {
        XYChart chart = chart(title, sides);
        boolean svg = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".svg");
        try (OutputStream out = Files.newOutputStream(file)) {
            if (svg) {
                VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            } else {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        }
    }

    static XYChart chart(String title, List<RecordedSide> sides) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        int lanes = lanes(sides);
        XYChart chart = new XYChartBuilder().width(WIDTH).height(height(lanes)).title(title)
                .xAxisTitle("milliseconds from the first event").yAxisTitle("").build();
        style(chart.getStyler(), lanes);
        long origin = sides.stream().filter(s -> !s.events().isEmpty()).mapToLong(RecordedSide::start).min()
                .orElse(0);
        long end = sides.stream().mapToLong(RecordedSide::end).max().orElse(origin);
        List<String> labels = new ArrayList<>();
        Map<String, List<double[]>> marks = new LinkedHashMap<>();
        DECISION_COLOURS.keySet().forEach(d -> marks.put(d, new ArrayList<>()));
        List<double[]> replays = new ArrayList<>();
        List<double[]> transitions = new ArrayList<>();
        List<double[]> cancels = new ArrayList<>();
        Map<MigrationState, Integer> shown = new EnumMap<>(MigrationState.class);
        int seriesNumber = 0;
        int lane = 0;
        for (RecordedSide side : sides) {
            Map<PciAddress, Double> y = new LinkedHashMap<>();
            for (PciAddress device : side.devices()) {
                y.put(device, (double) (lanes - lane));
                labels.add(side.side() + "  " + side.deviceName(device));
                lane++;
            }
            for (List<RecordedSide.StateSpan> spans : side.stateSpans().values()) {
                for (RecordedSide.StateSpan s : spans) {
                    double at = y.get(s.device());
                    boolean first = !shown.containsKey(s.state());
                    shown.merge(s.state(), 1, Integer::sum);
                    XYSeries bar = chart.addSeries(first ? s.state().name() : s.state().name() + " #" + seriesNumber,
                            new double[] {ms(s.start(), origin), ms(s.end(), origin)}, new double[] {at, at});
                    bar.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                    bar.setMarker(SeriesMarkers.NONE);
                    bar.setLineColor(STATE_COLOURS.get(s.state()));
                    bar.setLineStyle(new BasicStroke(LANE_HEIGHT * 0.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
                    bar.setShowInLegend(first);
                    seriesNumber++;
                }
            }
            for (TraceEvent e : side.events()) {
                if (e instanceof TraceEvent.Transitioned t && y.containsKey(t.device())) {
                    transitions.add(new double[] {ms(t.micros(), origin), ms(t.micros() + t.durationMicros(), origin),
                            y.get(t.device())});
                } else if (e instanceof TraceEvent.Cancelled c) {
                    cancels.add(new double[] {ms(c.micros(), origin)});
                } else if (e instanceof TraceEvent.P2p p && y.containsKey(p.device())) {
                    String d = p.decision() == null ? "no decision" : p.decision();
                    marks.computeIfAbsent(d, k -> new ArrayList<>()).add(
                            new double[] {ms(p.micros(), origin), y.get(p.device()) + 0.3});
                } else if (e instanceof TraceEvent.Replayed r && y.containsKey(r.device())) {
                    replays.add(new double[] {ms(r.micros(), origin), y.get(r.device())});
                }
            }
        }
        double top = lanes + 0.6;
        // one window shaded: the source's (first device stop to the destination's reply), else the destination's
        RecordedSide shaded = sides.stream()
                .filter(s -> s.events().stream().anyMatch(TraceEvent.Downtime.class::isInstance))
                .findFirst().orElse(null);
        for (RecordedSide side : sides) {
            if (side != shaded) {
                continue;
            }
            for (TraceEvent e : side.events()) {
                if (e instanceof TraceEvent.Downtime d) {
                    XYSeries shade = chart.addSeries("downtime (" + side.side() + ")",
                            new double[] {ms(d.micros(), origin), ms(d.micros() + d.durationMicros(), origin)},
                            new double[] {top, top});
                    shade.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
                    Color c = new Color(0x90, 0x90, 0x90, 70);
                    shade.setFillColor(c);
                    shade.setLineColor(c);
                    shade.setMarker(SeriesMarkers.NONE);
                }
            }
        }
        for (int i = 0; i < transitions.size(); i++) {
            double[] t = transitions.get(i);
            XYSeries arc = chart.addSeries(i == 0 ? "transition (the kernel's arcs)" : "transition #" + i,
                    new double[] {t[0], Math.max(t[1], t[0] + 0.05)}, new double[] {t[2], t[2]});
            arc.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            arc.setMarker(SeriesMarkers.NONE);
            arc.setLineColor(new Color(0x37474f));
            arc.setLineStyle(new BasicStroke(LANE_HEIGHT * 0.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
            arc.setShowInLegend(i == 0);
        }
        for (double[] c : cancels) {
            chart.addAnnotation(new AnnotationLine(c[0], true, false));
            chart.addAnnotation(new AnnotationText("cancel", c[0], lanes + 0.45, false));
        }
        marks.forEach((decision, points) -> {
            if (!points.isEmpty()) {
                XYSeries s = chart.addSeries("P2P " + decision, column(points, 0), column(points, 1));
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                s.setMarker(SeriesMarkers.CIRCLE);
                s.setMarkerColor(DECISION_COLOURS.getOrDefault(decision, Color.GRAY));
            }
        });
        if (!replays.isEmpty()) {
            XYSeries s = chart.addSeries("held writes replayed", column(replays, 0), column(replays, 1));
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.DIAMOND);
            s.setMarkerColor(Color.BLACK);
        }
        double xMax = Math.max(1.0, ms(end, origin));
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(xMax);
        chart.getStyler().setYAxisMin(0.4);
        chart.getStyler().setYAxisMax(top);
        // Lane names under each lane's bar, at its left. (XChart's tick labels cannot name lanes: it picks the
        // ticks itself.) AnnotationText centres its text, so the centre is half the text's width in.
        double perPixel = xMax / (WIDTH - 120.0);
        FontMetrics metrics = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics()
                .getFontMetrics(LABEL_FONT);
        for (int k = 0; k < labels.size(); k++) {
            String label = labels.get(k);
            chart.addAnnotation(new AnnotationText(label, (metrics.stringWidth(label) / 2.0 + 6) * perPixel,
                    lanes - k - 0.36, false));
        }
        return chart;
    }

    private static void style(XYStyler styler, int lanes) {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotBorderVisible(true);
        styler.setPlotGridHorizontalLinesVisible(false);
        styler.setPlotGridLinesColor(new Color(0xe0e0e0));
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setLegendBorderColor(Color.WHITE);
        styler.setMarkerSize(5);
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        styler.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        styler.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        styler.setYAxisTicksVisible(false);
        styler.setAnnotationTextFont(LABEL_FONT);
        styler.setAnnotationTextFontColor(Color.BLACK);
        styler.setAntiAlias(true);
    }

    private static double ms(long micros, long origin) {
        return (micros - origin) / 1000.0;
    }

    private static double[] column(List<double[]> points, int i) {
        double[] c = new double[points.size()];
        for (int k = 0; k < c.length; k++) {
            c[k] = points.get(k)[i];
        }
        return c;
    }
}
