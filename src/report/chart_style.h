// Colours and the style sheet shared by the report pages and their SVG charts (report.cpp,
// progression_page.cpp, bar_chart.cpp, line_chart.cpp).
#pragma once

#include <algorithm>
#include <string>

namespace clipscope::report::detail {

/// Colour-blind-safe series colours (Okabe and Ito, 2008), in legend order.
inline constexpr const char* kSeriesColors[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                "#56B4E9", "#D55E00", "#F0E442", "#000000"};
inline constexpr int kColorCount = sizeof(kSeriesColors) / sizeof(kSeriesColors[0]);

/// Returns the opening <svg> element of a chart, with its accessible <title>.
std::string svg_open(const std::string& title, double width, double height);

/// Returns the horizontal grid lines at 0, 25, ..., 100% with their labels and the rotated y-axis
/// caption, for a plot whose 0% line is at `plot_bottom` and 100% line `plot_height` above it.
std::string percent_grid(double plot_left, double plot_width, double plot_bottom, double plot_height,
                         const std::string& y_label);

/// Width of every chart, and the margins left of and above its plot area, in SVG units.
inline constexpr double kChartWidth = 760;
inline constexpr double kChartLeftMargin = 58;
inline constexpr double kChartTopMargin = 14;

/// Clamps a rate to [0, 1] before it is drawn.
inline double clamp_rate(double value) { return std::clamp(value, 0.0, 1.0); }

/// Colour of the dashed chance line.
inline constexpr const char* kChanceColor = "#c0392b";

/// Style sheet of the HTML pages (report.html, progression.html), inlined in each page.
inline constexpr const char* kReportStyle = R"css(
:root { color-scheme: light; }
body { margin: 0; background: #f5f6f8; color: #1d2330;
  font: 14px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 32px 48px; }
header.top { background: #1d2b44; color: #fff; padding: 22px 32px; }
header.top h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header.top p { margin: 0; color: #c8d1e0; }
h2 { font-size: 19px; margin: 34px 0 6px; padding-bottom: 4px; border-bottom: 2px solid #d8dde5; }
h3 { font-size: 15px; margin: 22px 0 8px; }
p.intro { color: #3c4456; margin: 6px 0 12px; max-width: 860px; }
nav { margin: 8px 0 0; }
nav a { margin-right: 14px; color: #1f5fa8; text-decoration: none; }
section.card, div.card { background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: 14px 18px;
  margin: 14px 0; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 6px; }
th, td { border-bottom: 1px solid #e6e9ef; padding: 5px 10px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #eef1f5; font-weight: 600; vertical-align: bottom; }
tr.chance td { color: #a03224; font-style: italic; }
td.rate .ci { color: #6a7386; font-size: 12px; }
table.facts td, table.facts th { text-align: left; white-space: normal; }
table.facts { font-size: 12px; }
.card > h2:first-child, .card > h3:first-child { margin-top: 0; }
div.scroll { overflow-x: auto; }
code { font: 12px "DejaVu Sans Mono", monospace; background: #f0f2f5; padding: 1px 4px; border-radius: 3px; }
p.note { color: #5b6475; font-size: 12px; margin: 4px 0 10px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0 4px;
  font-family: -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; }
footer { color: #6a7386; font-size: 12px; margin-top: 36px; }
)css";

}  // namespace clipscope::report::detail
