#include "clipscope/experiments/bias_measures.h"

#include <gtest/gtest.h>

namespace clipscope::experiments {
namespace {

using nlohmann::json;

Results results_with_tables() {
  Results results;
  results.samples["tor_samples.csv"] = {
      {"variant", "n", "caption", "objects", "top_names", "top1_position", "topn_correct", "average_precision", "ndcg"},
      {{"plain", "2", "a cube and a star", "", "", "0", "1", "1", "1"},
       {"plain", "2", "a star and a cube", "", "", "1", "1", "1", "1"},
       {"plain", "3", "a cube and a star and a cone", "", "", "-1", "0", "0", "0"},
       {"sum", "2", "a cube and a star", "", "", "1", "1", "1", "1"}}};
  results.samples["ior_samples.csv"] = {
      {"image", "objects", "large_slot", "top_names", "top1_slot", "most_similar_slot", "topn_correct",
       "average_precision", "ndcg"},
      {{"a.png", "", "1", "", "1", "1", "1", "1", "1"}, {"b.png", "", "0", "", "2", "2", "1", "1", "1"}}};
  results.samples["matching_samples.csv"] = {
      {"image", "scenario", "aggregation", "correct_caption", "best_distractor", "correct_score",
       "best_distractor_score", "success"},
      {{"a.png", "1", "none", "", "", "", "", "1"},
       {"a.png", "2", "none", "", "", "", "", "0"},
       {"a.png", "2", "sum", "", "", "", "", "1"}}};
  return results;
}

TEST(BiasMeasures, OutcomesFromSampleTables) {
  const auto outcomes = bias_outcomes(results_with_tables());
  ASSERT_EQ(outcomes.count("tor_first_n2"), 1u);
  EXPECT_EQ(outcomes.at("tor_first_n2").at("a cube and a star"), 1.0) << "the sum variant must not overwrite plain";
  EXPECT_EQ(outcomes.at("tor_first_n2").at("a star and a cube"), 0.0);
  EXPECT_EQ(outcomes.at("tor_first_n3").at("a cube and a star and a cone"), 0.0);
  EXPECT_EQ(outcomes.at("ior_large").at("a.png"), 1.0);
  EXPECT_EQ(outcomes.at("ior_large").at("b.png"), 0.0);
  EXPECT_EQ(outcomes.at("matching_large_first").at("a.png"), 1.0);
  EXPECT_EQ(outcomes.at("matching_large_last").at("a.png"), 0.0) << "aggregated rows must not count";
  EXPECT_EQ(outcomes.count("i2tor_large"), 0u) << "no i2tor table, no i2tor outcomes";
}

TEST(BiasMeasures, ComparesOnSharedSamplesOnly) {
  Results a = results_with_tables();
  Results b = results_with_tables();
  b.samples["ior_samples.csv"].rows = {{"b.png", "", "0", "", "0", "0", "1", "1", "1"},
                                       {"c.png", "", "0", "", "0", "0", "1", "1", "1"}};
  MetricCollector collector(stats::BootstrapOptions{200, 0.95, 1});
  const auto compared = compare_bias(a, "a", b, "b", collector);
  EXPECT_NE(std::find(compared.begin(), compared.end(), "ior_large"), compared.end());
  for (const json& comparison : collector.comparisons()) {
    if (comparison.at("metric") != "ior_large") continue;
    EXPECT_EQ(comparison.at("n"), 1) << "only b.png is in both runs";
    EXPECT_EQ(comparison.at("difference"), 1.0);
  }
}

TEST(BiasMeasures, FindsRecordByLabels) {
  const json results = {{"metrics",
                         {{{"experiment", "tor"}, {"variant", "plain"}, {"metric", "top1_position_rate"},
                           {"labels", {{"n", 2}, {"position", 1}, {"given", "all"}}}, {"value", 0.2}},
                          {{"experiment", "tor"}, {"variant", "plain"}, {"metric", "top1_position_rate"},
                           {"labels", {{"n", 2}, {"position", 0}, {"given", "all"}}}, {"value", 0.8},
                           {"ci_low", 0.7}, {"ci_high", 0.9}, {"chance", 0.5}}}}};
  const json* record = find_bias_record(results, bias_measure_specs().front());
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->at("value"), 0.8);
  EXPECT_EQ(format_rate(*record), " 80.0%  [70.0, 90.0]  chance 50.0%");
  EXPECT_EQ(find_bias_record(json::object(), bias_measure_specs().front()), nullptr);
}

}  // namespace
}  // namespace clipscope::experiments
