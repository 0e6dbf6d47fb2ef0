#include "clipscope/experiments/bias_measures.h"

#include <algorithm>

#include <fmt/format.h>

#include "clipscope/error.h"

namespace clipscope::experiments {
namespace {

using nlohmann::json;

// Returns the column index of `name` in `table`, or -1.
int column_of(const CsvTable& table, const std::string& name) {
  auto found = std::find(table.header.begin(), table.header.end(), name);
  return found == table.header.end() ? -1 : static_cast<int>(found - table.header.begin());
}

// Returns the table named `file` with all `columns`, or nullptr.
const CsvTable* table_with(const Results& results, const std::string& file, const std::vector<std::string>& columns) {
  auto found = results.samples.find(file);
  if (found == results.samples.end()) return nullptr;
  for (const auto& column : columns) {
    if (column_of(found->second, column) < 0) return nullptr;
  }
  return &found->second;
}

void add_tor_outcomes(const Results& results, std::map<std::string, SampleOutcomes>& outcomes) {
  const CsvTable* table = table_with(results, "tor_samples.csv", {"variant", "n", "caption", "top1_position"});
  if (table == nullptr) return;
  const int variant = column_of(*table, "variant");
  const int n = column_of(*table, "n");
  const int caption = column_of(*table, "caption");
  const int position = column_of(*table, "top1_position");
  for (const auto& row : table->rows) {
    if (row.at(variant) != "plain") continue;
    outcomes["tor_first_n" + row.at(n)][row.at(caption)] = row.at(position) == "0" ? 1.0 : 0.0;
  }
}

void add_image_outcomes(const Results& results, const std::string& experiment,
                        std::map<std::string, SampleOutcomes>& outcomes) {
  const CsvTable* table = table_with(results, experiment + "_samples.csv", {"image", "large_slot", "top1_slot"});
  if (table == nullptr) return;
  const int image = column_of(*table, "image");
  const int large = column_of(*table, "large_slot");
  const int top1 = column_of(*table, "top1_slot");
  for (const auto& row : table->rows) {
    outcomes[experiment + "_large"][row.at(image)] = row.at(top1) == row.at(large) ? 1.0 : 0.0;
  }
}

void add_matching_outcomes(const Results& results, std::map<std::string, SampleOutcomes>& outcomes) {
  const CsvTable* table = table_with(results, "matching_samples.csv", {"image", "scenario", "aggregation", "success"});
  if (table == nullptr) return;
  const int image = column_of(*table, "image");
  const int scenario = column_of(*table, "scenario");
  const int aggregation = column_of(*table, "aggregation");
  const int success = column_of(*table, "success");
  for (const auto& row : table->rows) {
    if (row.at(aggregation) != "none") continue;
    const std::string id = row.at(scenario) == "1" ? "matching_large_first" : "matching_large_last";
    outcomes[id][row.at(image)] = row.at(success) == "1" ? 1.0 : 0.0;
  }
}

}  // namespace

const std::vector<BiasMeasureSpec>& bias_measure_specs() {
  static const std::vector<BiasMeasureSpec> specs = {
      {"tor_first_n2", "TOR top-1 is the 1st object (n=2)", "tor", "plain", "top1_position_rate",
       {{"n", 2}, {"position", 0}, {"given", "all"}}},
      {"tor_first_n3", "TOR top-1 is the 1st object (n=3)", "tor", "plain", "top1_position_rate",
       {{"n", 3}, {"position", 0}, {"given", "all"}}},
      {"ior_large", "IOR top-1 is the large object", "ior", "", "top1_size_role_rate",
       {{"size_role", "large"}, {"given", "all"}}},
      {"ior_small", "IOR top-1 is a small object", "ior", "", "top1_size_role_rate",
       {{"size_role", "small"}, {"given", "all"}}},
      {"i2tor_large", "I2TOR top-1 is the large object", "i2tor", "", "top1_size_role_rate",
       {{"size_role", "large"}, {"given", "all"}}},
      {"matching_large_first", "Matching accuracy, large object first", "matching", "base", "accuracy",
       {{"scenario", 1}}},
      {"matching_large_last", "Matching accuracy, large object last", "matching", "base", "accuracy",
       {{"scenario", 2}}},
  };
  return specs;
}

const json* find_bias_record(const json& results, const BiasMeasureSpec& spec) {
  // iterate the document itself: value() would return a copy, and the returned pointer would dangle
  if (!results.contains("metrics") || !results.at("metrics").is_array()) return nullptr;
  for (const json& record : results.at("metrics")) {
    if (record.value("experiment", "") != spec.experiment || record.value("metric", "") != spec.metric) continue;
    if (!spec.variant.empty() && record.value("variant", "") != spec.variant) continue;
    const json record_labels = record.value("labels", json::object());
    if (!record_labels.is_object()) continue;
    bool matches = true;
    for (const auto& [key, value] : spec.labels.items()) {
      matches = matches && record_labels.contains(key) && record_labels.at(key) == value;
    }
    if (matches) return &record;
  }
  return nullptr;
}

std::string format_rate(const json& record) {
  auto number = [&](const char* key) { return record.contains(key) && record.at(key).is_number(); };
  if (!number("value")) return "n/a";
  std::string text = fmt::format("{:5.1f}%", record.at("value").get<double>() * 100);
  if (number("ci_low") && number("ci_high")) {
    text += fmt::format("  [{:.1f}, {:.1f}]", record.at("ci_low").get<double>() * 100,
                        record.at("ci_high").get<double>() * 100);
  }
  if (number("chance")) text += fmt::format("  chance {:.1f}%", record.at("chance").get<double>() * 100);
  return text;
}

std::map<std::string, SampleOutcomes> bias_outcomes(const Results& results) {
  std::map<std::string, SampleOutcomes> outcomes;
  add_tor_outcomes(results, outcomes);
  add_image_outcomes(results, "ior", outcomes);
  add_image_outcomes(results, "i2tor", outcomes);
  add_matching_outcomes(results, outcomes);
  return outcomes;
}

std::vector<std::string> compare_bias(const Results& a, const std::string& name_a, const Results& b,
                                      const std::string& name_b, MetricCollector& collector) {
  const auto outcomes_a = bias_outcomes(a);
  const auto outcomes_b = bias_outcomes(b);
  std::vector<std::string> compared;
  for (const auto& [id, samples_a] : outcomes_a) {
    auto found = outcomes_b.find(id);
    if (found == outcomes_b.end()) continue;

    // the samples both runs scored, in key order
    std::vector<double> values_a;
    std::vector<double> values_b;
    for (const auto& [key, value] : samples_a) {
      auto other = found->second.find(key);
      if (other == found->second.end()) continue;
      values_a.push_back(value);
      values_b.push_back(other->second);
    }
    if (values_a.empty()) continue;
    collector.compare("bias", id, json::object(), name_a, values_a, name_b, values_b);
    compared.push_back(id);
  }
  return compared;
}

}  // namespace clipscope::experiments
