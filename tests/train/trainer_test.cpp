#include "clipscope/train/trainer.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/model/loader.h"
#include "test_support.h"

namespace clipscope::train {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::run_cli;
using clipscope::testing::shell_quote;

// Features of a saved and reloaded model are the same float32 computation on the same weights.
constexpr double kReloadTolerance = 1e-6;

// A configuration small enough to train for a few dozen steps in seconds.
nlohmann::json tiny_config(int64_t steps) {
  return {{"model",
           {{"embed_dim", 64},
            {"quick_gelu", true},
            {"vision_cfg", {{"image_size", 32}, {"layers", 2}, {"width", 64}, {"head_width", 32}, {"patch_size", 8}}},
            {"text_cfg", {{"context_length", 12}, {"vocab_size", 600}, {"width", 64}, {"heads", 2}, {"layers", 2}}}}},
          {"data", {{"shapes", {"cube", "sphere", "star", "heart", "torus", "cone"}}, {"render_size", 32}}},
          {"optimizer", {{"steps", steps}, {"batch_size", 24}, {"learning_rate", 2e-3}, {"warmup_steps", 5}}},
          {"seed", 7},
          {"checkpoint_every", 0},
          {"eval_every", steps},
          {"eval_images", 24}};
}

TEST(Trainer, LossFallsAndRetrievalRises) {
  auto folder = make_temp_dir();
  TrainConfig config = train_config_from_json(tiny_config(60));
  TrainSummary summary = train_clip(config, folder, false);
  ASSERT_EQ(summary.evaluations.size(), 2u);
  const auto& before = summary.evaluations.front();
  const auto& after = summary.evaluations.back();
  EXPECT_EQ(before.step, 0);
  EXPECT_EQ(after.step, 60);
  EXPECT_LT(after.loss, std::log(24.0)) << "the loss must fall below its value for random features, ln(batch)";
  EXPECT_GT(after.retrieval_accuracy, before.retrieval_accuracy);
  EXPECT_TRUE(std::filesystem::exists(folder / "model" / "open_clip_model.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(folder / "log.csv"));
}

TEST(Trainer, SameSeedGivesIdenticalWeights) {
  auto first = make_temp_dir();
  auto second = make_temp_dir();
  TrainConfig config = train_config_from_json(tiny_config(4));
  train_clip(config, first, false);
  train_clip(config, second, false);
  EXPECT_EQ(io::read_file(first / "model" / "open_clip_model.safetensors"),
            io::read_file(second / "model" / "open_clip_model.safetensors"));
}

TEST(Trainer, ResumeGivesSameWeightsAsOneRun) {
  auto whole = make_temp_dir();
  auto resumed = make_temp_dir();
  nlohmann::json json = tiny_config(6);
  json["checkpoint_every"] = 3;
  TrainConfig config = train_config_from_json(json);
  train_clip(config, whole, false);
  train_clip(config, resumed, false);

  // interrupted after step 3: drop what came later, then resume
  std::filesystem::remove_all(resumed / "model");
  std::filesystem::remove_all(resumed / "checkpoints" / "step-000006");
  train_clip(config, resumed, true);
  EXPECT_EQ(io::read_file(whole / "model" / "open_clip_model.safetensors"),
            io::read_file(resumed / "model" / "open_clip_model.safetensors"));
}

TEST(Trainer, SavedModelReloadsWithSameFeatures) {
  auto folder = make_temp_dir();
  TrainConfig config = train_config_from_json(tiny_config(1));
  torch::manual_seed(3);
  model::CLIP clip(config.model);
  initialize_weights(clip);
  clip->eval();
  save_open_clip_folder(clip, folder, folder, {{"test", true}});

  model::LoadedModel loaded = model::load_model(folder);
  EXPECT_EQ(loaded.source_format, "open_clip");
  EXPECT_EQ(loaded.config().activation, model::Activation::kQuickGELU);
  torch::NoGradGuard no_grad;
  auto images = torch::randn({3, 3, 32, 32});
  auto ids = torch::randint(1, 590, {3, 12}, torch::kInt64);
  ids.index_put_({torch::indexing::Slice(), 11}, 599);
  EXPECT_LE((clip->encode_image(images) - loaded.model->encode_image(images)).abs().max().item<double>(),
            kReloadTolerance);
  EXPECT_LE((clip->encode_text(ids) - loaded.model->encode_text(ids)).abs().max().item<double>(), kReloadTolerance);
}

TEST(Trainer, RefusesExistingRunWithoutResume) {
  auto folder = make_temp_dir();
  TrainConfig config = train_config_from_json(tiny_config(1));
  train_clip(config, folder, false);
  try {
    train_clip(config, folder, false);
    FAIL() << "a second run into the same folder was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("--resume"), std::string::npos);
  }
}

TEST(Trainer, RejectsBadConfig) {
  EXPECT_THROW(train_config_from_json({{"optimizer", {{"steps", 0}}}}), Error);
  EXPECT_THROW(train_config_from_json({{"data", {{"shapes", {"cube", "teapot"}}}}}), Error);
  EXPECT_THROW(train_config_from_json({{"data", {{"render_size", 4}}}}), Error);
  EXPECT_THROW(train_config_from_json({{"captions", {{"order", "biggest"}}}}), Error);
}

// Returns the message of the Error that train_config_from_json throws for `json`, or "" if none.
std::string config_error(const nlohmann::json& json) {
  try {
    train_config_from_json(json);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(Trainer, RejectsUnknownConfigKeys) {
  const std::string top = config_error({{"optimiser", {{"steps", 3}}}});
  EXPECT_NE(top.find("'optimiser'"), std::string::npos) << top;
  EXPECT_NE(top.find("optimizer"), std::string::npos) << "the message must list the known keys: " << top;
  EXPECT_NE(config_error({{"optimizer", {{"step", 3}}}}).find("'optimizer.step'"), std::string::npos);
  EXPECT_NE(config_error({{"data", {{"render", 64}}}}).find("'data.render'"), std::string::npos);
  EXPECT_NE(config_error({{"captions", {{"orders", "random"}}}}).find("'captions.orders'"), std::string::npos);
}

TEST(Trainer, RejectsWronglyTypedValues) {
  const std::string quoted = config_error({{"optimizer", {{"steps", "300"}}}});
  EXPECT_NE(quoted.find("'optimizer.steps' must be an integer, got \"300\""), std::string::npos) << quoted;
  EXPECT_NE(config_error({{"optimizer", {{"batch_size", 8.5}}}}).find("must be an integer"), std::string::npos);
  EXPECT_NE(config_error({{"seed", -1}}).find("'seed' must be a non-negative integer"), std::string::npos);
  EXPECT_NE(config_error({{"data", {{"shapes", {"cube", 3}}}}}).find("a list of strings"), std::string::npos);
  EXPECT_NE(config_error({{"captions", {{"article", "yes"}}}}).find("true or false"), std::string::npos);
  EXPECT_NE(config_error({{"data", {{"pool_size", -5}}}}).find("pool_size"), std::string::npos);
}

TEST(Trainer, PoolRunIsDeterministicAndLearns) {
  nlohmann::json json = tiny_config(40);
  json["data"]["pool_size"] = 120;
  const TrainConfig config = train_config_from_json(json);
  auto first = make_temp_dir();
  auto second = make_temp_dir();
  TrainSummary summary = train_clip(config, first, false);
  train_clip(config, second, false);
  EXPECT_EQ(io::read_file(first / "model" / "open_clip_model.safetensors"),
            io::read_file(second / "model" / "open_clip_model.safetensors"));
  ASSERT_EQ(summary.evaluations.size(), 2u);
  EXPECT_GT(summary.evaluations.back().retrieval_accuracy, summary.evaluations.front().retrieval_accuracy);
}

TEST(TrainCli, BadConfigGivesOneLineError) {
  auto folder = make_temp_dir();
  io::write_file_atomic(folder / "config.json", R"({"optimizer": {"steps": -3}})");
  auto result = run_cli("train --config " + shell_quote((folder / "config.json").string()) + " --out " +
                        shell_quote((folder / "run").string()));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("steps"), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(std::filesystem::exists(folder / "run"));
}

}  // namespace
}  // namespace clipscope::train
