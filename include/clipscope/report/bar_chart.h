// Grouped bar charts as inline SVG for the HTML report: one group of bars per category, one bar
// per series (model), confidence-interval whiskers and a dashed chance line per group.
// report/report.h assembles the charts into report.html.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace clipscope::report {

/// One bar: a rate in [0, 1] with its interval.
struct Bar {
  std::optional<double> value;    ///< Empty when the series has no record for the category.
  std::optional<double> ci_low;   ///< Lower interval bound; empty draws no whisker.
  std::optional<double> ci_high;  ///< Upper interval bound.
};

/// A group of bars sharing an x position.
struct BarGroup {
  std::vector<std::string> label_lines;  ///< Axis label, one entry per text line.
  std::vector<Bar> bars;                 ///< One per series, in series order.
  std::optional<double> chance;          ///< Chance level drawn as a dashed line over the group.
};

/// A whole chart. Values are fractions; the y axis shows percent from 0 to 100.
struct BarChart {
  std::string title;                 ///< Accessible title (SVG <title>); not drawn.
  std::string y_label = "rate (%)";  ///< Y axis caption.
  std::vector<std::string> series;   ///< Series names shown in the legend when there are two or more.
  std::vector<BarGroup> groups;
};

/// Returns the chart as a standalone <svg> element (valid XML, text escaped, no scripts).
/// Throws Error(kInvalidArgument) if a group's bar count differs from the series count.
std::string render_bar_chart(const BarChart& chart);

/// Escapes &, <, >, " and ' for XML and HTML text and attribute values.
std::string escape_xml(std::string_view text);

}  // namespace clipscope::report
