#include "clipscope/experiments/results.h"

#include <ctime>

#include "clipscope/io/atomic_file.h"
#include "clipscope/stats/paired_test.h"

namespace clipscope::experiments {
namespace {

std::string csv_field(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

nlohmann::json bound(const std::optional<stats::Interval>& interval, bool low) {
  if (!interval) return nullptr;
  return low ? interval->low : interval->high;
}

}  // namespace

std::string CsvTable::to_csv() const {
  std::string text;
  auto append_row = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) text += ',';
      text += csv_field(row[i]);
    }
    text += "\n";
  };
  append_row(header);
  for (const auto& row : rows) append_row(row);
  return text;
}

void MetricCollector::add(const std::string& experiment, const std::string& variant, const std::string& metric,
                          nlohmann::json labels, const std::vector<double>& per_sample,
                          std::optional<double> chance) {
  stats::Estimate estimate = stats::bootstrap_mean(per_sample, bootstrap_);
  metrics_.push_back({{"experiment", experiment},
                      {"variant", variant},
                      {"metric", metric},
                      {"labels", labels.is_null() ? nlohmann::json::object() : labels},
                      {"value", estimate.value},
                      {"ci_low", bound(estimate.interval, true)},
                      {"ci_high", bound(estimate.interval, false)},
                      {"ci_method", estimate.method},
                      {"chance", chance ? nlohmann::json(*chance) : nlohmann::json(nullptr)},
                      {"n", estimate.n}});
}

void MetricCollector::compare(const std::string& experiment, const std::string& metric, nlohmann::json labels,
                              const std::string& name_a, const std::vector<double>& a,
                              const std::string& name_b, const std::vector<double>& b) {
  stats::Estimate difference = stats::paired_bootstrap_difference(a, b, bootstrap_);
  stats::PairedTestResult test = stats::mcnemar_exact(a, b);
  stats::Estimate mean_a = stats::bootstrap_mean(a, {1, bootstrap_.level, bootstrap_.seed});
  stats::Estimate mean_b = stats::bootstrap_mean(b, {1, bootstrap_.level, bootstrap_.seed});
  comparisons_.push_back({{"experiment", experiment},
                          {"metric", metric},
                          {"labels", labels.is_null() ? nlohmann::json::object() : labels},
                          {"a", name_a},
                          {"b", name_b},
                          {"value_a", mean_a.value},
                          {"value_b", mean_b.value},
                          {"difference", difference.value},
                          {"ci_low", bound(difference.interval, true)},
                          {"ci_high", bound(difference.interval, false)},
                          {"test", "mcnemar_exact"},
                          {"p_value", test.p_value},
                          {"discordant_a", test.only_a},
                          {"discordant_b", test.only_b},
                          {"n", difference.n}});
}

std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

void write_results(const Results& results, const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder);
  for (const auto& [file_name, table] : results.samples) io::write_file_atomic(folder / file_name, table.to_csv());
  io::write_file_atomic(folder / "results.json", results.document.dump(2) + "\n");
}

}  // namespace clipscope::experiments
