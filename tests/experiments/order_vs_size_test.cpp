#include "clipscope/experiments/order_vs_size.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::run_cli;
using clipscope::testing::shared_path;
using clipscope::testing::shell_quote;

// Captions of coco-mini counted by hand from the JSON files. Each comment lists the mentions that
// are annotated in the image with their largest instance's "area" field, and the position (1-based)
// of the largest. The margins between areas are wide enough that mask areas give the same order.
//   26899 "A bathroom sink ... next to a bunch of scissors."      sink 66020, scissors 1699 -> 1
//   27541 "A bird holding a piece of fruit ..."                    bird only -> k = 1, not counted
//   29779 "A bird sitting on a branch eating an apple."            bird 25160, apple 17611 -> 1
//   30121 "Hair cutting tools sitting on a table by a sink."       table not annotated -> k = 1
//   31600 "A sink and table with small tools ... scissors"         sink, scissors -> 1
//   31909 "A display of different items like scissors and a sink"  scissors, sink -> 2
//   59951 "a dining table with plates, cups, cookies and drinking glasses"
//                                              dining table 184146, cup 5352, wine glass 1687 -> 1
//   62225 "A table with place settings for 7 people."              person not annotated -> k = 1
//   63148 "Two men stand ... holding frisbees near a dog."         person 8366, frisbee 280, dog 2388 -> 1
//   63656 "Surrealistic table with food and small people ..."      person not annotated -> k = 1
//   63700 "Two young men each with a Frisbee with one man ... dog" person, frisbee, dog -> 1
//   66215 "The table is set with several bowls and plates."        dining table, bowl 8782 -> 1
//   69625 "A man holding a frisbee in his right hand at a park."   person, frisbee -> 1
//   69676 "Men playing Frisbee with their dog in a forest field"   person, frisbee, dog -> 1
//   71656 "A man holding a frisbee in a forest field."             person, frisbee -> 1
const std::set<int64_t> kHandCountedCaptions = {26899, 27541, 29779, 30121, 31600, 31909, 59951, 62225,
                                                63148, 63656, 63700, 66215, 69625, 69676, 71656};

const io::CocoDataset& coco_mini() {
  static const io::CocoDataset dataset = io::read_coco_folder(shared_path("data/coco-mini"), true);
  return dataset;
}

MentionMatcher coco_matcher(const io::CocoDataset& dataset) {
  std::vector<std::string> names;
  for (const auto& category : dataset.categories) names.push_back(category.name);
  return MentionMatcher(names, read_synonyms(default_synonyms_path()));
}

std::vector<CaptionObjects> hand_counted(AreaSource source) {
  std::vector<CaptionObjects> all = collect_caption_objects(coco_mini(), coco_matcher(coco_mini()), source);
  std::vector<CaptionObjects> subset;
  for (auto& caption : all) {
    if (kHandCountedCaptions.count(caption.caption_id)) subset.push_back(std::move(caption));
  }
  return subset;
}

TEST(OrderVsSize, MatchesHandCountedCaptions) {
  for (AreaSource source : {AreaSource::kMask, AreaSource::kBox}) {
    std::vector<CaptionObjects> captions = hand_counted(source);
    ASSERT_EQ(captions.size(), kHandCountedCaptions.size());
    OrderVsSizeResult result = order_vs_size(captions, {});
    ASSERT_EQ(result.rows.size(), 7u);
    EXPECT_EQ(result.captions_total, 15);
    EXPECT_EQ(result.captions_used, 11);

    EXPECT_EQ(result.rows[0].objects, 2);
    EXPECT_EQ(result.rows[0].captions, 7);
    EXPECT_EQ(result.rows[0].counts, (std::vector<int64_t>{6, 1})) << area_source_name(source);
    EXPECT_DOUBLE_EQ(result.rows[0].rates[0].value, 6.0 / 7.0);
    EXPECT_DOUBLE_EQ(result.rows[0].chance, 0.5);

    EXPECT_EQ(result.rows[1].objects, 3);
    EXPECT_EQ(result.rows[1].captions, 4);
    EXPECT_EQ(result.rows[1].counts, (std::vector<int64_t>{4, 0, 0})) << area_source_name(source);
    for (size_t r = 2; r < result.rows.size(); ++r) EXPECT_EQ(result.rows[r].captions, 0);
  }
}

TEST(OrderVsSize, HandCountedObjectsInMentionOrder) {
  for (const CaptionObjects& caption : hand_counted(AreaSource::kMask)) {
    if (caption.caption_id != 63700) continue;
    ASSERT_EQ(caption.objects.size(), 3u);
    EXPECT_EQ(caption.objects[0].category, "person");
    EXPECT_EQ(caption.objects[1].category, "frisbee");
    EXPECT_EQ(caption.objects[2].category, "dog");
    EXPECT_EQ(largest_position(caption), 0u);
    return;
  }
  FAIL() << "caption 63700 not found";
}

