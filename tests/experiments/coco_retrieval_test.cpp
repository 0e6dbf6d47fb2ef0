#include "clipscope/experiments/coco_retrieval.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "coco_fixture.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Rates are means of a few 0/1 outcomes.
constexpr double kRateTolerance = 1e-12;

struct Synthetic {
  io::CocoDataset dataset;
  std::vector<std::string> categories;
  std::vector<ImageObjects> images;
  std::vector<CaptionObjects> captions;
};

Synthetic synthetic() {
  const fs::path folder = testing::make_temp_dir() / "coco";
  testing::write_synthetic_coco(folder, testing::default_synthetic_images());
  Synthetic data;
  data.dataset = io::read_coco_folder(folder, true);
  for (const auto& category : data.dataset.categories) data.categories.push_back(category.name);
  data.images = multi_object_images(collect_image_objects(data.dataset, AreaSource::kMask));
  MentionMatcher matcher(data.categories, {});
  data.captions = multi_object_captions(collect_caption_objects(data.dataset, matcher, AreaSource::kMask));
  return data;
}

// Returns the record with these fields and exactly these labels; fails the test if there is none.
json find_record(const MetricCollector& collector, const std::string& metric, const json& labels) {
  for (const json& record : collector.metrics()) {
    if (record["metric"] == metric && record["labels"] == labels) return record;
  }
  ADD_FAILURE() << "no record " << metric << " " << labels.dump();
  return json::object();
}

TEST(CocoRetrieval, KeepsMultiObjectSamples) {
  const Synthetic data = synthetic();
  EXPECT_EQ(data.images.size(), 4u);    // image 4 contains one car
  EXPECT_EQ(data.captions.size(), 5u);  // "A car." names one object
}

TEST(CocoTor, FirstMentionWinsExceptUnseenPlural) {
  const Synthetic data = synthetic();
  testing::StandInEncoder encoder(data.categories);
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  run_coco_tor(encoder, data.captions, data.categories, {}, collector, samples);

  // n = 2: "A bed with a cat.", "A cat next to a dog.", "A kite above a dog." all retrieve their first object
  EXPECT_NEAR(find_record(collector, "top1_position_rate", {{"n", 2}, {"position", 0}, {"given", "all"}})["value"], 1.0,
              kRateTolerance);
  // n = 3: the stand-in does not see "dogs", so "Two dogs near a red car and a bed." retrieves car (position 1)
  EXPECT_NEAR(find_record(collector, "top1_position_rate", {{"n", 3}, {"position", 0}, {"given", "all"}})["value"], 0.5,
              kRateTolerance);
  EXPECT_NEAR(find_record(collector, "most_similar_position_rate", {{"n", 3}, {"position", 1}})["value"], 0.5,
              kRateTolerance);
  const json pooled = find_record(collector, "most_similar_position_rate", {{"position", 0}});
  EXPECT_NEAR(pooled["value"], 0.8, kRateTolerance);
  EXPECT_EQ(pooled["n"], 5);
  // chance is the mean of 1/n over the five captions: (3 / 2 + 2 / 3) / 5
  EXPECT_NEAR(pooled["chance"], (1.5 + 2.0 / 3.0) / 5.0, kRateTolerance);
  EXPECT_NEAR(find_record(collector, "top_n_accuracy", {{"n", 2}})["chance"], 1.0 / 15.0, 1e-9);

  ASSERT_EQ(samples.rows.size(), 5u);
  EXPECT_EQ(samples.header[6], "top1_position");
  const auto plural = std::find_if(samples.rows.begin(), samples.rows.end(),
                                   [](const std::vector<std::string>& row) { return row[3].rfind("Two dogs", 0) == 0; });
  ASSERT_NE(plural, samples.rows.end());
  EXPECT_EQ((*plural)[4], "dog|car|bed");
  EXPECT_EQ((*plural)[6], "1");
}

TEST(CocoI2tor, LargestObjectWins) {
  const Synthetic data = synthetic();
  testing::ColourStandInEncoder encoder;
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  run_coco_i2tor(encoder, data.images, data.categories, {}, collector, samples);

  const json largest = find_record(collector, "most_similar_size_rank_rate", {{"size_rank", 0}});
  EXPECT_NEAR(largest["value"], 1.0, kRateTolerance);
  EXPECT_EQ(largest["n"], 4);
  EXPECT_NEAR(find_record(collector, "most_similar_size_role_rate", {{"n", 3}, {"size_role", "small"}})["value"], 0.0,
              kRateTolerance);
  EXPECT_NEAR(find_record(collector, "top1_size_rank_rate", {{"n", 2}, {"size_rank", 0}, {"given", "all"}})["chance"],
              1.0 / 6.0, kRateTolerance);
  EXPECT_NEAR(find_record(collector, "top_n_accuracy", {{"n", 3}})["value"], 1.0, kRateTolerance);
  ASSERT_EQ(samples.rows.size(), 4u);
  EXPECT_EQ(samples.rows[0][3], "bed|dog|cat");
}

TEST(CocoIor, SkipsImagesWithoutOutsideReference) {
  const Synthetic data = synthetic();
  testing::ColourStandInEncoder encoder;
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  run_coco_ior(encoder, data.dataset, data.images, AreaSource::kMask, {}, collector, samples);

  // image 5's kite has no crop from another image
  ASSERT_EQ(samples.rows.size(), 3u);
  for (const auto& row : samples.rows) EXPECT_NE(row[0], "5");
  const json largest = find_record(collector, "most_similar_size_rank_rate", {{"size_rank", 0}});
  EXPECT_NEAR(largest["value"], 1.0, kRateTolerance);
  // vocabulary: the five categories with an instance (no apple)
  EXPECT_NEAR(find_record(collector, "top1_size_rank_rate", {{"n", 2}, {"size_rank", 0}, {"given", "all"}})["chance"],
              1.0 / 5.0, kRateTolerance);
  // every crop file is gone again
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path())) {
    EXPECT_EQ(entry.path().filename().string().rfind("clipscope-coco-crops-" + std::to_string(getpid()) + "-", 0),
              std::string::npos);
  }
}

TEST(CocoRetrieval, RejectsMissingTowerAndBadTemplate) {
  const Synthetic data = synthetic();
  testing::StandInEncoder text_only(data.categories, 0.5, true, false);
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  EXPECT_THROW(run_coco_i2tor(text_only, data.images, data.categories, {}, collector, samples), Error);
  EXPECT_THROW(run_coco_ior(text_only, data.dataset, data.images, AreaSource::kMask, {}, collector, samples), Error);

  testing::ColourStandInEncoder encoder;
  CocoRetrievalOptions options;
  options.text_template = "a photo";
  EXPECT_THROW(run_coco_i2tor(encoder, data.images, data.categories, options, collector, samples), Error);
  options = {};
  options.max_objects = 1;
  EXPECT_THROW(run_coco_tor(encoder, data.captions, data.categories, options, collector, samples), Error);
  EXPECT_THROW(run_coco_tor(encoder, {}, data.categories, {}, collector, samples), Error);
}

}  // namespace
}  // namespace clipscope::experiments
