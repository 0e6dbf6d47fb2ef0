// The headline bias rates of a results.json document: the first-object rate of TOR, the
// large-object rate of IOR and I2TOR, and matching accuracy with the large object first or last.
// It also extracts the per-sample 0/1 outcomes behind them, so two runs on the same inputs can be
// compared pairwise. `clipscope run`, `progression` and `origin` print and compare these.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/experiments/results.h"

namespace clipscope::experiments {

/// One headline rate: where it is found in results.json and how it reads.
struct BiasMeasureSpec {
  std::string id;          ///< Stable short name, e.g. "tor_first_n2".
  std::string title;       ///< Table row title, e.g. "TOR top-1 is the 1st object (n=2)".
  std::string experiment;  ///< results.json "experiment".
  std::string variant;     ///< results.json "variant"; empty matches any.
  std::string metric;      ///< results.json "metric".
  nlohmann::json labels;   ///< Labels the record must carry (others may be present).
};

/// Returns the headline measures in table order.
const std::vector<BiasMeasureSpec>& bias_measure_specs();

/// Returns the metric record of `results` that `spec` names, or nullptr when the run lacks it.
/// The pointer refers into `results`.
const nlohmann::json* find_bias_record(const nlohmann::json& results, const BiasMeasureSpec& spec);

/// Returns a rate record as "62.5%  [55.0, 70.0]  chance 50.0%" ("n/a" without a value).
std::string format_rate(const nlohmann::json& record);

/// Per-sample 0/1 outcomes of one measure, keyed by sample (caption or image file).
using SampleOutcomes = std::map<std::string, double>;

/// Returns the per-sample outcomes behind each headline measure that the run's CSV tables allow:
/// tor_first_n<k> (top-1 name is the first-named object), ior_large and i2tor_large (top-1 is the
/// large object), matching_large_first and matching_large_last (the correct caption wins, no
/// per-object aggregation). Measures whose table is missing are left out.
std::map<std::string, SampleOutcomes> bias_outcomes(const Results& results);

/// Adds to `collector` one paired comparison per measure present in both `a` and `b`, on the
/// samples they share (paired bootstrap of b - a and exact McNemar). Returns the ids compared.
std::vector<std::string> compare_bias(const Results& a, const std::string& name_a, const Results& b,
                                      const std::string& name_b, MetricCollector& collector);

}  // namespace clipscope::experiments
