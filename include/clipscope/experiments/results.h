// Collecting the numbers of an eval run: metric records with bootstrap intervals, paired
// comparisons and per-sample CSV tables, and writing them atomically. The JSON layout is
// documented in docs/results-schema.md.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/stats/interval.h"

namespace clipscope::experiments {

/// Version of the results.json layout written by this build.
inline constexpr int kResultsSchemaVersion = 1;

/// A table written as RFC 4180 CSV.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  /// Returns the CSV text with a header line; fields with a comma, quote or newline are quoted.
  std::string to_csv() const;
};

/// Metric records and comparisons of one run, each with its interval.
class MetricCollector {
 public:
  explicit MetricCollector(stats::BootstrapOptions bootstrap) : bootstrap_(bootstrap) {}

  /// Adds a metric record averaging `per_sample` (one value per sample) with a bootstrap interval.
  void add(const std::string& experiment, const std::string& variant, const std::string& metric,
           nlohmann::json labels, const std::vector<double>& per_sample, std::optional<double> chance);

  /// Adds a comparison of b against a on the same samples: paired bootstrap of mean(b - a) and the
  /// exact McNemar test (values must be 0/1 outcomes).
  void compare(const std::string& experiment, const std::string& metric, nlohmann::json labels,
               const std::string& name_a, const std::vector<double>& a, const std::string& name_b,
               const std::vector<double>& b);

  const nlohmann::json& metrics() const { return metrics_; }
  const nlohmann::json& comparisons() const { return comparisons_; }

 private:
  stats::BootstrapOptions bootstrap_;
  nlohmann::json metrics_ = nlohmann::json::array();
  nlohmann::json comparisons_ = nlohmann::json::array();
};

/// Everything an eval run writes.
struct Results {
  nlohmann::json document;                 ///< The results.json content.
  std::map<std::string, CsvTable> samples;  ///< File name (e.g. "tor_samples.csv") to table.
};

/// Returns the current time in UTC as ISO 8601 text, for example "2026-12-05T06:40:30Z".
std::string utc_timestamp();

/// Writes every CSV and then results.json into `folder` (created if missing), each atomically.
/// Throws Error(kIo) naming the file that failed.
void write_results(const Results& results, const std::filesystem::path& folder);

}  // namespace clipscope::experiments
