#include "clipscope/experiments/coco_matching.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/experiments/coco_retrieval.h"
#include "coco_fixture.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kMatchingRateTolerance = 1e-12;

// Images whose captions name every object in the singular, so the stand-in finds every mention.
std::vector<testing::SyntheticImage> singular_images() {
  return {
      {1, "one.png", {{"bed", 4, 4, 44, 44}, {"dog", 46, 4, 62, 20}, {"cat", 46, 30, 56, 40}},
       {"A dog and a cat on a bed.", "A bed with a cat."}},
      {2, "two.png", {{"cat", 2, 2, 42, 42}, {"dog", 44, 44, 60, 60}}, {"A dog next to a cat."}},
      {3, "three.png", {{"dog", 2, 2, 40, 40}, {"bed", 42, 2, 62, 22}, {"car", 42, 30, 58, 46}},
       {"A car near a dog and a bed."}},
  };
}

struct Fixture {
  io::CocoDataset dataset;
  std::vector<std::string> categories;
  std::vector<ImageObjects> images;
  std::vector<CaptionObjects> captions;
  std::optional<MentionMatcher> matcher;
};

Fixture fixture() {
  const fs::path folder = testing::make_temp_dir() / "coco";
  testing::write_synthetic_coco(folder, singular_images());
  Fixture data;
  data.dataset = io::read_coco_folder(folder, true);
  for (const auto& category : data.dataset.categories) data.categories.push_back(category.name);
  data.images = multi_object_images(collect_image_objects(data.dataset, AreaSource::kMask));
  data.matcher.emplace(data.categories, std::vector<Synonym>{});
  data.captions = multi_object_captions(collect_caption_objects(data.dataset, *data.matcher, AreaSource::kMask));
  return data;
}

TEST(CocoMatchingCaptions, ReorderAroundLargestObject) {
  const Fixture data = fixture();
  const std::vector<CocoMatchingCaption> captions =
      build_matching_captions(data.captions, *data.matcher, data.images, data.categories, {2, 7});
  ASSERT_EQ(captions.size(), 4u);
  const CocoMatchingCaption& first = captions[0];
  EXPECT_EQ(first.objects, (std::vector<std::string>{"dog", "cat", "bed"}));
  EXPECT_EQ(first.largest, 2u);
  EXPECT_EQ(first.correct[0], "A dog and a cat on a bed.");
  EXPECT_EQ(first.correct[1], "A bed and a dog on a cat.");
  EXPECT_EQ(first.correct[2], "A dog and a cat on a bed.");

  // distractors: categories absent from image 1 and its caption, the same draws in every scenario
  ASSERT_EQ(first.absent.size(), 2u);
  EXPECT_NE(first.absent[0], first.absent[1]);
  for (size_t d = 0; d < first.absent.size(); ++d) {
    EXPECT_TRUE(first.absent[d] == "car" || first.absent[d] == "apple" || first.absent[d] == "kite") << first.absent[d];
    for (size_t scenario = 0; scenario < 3; ++scenario) {
      const std::string& text = first.distractors[scenario][d];
      EXPECT_NE(text.find(first.absent[d]), std::string::npos) << text;
      EXPECT_EQ(text.find(first.objects[first.replaced[d]]), std::string::npos) << text;
    }
  }

  // the same seed gives the same draws
  const auto again = build_matching_captions(data.captions, *data.matcher, data.images, data.categories, {2, 7});
  EXPECT_EQ(again[0].absent, first.absent);
  EXPECT_EQ(again[0].replaced, first.replaced);
}

TEST(CocoMatchingCaptions, SkipsCaptionsWithoutEnoughAbsentCategories) {
  const Fixture data = fixture();
  // image 1 leaves car, apple and kite absent; image 3 leaves cat, apple and kite
  EXPECT_EQ(build_matching_captions(data.captions, *data.matcher, data.images, data.categories, {3, 0}).size(), 4u);
  EXPECT_EQ(build_matching_captions(data.captions, *data.matcher, data.images, data.categories, {4, 0}).size(), 1u);
  EXPECT_THROW(build_matching_captions(data.captions, *data.matcher, data.images, data.categories, {0, 0}), Error);
}

TEST(CocoMatching, AccuracyFollowsFirstMention) {
  const Fixture data = fixture();
  const std::vector<CocoMatchingCaption> captions =
      build_matching_captions(data.captions, *data.matcher, data.images, data.categories, {1, 3});
  // with decay 0 a text embeds as its first-mentioned object alone, so the correct caption wins
  // only where the distractor replaces the object named first (else the two texts tie)
  testing::ColourStandInEncoder encoder(0.0);
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  run_coco_matching(encoder, captions, collector, samples);

  std::array<double, 3> expected{};
  for (const CocoMatchingCaption& caption : captions) {
    const size_t count = caption.objects.size();
    const std::array<size_t, 3> named_first = {0, caption.largest, caption.largest == 0 ? 1 : size_t{0}};
    for (size_t scenario = 0; scenario < 3; ++scenario) {
      if (caption.replaced[0] == named_first[scenario]) expected[scenario] += 1.0 / captions.size();
    }
    EXPECT_GE(count, 2u);
  }
  const std::array<json, 3> labels = {json("as_written"), json(1), json(2)};
  for (size_t scenario = 0; scenario < 3; ++scenario) {
    bool found = false;
    for (const json& record : collector.metrics()) {
      if (record["labels"]["scenario"] != labels[scenario]) continue;
      found = true;
      EXPECT_NEAR(record["value"].get<double>(), expected[scenario], kMatchingRateTolerance) << labels[scenario];
      EXPECT_NEAR(record["chance"].get<double>(), 0.5, kMatchingRateTolerance);
    }
    EXPECT_TRUE(found) << labels[scenario];
  }
  ASSERT_EQ(collector.comparisons().size(), 1u);
  EXPECT_EQ(collector.comparisons()[0]["a"], "large_last");
  EXPECT_EQ(collector.comparisons()[0]["b"], "large_first");
  EXPECT_EQ(samples.rows.size(), 3 * captions.size());
}

TEST(CocoMatching, RejectsEmptyInputAndMissingTower) {
  testing::ColourStandInEncoder encoder;
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  EXPECT_THROW(run_coco_matching(encoder, {}, collector, samples), Error);
  testing::StandInEncoder text_only(testing::synthetic_names(), 0.5, true, false);
  const Fixture data = fixture();
  const auto captions = build_matching_captions(data.captions, *data.matcher, data.images, data.categories, {1, 0});
  EXPECT_THROW(run_coco_matching(text_only, captions, collector, samples), Error);
}

}  // namespace
}  // namespace clipscope::experiments
