#include "clipscope/report/bar_chart.h"

#include <algorithm>

#include <fmt/format.h>

#include "chart_style.h"
#include "clipscope/error.h"

namespace clipscope::report {
namespace {

using detail::kColorCount;
using detail::kSeriesColors;

constexpr double kBarPlotHeight = 210;
constexpr double kBarRightMargin = 16;
constexpr double kLegendHeight = 26;
constexpr double kLabelLineHeight = 14;

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

namespace detail {

std::string svg_open(const std::string& title, double width, double height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {:.0f} {:.0f}\" "
      "width=\"{:.0f}\" height=\"{:.0f}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
      width, height, width, height, escape_xml(title), escape_xml(title));
}

std::string percent_grid(double plot_left, double plot_width, double plot_bottom, double plot_height,
                         const std::string& y_label) {
  std::string svg;
  for (int tick = 0; tick <= 100; tick += 25) {
    const double y = plot_bottom - tick / 100.0 * plot_height;
    svg += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e3e6ea\"/>\n",
                       plot_left, y, plot_left + plot_width, y);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">{}</text>\n",
                       plot_left - 6, y + 4, tick);
  }
  const double middle = plot_bottom - plot_height / 2;
  svg += fmt::format(
      "<text x=\"14\" y=\"{:.1f}\" transform=\"rotate(-90 14 {:.1f})\" text-anchor=\"middle\" font-size=\"11\" "
      "fill=\"#555\">{}</text>\n",
      middle, middle, escape_xml(y_label));
  return svg;
}

}  // namespace detail

std::string render_bar_chart(const BarChart& chart) {
  const size_t series_count = std::max<size_t>(1, chart.series.size());
  size_t label_lines = 1;
  for (const BarGroup& group : chart.groups) {
    if (group.bars.size() != series_count) {
      fail(ErrorKind::kInvalidArgument, "chart \"{}\" has a group with {} bars for {} series", chart.title,
           group.bars.size(), series_count);
    }
    label_lines = std::max(label_lines, group.label_lines.size());
  }

  // frame geometry
  const bool legend = chart.series.size() >= 2;
  const double plot_top = detail::kChartTopMargin + (legend ? kLegendHeight : 0);
  const double plot_bottom = plot_top + kBarPlotHeight;
  const double height = plot_bottom + 12 + kLabelLineHeight * static_cast<double>(label_lines) + 6;
  const double plot_left = detail::kChartLeftMargin;
  const double plot_width = detail::kChartWidth - detail::kChartLeftMargin - kBarRightMargin;
  const size_t group_count = std::max<size_t>(1, chart.groups.size());
  const double group_width = plot_width / static_cast<double>(group_count);
  const double bar_width = std::min(46.0, group_width * 0.72 / static_cast<double>(series_count));
  auto y_of = [&](double rate) { return plot_bottom - detail::clamp_rate(rate) * kBarPlotHeight; };

  std::string svg = detail::svg_open(chart.title, detail::kChartWidth, height);

  // grid and y axis
  svg += detail::percent_grid(plot_left, plot_width, plot_bottom, kBarPlotHeight, chart.y_label);

  // bars, whiskers, chance lines and labels per group
  for (size_t g = 0; g < chart.groups.size(); ++g) {
    const BarGroup& group = chart.groups[g];
    const double center = plot_left + group_width * (static_cast<double>(g) + 0.5);
    const double first_x = center - bar_width * static_cast<double>(series_count) / 2;
    for (size_t s = 0; s < group.bars.size(); ++s) {
      const Bar& bar = group.bars[s];
      if (!bar.value) continue;
      const double x = first_x + bar_width * static_cast<double>(s);
      const double y = y_of(*bar.value);
      const char* color = kSeriesColors[s % kColorCount];
      svg += fmt::format(
          "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{:.1f}%</title></rect>\n",
          x + 1, y, bar_width - 2, plot_bottom - y, color, *bar.value * 100);
      if (bar.ci_low && bar.ci_high) {
        const double whisker_x = x + bar_width / 2;
        const double low = y_of(*bar.ci_low);
        const double high = y_of(*bar.ci_high);
        const double cap = std::min(8.0, bar_width / 3);
        svg += fmt::format(
            "<path class=\"whisker\" d=\"M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} {1:.1f}H{4:.1f}M{3:.1f} {2:.1f}H{4:.1f}\" "
            "stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>\n",
            whisker_x, low, high, whisker_x - cap / 2, whisker_x + cap / 2);
      }
    }
    if (group.chance) {
      const double y = y_of(*group.chance);
      svg += fmt::format(
          "<line class=\"chance\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#c0392b\" "
          "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"><title>chance {:.1f}%</title></line>\n",
          center - group_width * 0.45, y, center + group_width * 0.45, y, *group.chance * 100);
    }
    for (size_t line = 0; line < group.label_lines.size(); ++line) {
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">{}</text>\n",
                         center, plot_bottom + 16 + kLabelLineHeight * static_cast<double>(line),
                         escape_xml(group.label_lines[line]));
    }
  }
  svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#888\"/>\n", plot_left,
                     plot_bottom, plot_left + plot_width);

  // legend: series swatches, then the chance line
  double legend_x = plot_left;
  const double legend_y = detail::kChartTopMargin + 6;
  if (legend) {
    for (size_t s = 0; s < chart.series.size(); ++s) {
      svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n", legend_x,
                         legend_y - 10, kSeriesColors[s % kColorCount]);
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#333\">{}</text>\n", legend_x + 16,
                         legend_y, escape_xml(chart.series[s]));
      legend_x += 16 + 7.0 * static_cast<double>(chart.series[s].size()) + 18;
    }
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#c0392b\" stroke-width=\"1.5\" "
        "stroke-dasharray=\"5 3\"/>\n<text x=\"{3:.1f}\" y=\"{4:.1f}\" font-size=\"11\" fill=\"#333\">chance</text>\n",
        legend_x, legend_y - 4, legend_x + 18, legend_x + 22, legend_y);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace clipscope::report
