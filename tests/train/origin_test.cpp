// clipscope origin with a tiny configuration: both arms train on the same scenes, only the caption
// order differs, and the bias rates of both are compared on the same evaluation samples.
#include "clipscope/train/origin.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "clipscope/io/atomic_file.h"
#include "test_support.h"

namespace clipscope::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::make_temp_dir;
using testing::run_cli;
using testing::shell_quote;

json tiny_config() {
  return {{"model",
           {{"embed_dim", 32},
            {"quick_gelu", true},
            {"vision_cfg", {{"image_size", 32}, {"layers", 1}, {"width", 32}, {"head_width", 16}, {"patch_size", 8}}},
            {"text_cfg", {{"context_length", 12}, {"vocab_size", 600}, {"width", 32}, {"heads", 2}, {"layers", 1}}}}},
          {"data", {{"shapes", {"cube", "sphere", "star", "heart"}}, {"render_size", 32}, {"pool_size", 16}}},
          {"captions", {{"order", "slot"}, {"largest_first_probability", 0.9}}},
          {"optimizer", {{"steps", 3}, {"batch_size", 8}, {"warmup_steps", 1}}},
          {"checkpoint_every", 0},
          {"eval_every", 3},
          {"eval_images", 8}};
}

TEST(Origin, ArmsDifferOnlyInCaptionOrder) {
  const TrainConfig base = train_config_from_json(tiny_config());
  const auto arms = origin_arms(base);
  ASSERT_EQ(arms.size(), 2u);
  EXPECT_EQ(arms[0].first, "largest-first");
  EXPECT_EQ(arms[0].second.captions.order, CaptionOrder::kLargestFirst);
  EXPECT_EQ(arms[0].second.captions.largest_first_probability, 0.9);
  EXPECT_EQ(arms[1].second.captions.order, CaptionOrder::kRandom);
  json a = to_json(arms[0].second);
  json b = to_json(arms[1].second);
  a["captions"].erase("order");
  b["captions"].erase("order");
  EXPECT_EQ(a, b);
}

TEST(Origin, TrainsBothArmsAndComparesThem) {
  OriginOptions options;
  options.base = train_config_from_json(tiny_config());
  options.output = make_temp_dir() / "origin";
  options.scene_count = 6;
  options.scene_size = 64;
  options.experiments = {"tor", "ior", "matching"};
  options.tor.object_counts = {2, 3};
  options.tor.max_captions = 40;
  options.tor.template_variant = false;
  options.tor.sum_variant = false;
  const json origin = run_origin(options);

  ASSERT_EQ(origin.at("arms").size(), 2u);
  for (const json& arm : origin.at("arms")) {
    EXPECT_TRUE(fs::exists(options.output / arm.at("name").get<std::string>() / "model" / "open_clip_model.safetensors"));
    EXPECT_TRUE(arm.at("measures").contains("tor_first_n2")) << arm.dump();
    EXPECT_TRUE(arm.at("measures").contains("ior_large")) << arm.dump();
    EXPECT_TRUE(arm.at("held_out").contains("zero_shot_accuracy"));
  }
  std::vector<std::string> compared;
  for (const json& comparison : origin.at("comparisons")) {
    compared.push_back(comparison.at("metric"));
    EXPECT_EQ(comparison.at("a"), "largest-first");
    EXPECT_EQ(comparison.at("b"), "random");
    EXPECT_TRUE(comparison.at("p_value").is_number());
  }
  for (const char* id : {"tor_first_n2", "ior_large", "matching_large_first", "matching_large_last"}) {
    EXPECT_NE(std::find(compared.begin(), compared.end(), id), compared.end()) << id;
  }
  for (const char* file : {"origin.json", "origin.md", "report.md", "report.html"}) {
    EXPECT_TRUE(fs::exists(options.output / file)) << file;
  }
  const std::string markdown = io::read_file(options.output / "origin.md");
  EXPECT_NE(markdown.find("| TOR top-1 is the 1st object (n=2) |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("largest-first (p = 0.9)"), std::string::npos) << markdown;
}

TEST(OriginCli, UnknownExperimentStopsBeforeTraining) {
  const fs::path folder = make_temp_dir();
  io::write_file_atomic(folder / "config.json", tiny_config().dump());
  const auto result = run_cli("origin --config " + shell_quote((folder / "config.json").string()) +
                              " --experiments tor,colour --out " + shell_quote((folder / "out").string()));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("colour"), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(fs::exists(folder / "out"));
}

}  // namespace
}  // namespace clipscope::train