TEST(OrderVsSize, IntervalsContainRates) {
  OrderVsSizeResult result = order_vs_size(hand_counted(AreaSource::kMask), {});
  for (const OrderVsSizeRow& row : result.rows) {
    for (const stats::Estimate& rate : row.rates) {
      if (row.captions == 0) {
        EXPECT_FALSE(rate.interval.has_value());
        continue;
      }
      ASSERT_TRUE(rate.interval.has_value());
      EXPECT_LE(rate.interval->low, rate.value);
      EXPECT_GE(rate.interval->high, rate.value);
    }
  }
}

TEST(OrderVsSize, RejectsInvalidObjectCounts) {
  OrderVsSizeOptions options;
  options.min_objects = 1;
  EXPECT_THROW(order_vs_size({}, options), Error);
  EXPECT_THROW(parse_area_source("pixels"), Error);
}

TEST(OrderVsSize, WritesTablesAndChart) {
  auto folder = make_temp_dir();
  OrderVsSizeOptions options;
  options.area_source = AreaSource::kBox;
  OrderVsSizeResult result = order_vs_size(hand_counted(AreaSource::kBox), options);
  write_order_vs_size(result, folder);

  std::string csv = io::read_file(folder / "order_vs_size.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "objects,position,captions,count,rate,ci_low,ci_high,chance");
  EXPECT_NE(csv.find("\n2,1,7,1,0.142857,"), std::string::npos) << csv;

  auto json = nlohmann::json::parse(io::read_file(folder / "order_vs_size.json"));
  EXPECT_EQ(json["settings"]["area"], "box");
  EXPECT_EQ(json["rows"][1]["positions"][0]["count"], 4);
  EXPECT_EQ(json["metrics"][0]["metric"], "largest_position_rate");
  EXPECT_EQ(json["metrics"][0]["labels"]["n"], 2);

  std::string svg = io::read_file(folder / "order_vs_size.svg");
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("k=2 (n=7)"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(OrderVsSize, RunsOnDetectorOutput) {
  auto folder = make_temp_dir();
  std::ofstream(folder / "detections.json") << R"({"images": [
    {"image_id": 1, "width": 100, "height": 100, "objects": [
      {"label": "dog", "box": [0, 0, 10, 10], "mask_area": 80},
      {"label": "couch", "box": [0, 0, 90, 60], "mask_area": 5000}]}]})";
  std::ofstream(folder / "captions.json") << R"({"annotations": [
    {"id": 1, "image_id": 1, "caption": "A dog on a sofa."},
    {"id": 2, "image_id": 1, "caption": "A couch with a puppy on it."}]})";
  io::CocoDataset dataset = read_lang_sam_detections(folder / "detections.json", coco_matcher(coco_mini()));
  io::read_coco_captions(folder / "captions.json", dataset);
  OrderVsSizeResult result =
      order_vs_size(collect_caption_objects(dataset, coco_matcher(coco_mini()), AreaSource::kMask), {});
  EXPECT_EQ(result.rows[0].counts, (std::vector<int64_t>{1, 1}));
}

TEST(CaptionsCli, OrderVsSizeEndToEnd) {
  auto folder = make_temp_dir();
  auto output = run_cli("captions order-vs-size --coco " + shell_quote(shared_path("data/coco-mini").string()) +
                        " --area box --out " + shell_quote(folder.string()));
  ASSERT_EQ(output.exit_code, 0) << output.output;
  auto json = nlohmann::json::parse(io::read_file(folder / "order_vs_size.json"));
  EXPECT_EQ(json["captions_total"], 400);
  EXPECT_GT(json["captions_used"].get<int>(), 50);
  EXPECT_TRUE(std::filesystem::exists(folder / "order_vs_size.svg"));
}

TEST(CaptionsCli, MissingFolderIsOneLineError) {
  auto folder = make_temp_dir();
  auto output = run_cli("captions order-vs-size --coco " + shell_quote((folder / "nope").string()) + " --out " +
                        shell_quote(folder.string()));
  EXPECT_NE(output.exit_code, 0);
  EXPECT_NE(output.output.find("clipscope: error: COCO folder"), std::string::npos) << output.output;
  EXPECT_EQ(std::count(output.output.begin(), output.output.end(), '\n'), 1) << output.output;
}

}  // namespace
}  // namespace clipscope::experiments
