#include "clipscope/report/line_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "chart_style.h"
#include "clipscope/error.h"
#include "clipscope/report/bar_chart.h"

namespace clipscope::report {
namespace {

constexpr double kLinePlotHeight = 230;
constexpr double kLineRightMargin = 24;
constexpr double kLegendLineHeight = 18;
constexpr double kBottomMargin = 44;
constexpr int kXTicks = 5;

}  // namespace

std::string format_count(double value) {
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e9) return fmt::format("{:g}B", std::round(value / 1e8) / 10);
  if (magnitude >= 1e6) return fmt::format("{:g}M", std::round(value / 1e5) / 10);
  if (magnitude >= 1e3) return fmt::format("{:g}k", std::round(value / 1e2) / 10);
  return fmt::format("{:g}", std::round(value * 10) / 10);
}

std::string render_line_chart(const LineChart& chart) {
  double x_min = std::numeric_limits<double>::infinity();
  double x_max = -std::numeric_limits<double>::infinity();
  for (const LineSeries& series : chart.series) {
    for (const LinePoint& point : series.points) {
      if (!std::isfinite(point.x)) {
        fail(ErrorKind::kInvalidArgument, "chart \"{}\": series \"{}\" has a point at x = {}", chart.title,
             series.name, point.x);
      }
      x_min = std::min(x_min, point.x);
      x_max = std::max(x_max, point.x);
    }
  }
  if (x_min > x_max) fail(ErrorKind::kInvalidArgument, "chart \"{}\" has no points", chart.title);
  if (x_max == x_min) {
    x_min -= 0.5;
    x_max += 0.5;
  }

  // frame geometry: one legend line per series
  const double legend_height = kLegendLineHeight * static_cast<double>(chart.series.size());
  const double plot_top = detail::kChartTopMargin + legend_height + 6;
  const double plot_bottom = plot_top + kLinePlotHeight;
  const double height = plot_bottom + kBottomMargin;
  const double plot_left = detail::kChartLeftMargin;
  const double plot_width = detail::kChartWidth - detail::kChartLeftMargin - kLineRightMargin;
  auto x_of = [&](double x) { return plot_left + (x - x_min) / (x_max - x_min) * plot_width; };
  auto y_of = [&](double rate) { return plot_bottom - detail::clamp_rate(rate) * kLinePlotHeight; };

  std::string svg = detail::svg_open(chart.title, detail::kChartWidth, height);

  // grid, y axis and x axis
  svg += detail::percent_grid(plot_left, plot_width, plot_bottom, kLinePlotHeight, chart.y_label);
  svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#888\"/>\n", plot_left,
                     plot_bottom, plot_left + plot_width);
  for (int tick = 0; tick <= kXTicks; ++tick) {
    const double x = x_min + (x_max - x_min) * tick / kXTicks;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">{}</text>\n",
                       x_of(x), plot_bottom + 15, format_count(x));
  }
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">{}</text>\n",
                     plot_left + plot_width / 2, plot_bottom + 34, escape_xml(chart.x_label));

  // per series: chance line, whiskers, the line and its points
  for (size_t s = 0; s < chart.series.size(); ++s) {
    const LineSeries& series = chart.series[s];
    const char* color = detail::kSeriesColors[s % detail::kColorCount];
    std::vector<LinePoint> points = series.points;
    std::stable_sort(points.begin(), points.end(), [](const LinePoint& a, const LinePoint& b) { return a.x < b.x; });
    if (series.chance) {
      svg += fmt::format(
          "<line class=\"chance\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
          "stroke-width=\"1.2\" stroke-dasharray=\"5 3\" opacity=\"0.7\"><title>{}: chance {:.1f}%</title></line>\n",
          plot_left, y_of(*series.chance), plot_left + plot_width, y_of(*series.chance), color,
          escape_xml(series.name), *series.chance * 100);
    }
    for (const LinePoint& point : points) {
      if (!point.ci_low || !point.ci_high) continue;
      svg += fmt::format(
          "<path class=\"whisker\" d=\"M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} {1:.1f}H{4:.1f}M{3:.1f} {2:.1f}H{4:.1f}\" "
          "stroke=\"{5}\" stroke-width=\"1\" fill=\"none\"/>\n",
          x_of(point.x), y_of(*point.ci_low), y_of(*point.ci_high), x_of(point.x) - 3, x_of(point.x) + 3, color);
    }
    std::string path;
    for (const LinePoint& point : points) {
      path += fmt::format("{}{:.1f} {:.1f}", path.empty() ? "M" : "L", x_of(point.x), y_of(point.value));
    }
    if (!path.empty()) {
      svg += fmt::format("<path class=\"line\" d=\"{}\" stroke=\"{}\" stroke-width=\"2\" fill=\"none\"/>\n", path, color);
    }
    for (const LinePoint& point : points) {
      svg += fmt::format(
          "<circle class=\"point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.2\" fill=\"{}\"><title>{}: {:.1f}% at {}</title>"
          "</circle>\n",
          x_of(point.x), y_of(point.value), color, escape_xml(series.name), point.value * 100, format_count(point.x));
    }

    // legend entry
    const double legend_y = detail::kChartTopMargin + kLegendLineHeight * static_cast<double>(s) + 10;
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n", plot_left,
                       legend_y - 10, color);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#333\">{}</text>\n", plot_left + 16,
                       legend_y, escape_xml(series.name));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace clipscope::report
