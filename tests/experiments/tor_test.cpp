#include "clipscope/experiments/tor.h"

#include <gtest/gtest.h>

#include "stand_in_encoder.h"

namespace clipscope::experiments {
namespace {

const nlohmann::json* find_tor_metric(const nlohmann::json& metrics, const std::string& variant,
                                  const std::string& metric, const nlohmann::json& labels) {
  for (const auto& record : metrics) {
    if (record["variant"] == variant && record["metric"] == metric && record["labels"] == labels) return &record;
  }
  return nullptr;
}

TEST(Tor, StandInFavoursFirstObject) {
  Vocabulary vocabulary = builtin_vocabulary("simco");
  testing::StandInEncoder encoder(vocabulary.names);
  TorOptions options;
  options.object_counts = {2, 3};
  options.max_captions = 200;
  MetricCollector collector({100, 0.95, 1});
  CsvTable samples;
  run_tor(encoder, vocabulary, options, Compat::kPaper, 5, collector, samples);

  for (int64_t n : {2, 3}) {
    const nlohmann::json* first =
        find_tor_metric(collector.metrics(), "plain", "top1_position_rate", {{"n", n}, {"position", 0}, {"given", "all"}});
    ASSERT_NE(first, nullptr);
    EXPECT_DOUBLE_EQ((*first)["value"].get<double>(), 1.0);
    EXPECT_NEAR((*first)["chance"].get<double>(), 1.0 / 18.0, 1e-12);
    const nlohmann::json* top_n = find_tor_metric(collector.metrics(), "plain", "top_n_accuracy", {{"n", n}});
    ASSERT_NE(top_n, nullptr);
    EXPECT_DOUBLE_EQ((*top_n)["value"].get<double>(), 1.0);
    const nlohmann::json* map = find_tor_metric(collector.metrics(), "template", "map", {{"n", n}});
    ASSERT_NE(map, nullptr);
    EXPECT_DOUBLE_EQ((*map)["value"].get<double>(), 1.0);
  }

  // Sum weights every object equally, so ties go to the lower vocabulary index, not position 0.
  const nlohmann::json* sum_first =
      find_tor_metric(collector.metrics(), "sum", "top1_position_rate", {{"n", 2}, {"position", 0}, {"given", "all"}});
  ASSERT_NE(sum_first, nullptr);
  EXPECT_NEAR((*sum_first)["value"].get<double>(), 0.5, 0.1);
  ASSERT_EQ(collector.comparisons().size(), 2u);
  EXPECT_EQ(collector.comparisons()[0]["a"], "plain");
  EXPECT_FALSE(samples.rows.empty());
  EXPECT_EQ(samples.rows.front().size(), tor_samples_header().size());
}

TEST(Tor, ReferenceCompatCountsSubstrings) {
  Vocabulary vocabulary{"test", {"car", "carrot", "dog", "hot dog"}};
  testing::StandInEncoder encoder(vocabulary.names);
  TorOptions options;
  options.object_counts = {2};
  options.template_variant = false;
  options.sum_variant = false;
  MetricCollector paper_collector({50, 0.95, 1});
  MetricCollector reference_collector({50, 0.95, 1});
  CsvTable samples;
  run_tor(encoder, vocabulary, options, Compat::kPaper, 0, paper_collector, samples);
  run_tor(encoder, vocabulary, options, Compat::kReference, 0, reference_collector, samples);

  // "carrot and hot dog": the substring test also finds "car" and "dog", so four names count as
  // present and the top-2 set recalls only half of them; exact identity recalls all.
  const nlohmann::json* paper = find_tor_metric(paper_collector.metrics(), "plain", "set_recall", {{"n", 2}});
  const nlohmann::json* reference = find_tor_metric(reference_collector.metrics(), "plain", "set_recall", {{"n", 2}});
  ASSERT_NE(paper, nullptr);
  ASSERT_NE(reference, nullptr);
  EXPECT_DOUBLE_EQ((*paper)["value"].get<double>(), 1.0);
  EXPECT_LT((*reference)["value"].get<double>(), 1.0);

  // Worst-first ranking: the reference MAP of a perfect best-first ranking drops below 1.
  const nlohmann::json* paper_map = find_tor_metric(paper_collector.metrics(), "plain", "map", {{"n", 2}});
  const nlohmann::json* reference_map = find_tor_metric(reference_collector.metrics(), "plain", "map", {{"n", 2}});
  EXPECT_DOUBLE_EQ((*paper_map)["value"].get<double>(), 1.0);
  EXPECT_LT((*reference_map)["value"].get<double>(), 1.0);
}

TEST(Tor, RejectsEncoderWithoutTextTower) {
  Vocabulary vocabulary = builtin_vocabulary("simco");
  testing::StandInEncoder encoder(vocabulary.names, 0.5, false, true);
  MetricCollector collector({10, 0.95, 1});
  CsvTable samples;
  EXPECT_THROW(run_tor(encoder, vocabulary, {}, Compat::kPaper, 0, collector, samples), Error);
}

}  // namespace
}  // namespace clipscope::experiments
