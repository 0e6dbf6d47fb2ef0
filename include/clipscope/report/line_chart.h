// Line charts as inline SVG: rates against a numeric x axis (samples seen during training), one
// line per series with confidence-interval whiskers and an optional dashed chance line per series.
// report/bar_chart.h draws the grouped bar charts.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace clipscope::report {

/// One point: a rate in [0, 1] at position x, with its interval.
struct LinePoint {
  double x = 0;
  double value = 0;
  std::optional<double> ci_low;   ///< Lower interval bound; empty draws no whisker.
  std::optional<double> ci_high;  ///< Upper interval bound.
};

/// One line of the chart.
struct LineSeries {
  std::string name;               ///< Legend entry.
  std::vector<LinePoint> points;  ///< Drawn in ascending x.
  std::optional<double> chance;   ///< Chance level, drawn as a dashed line in the series' colour.
};

/// A whole chart. Values are fractions; the y axis shows percent from 0 to 100.
struct LineChart {
  std::string title;                 ///< Accessible title (SVG <title>); not drawn.
  std::string x_label;               ///< X axis caption, e.g. "samples seen".
  std::string y_label = "rate (%)";  ///< Y axis caption.
  std::vector<LineSeries> series;
};

/// Returns the chart as a standalone <svg> element (valid XML, text escaped, no scripts). The x
/// axis spans the smallest to the largest x of all points. Throws Error(kInvalidArgument) if no
/// series has a point or an x value is not finite.
std::string render_line_chart(const LineChart& chart);

/// Formats an axis number compactly: 950, 1.2k, 3.4M, 2B.
std::string format_count(double value);

}  // namespace clipscope::report
