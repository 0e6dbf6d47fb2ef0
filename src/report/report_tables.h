// Private to src/report: the tables of a report, built once from the loaded folders and then
// rendered as Markdown and as HTML (report.cpp). Rows are folders (models), columns label values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/report/results_folder.h"

namespace clipscope::report::detail {

/// One cell: a metric record's numbers.
struct Cell {
  std::optional<double> value;
  std::optional<double> ci_low;
  std::optional<double> ci_high;
  std::optional<double> chance;
  int64_t n = 0;
};

/// A table laid out like the paper's: rows are models, columns positions, slots or scenarios.
struct Table {
  std::string title;
  std::string metric;                              ///< Metric name of every cell.
  std::vector<std::vector<std::string>> columns;   ///< Column header, one entry per text line.
  std::vector<std::string> rows;                   ///< Folder labels.
  std::vector<std::vector<Cell>> cells;            ///< [row][column].
  std::vector<std::optional<double>> chance;       ///< Per column; empty if models disagree or none is known.
  bool chart = true;                               ///< Whether the HTML draws a bar chart of it.
  bool percent = true;                             ///< Values are rates shown in percent, else plain numbers.
};

/// One experiment of the report.
struct Section {
  std::string id;     ///< Experiment id, used as the HTML anchor.
  std::string title;
  std::string intro;  ///< One or two sentences on what the numbers measure.
  std::vector<Table> tables;
};

/// A paired comparison of one folder, formatted for display.
struct ComparisonRow {
  std::string model;
  std::string experiment;
  std::string metric;
  std::string labels;  ///< "key=value" pairs.
  std::string a;
  std::string b;
  double value_a = 0;
  double value_b = 0;
  double difference = 0;
  std::optional<double> ci_low;
  std::optional<double> ci_high;
  std::optional<double> p_value;
  int64_t n = 0;
};

/// Builds one section per experiment found in any folder, in the paper's order (tor, ior, i2tor,
/// matching, toc, ioc, order_vs_size, then unknown ids alphabetically). Empty tables are dropped.
std::vector<Section> build_sections(const std::vector<ResultsFolder>& folders);

/// Returns every comparison record of every folder.
std::vector<ComparisonRow> build_comparisons(const std::vector<ResultsFolder>& folders);

/// Formats a rate as percent with one decimal ("74.2"); "–" when empty.
std::string format_percent(std::optional<double> rate);

/// Formats a value as format_percent does when `percent`, else with two decimals ("1.37"); "–" when empty.
std::string format_value(std::optional<double> value, bool percent);

/// Formats a cell as "74.2 [71.3, 77.0]" (percent, interval in brackets), as "1.37 [1.20, 1.52]" when
/// not `percent`, or "–".
std::string format_cell(const Cell& cell, bool percent = true);

/// Returns the range of n over the table's filled cells as "1224" or "400–1224".
std::string format_sample_counts(const Table& table);

}  // namespace clipscope::report::detail
