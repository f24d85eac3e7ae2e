package dev.ringmoe.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code ringmoe bench --plot FILE.png}: two charts stacked in one PNG, against the device budget:
 * decode tokens/s, and storage bytes read per decode token, one line per store and policy. The
 * resident model's decode speed and the ideal bytes (the experts the router chooses) are horizontal
 * reference lines; cache rows add Belady's minimum as a line of its own. Drawn headless.
 */
final class BenchPlot {
  static final int WIDTH = 1000;
  static final int CHART_HEIGHT = 520;

  /** Distinct on white; the i-th store and policy gets the i-th in both charts. */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xd62728),
    new Color(0x2ca02c),
    new Color(0xff7f0e),
    new Color(0x9467bd),
    new Color(0x8c564b),
    new Color(0xe377c2),
    new Color(0x17becf),
    new Color(0x7f7f7f),
    new Color(0xbcbd22)
  };

  private BenchPlot() {}

  /** Writes the PNG, {@link #WIDTH} x 2 {@link #CHART_HEIGHT} pixels. */
  static void write(Path file, List<BenchRow> rows, String title, double idealStorageBytesPerToken)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection speed = new XYSeriesCollection();
    XYSeriesCollection bytes = new XYSeriesCollection();
    Map<String, XYSeries> speedSeries = new LinkedHashMap<>();
    Map<String, XYSeries> bytesSeries = new LinkedHashMap<>();
    Map<String, XYSeries> beladySeries = new LinkedHashMap<>();
    double resident = Double.NaN;
    for (BenchRow r : rows) {
      if (r.budget == null) {
        resident = r.decode;
        continue;
      }
      String key = r.store + " " + r.policy;
      double x = r.budgetBytes / 1e6;
      speedSeries.computeIfAbsent(key, k -> new XYSeries(k, true, true)).addOrUpdate(x, r.decode);
      bytesSeries
          .computeIfAbsent(key, k -> new XYSeries(k, true, true))
          .addOrUpdate(x, r.storageBytesPerToken / 1e6);
      if (Double.isFinite(r.beladyBytesPerToken)) {
        beladySeries
            .computeIfAbsent("Belady MIN (" + r.store + ")", k -> new XYSeries(k, true, true))
            .addOrUpdate(x, r.beladyBytesPerToken / 1e6);
      }
    }
    speedSeries.values().forEach(speed::addSeries);
    bytesSeries.values().forEach(bytes::addSeries);
    beladySeries.values().forEach(bytes::addSeries); // last: a policy has the same color in both

    JFreeChart top =
        ChartFactory.createXYLineChart(
            title + ": decode speed",
            "device budget (MB)",
            "decode tok/s",
            speed,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    if (Double.isFinite(resident)) {
      marker(
          top,
          resident,
          String.format(Locale.ROOT, "resident %.1f tok/s", resident),
          new Color(0x20, 0x70, 0x20));
    }
    JFreeChart bottom =
        ChartFactory.createXYLineChart(
            "storage bytes read per decode token",
            "device budget (MB)",
            "storage MB / decode token (as stored)",
            bytes,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    if (idealStorageBytesPerToken > 0) {
      marker(
          bottom,
          idealStorageBytesPerToken / 1e6,
          String.format(
              Locale.ROOT,
              "all routed experts, as stored: %.2f MB",
              idealStorageBytesPerToken / 1e6),
          Color.GRAY);
    }
    for (JFreeChart c : List.of(top, bottom)) {
      c.setBackgroundPaint(Color.WHITE);
      XYPlot p = c.getXYPlot();
      p.setBackgroundPaint(Color.WHITE);
      p.setDomainGridlinePaint(Color.LIGHT_GRAY);
      p.setRangeGridlinePaint(Color.LIGHT_GRAY);
      XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
      XYSeriesCollection data = (XYSeriesCollection) p.getDataset();
      for (int i = 0; i < data.getSeriesCount(); i++) {
        String key = (String) data.getSeriesKey(i);
        if (key.startsWith("Belady")) {
          renderer.setSeriesPaint(i, Color.BLACK);
          renderer.setSeriesStroke(
              i,
              new BasicStroke(
                  2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {2, 3}, 0));
        } else {
          renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
          renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
      }
      p.setRenderer(renderer);
    }

    BufferedImage image = new BufferedImage(WIDTH, 2 * CHART_HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, 2 * CHART_HEIGHT);
      top.draw(g, new Rectangle2D.Double(0, 0, WIDTH, CHART_HEIGHT));
      bottom.draw(g, new Rectangle2D.Double(0, CHART_HEIGHT, WIDTH, CHART_HEIGHT));
    } finally {
      g.dispose();
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
  }

  private static void marker(JFreeChart chart, double value, String label, Color color) {
    ValueMarker m = new ValueMarker(value);
    m.setPaint(color);
    m.setStroke(
        new BasicStroke(
            1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
    m.setLabel(label);
    m.setLabelPaint(color);
    m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
    m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
    XYPlot p = chart.getXYPlot();
    p.addRangeMarker(m);
    // A marker outside the axis's range is not drawn: the axis reaches from 0 past it and the data.
    double top = value;
    XYSeriesCollection data = (XYSeriesCollection) p.getDataset();
    for (int s = 0; s < data.getSeriesCount(); s++) {
      top = Math.max(top, data.getSeries(s).getMaxY());
    }
    if (top > 0 && Double.isFinite(top)) {
      p.getRangeAxis().setRange(0, 1.12 * top);
    }
  }
}
