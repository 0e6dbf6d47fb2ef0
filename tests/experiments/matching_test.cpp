#include "clipscope/experiments/matching.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "stand_in_encoder.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

const std::vector<std::string> kMatchingShapes{"cube", "sphere", "cone", "torus"};

// Adds a stand-in "image" file listing `objects` with their weights; the last object is the large
// one.
void add_image(SceneSet& scenes, const std::vector<std::string>& objects) {
  std::string content;
  std::vector<double> areas;
  for (size_t slot = 0; slot < objects.size(); ++slot) {
    const double weight = slot + 1 == objects.size() ? 0.7 : 0.1;
    content += (slot ? "," : "") + objects[slot] + ":" + std::to_string(weight);
    areas.push_back(weight);
  }
  auto file = scenes.folder / ("scene" + std::to_string(scenes.images.size()) + ".img");
  io::write_file_atomic(file, content);
  scenes.images.push_back({file, objects, static_cast<int64_t>(objects.size()) - 1, areas});
}

const nlohmann::json* find_accuracy(const nlohmann::json& metrics, int scenario) {
  for (const auto& record : metrics) {
    if (record["metric"] == "accuracy" && record["labels"]["scenario"] == scenario &&
        record["labels"]["aggregation"] == "none") {
      return &record;
    }
  }
  return nullptr;
}

TEST(Matching, ChanceAveragesOverImages) {
  SceneSet scenes;
  scenes.folder = testing::make_temp_dir();
  scenes.objects = kMatchingShapes;
  // Two 2-object images (2 absent objects x 2 slots = 4 distractors, chance 1/5) and, last,
  // one 3-object image (1 absent object x 2 slots = 2 distractors, chance 1/3).
  add_image(scenes, {"cube", "sphere"});
  add_image(scenes, {"cone", "torus"});
  add_image(scenes, {"cube", "sphere", "cone"});

  testing::StandInEncoder encoder(kMatchingShapes);
  MetricCollector collector({20, 0.95, 3});
  CsvTable samples;
  run_matching(encoder, scenes, MatchingOptions{}, collector, samples);

  const double expected = (1.0 / 5 + 1.0 / 5 + 1.0 / 3) / 3;
  for (int scenario : {1, 2}) {
    const nlohmann::json* record = find_accuracy(collector.metrics(), scenario);
    ASSERT_NE(record, nullptr) << "scenario " << scenario;
    EXPECT_NEAR((*record)["chance"].get<double>(), expected, 1e-12) << "scenario " << scenario;
  }
}

TEST(Matching, ChanceWithReferenceDistractors) {
  SceneSet scenes;
  scenes.folder = testing::make_temp_dir();
  scenes.objects = kMatchingShapes;
  // Reference distractors: one per absent object, so 2 and 3 captions per image.
  add_image(scenes, {"cube", "sphere", "cone"});
  add_image(scenes, {"cube", "sphere"});

  testing::StandInEncoder encoder(kMatchingShapes);
  MetricCollector collector({20, 0.95, 3});
  CsvTable samples;
  MatchingOptions options;
  options.distractors = DistractorStyle::kReference;
  run_matching(encoder, scenes, options, collector, samples);

  const nlohmann::json* record = find_accuracy(collector.metrics(), 1);
  ASSERT_NE(record, nullptr);
  EXPECT_NEAR((*record)["chance"].get<double>(), (1.0 / 2 + 1.0 / 3) / 2, 1e-12);
}

TEST(Matching, EmptySceneSetIsAnError) {
  SceneSet scenes;
  scenes.folder = "/data/empty-scenes";
  scenes.objects = kMatchingShapes;
  testing::StandInEncoder encoder(kMatchingShapes);
  MetricCollector collector({20, 0.95, 3});
  CsvTable samples;
  try {
    run_matching(encoder, scenes, MatchingOptions{}, collector, samples);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("/data/empty-scenes"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace clipscope::experiments
