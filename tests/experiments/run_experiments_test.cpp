#include "clipscope/experiments/run_experiments.h"

#include <gtest/gtest.h>

#include <fstream>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "stand_in_encoder.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

const std::vector<std::string> kRunShapes{"cube", "sphere", "cone", "torus"};

// Writes a scene set whose "images" are stand-in files "name:weight,..."; slot 1 is the large object.
SceneSet make_run_scenes(const std::filesystem::path& folder) {
  SceneSet scenes;
  scenes.folder = folder;
  scenes.objects = kRunShapes;
  for (const std::string& name : kRunShapes) {
    io::write_file_atomic(folder / (name + ".ref"), name + ":1");
    scenes.references[name] = folder / (name + ".ref");
  }
  int counter = 0;
  for (size_t a = 0; a < kRunShapes.size(); ++a) {
    for (size_t b = 0; b < kRunShapes.size(); ++b) {
      if (a == b) continue;
      auto file = folder / ("scene" + std::to_string(counter++) + ".img");
      io::write_file_atomic(file, kRunShapes[a] + ":0.3," + kRunShapes[b] + ":0.7");
      scenes.images.push_back({file, {kRunShapes[a], kRunShapes[b]}, 1, {0.3, 0.7}});
    }
  }
  write_scene_set(scenes, folder);
  return load_scene_set(folder);
}

ExperimentOptions small_options(std::vector<std::string> experiments) {
  ExperimentOptions options;
  options.experiments = std::move(experiments);
  options.bootstrap_resamples = 50;
  options.tor.object_counts = {2};
  options.tor.max_captions = 100;
  return options;
}

const nlohmann::json* find_run_metric(const nlohmann::json& document, const std::string& experiment,
                                  const std::string& metric, const nlohmann::json& labels) {
  for (const auto& record : document["metrics"]) {
    if (record["experiment"] == experiment && record["metric"] == metric && record["labels"] == labels) return &record;
  }
  return nullptr;
}

TEST(RunExperiments, ResultsMatchGoldenStructure) {
  auto folder = testing::make_temp_dir();
  std::optional<SceneSet> scenes = make_run_scenes(folder);
  testing::StandInEncoder encoder(kRunShapes);
  ExperimentOptions options = small_options({"tor", "ior", "i2tor", "matching"});
  options.vocabulary = (folder / "vocab.txt").string();
  std::ofstream(folder / "vocab.txt") << "cube\nsphere\ncone\ntorus\n";
  Results results = run_experiments(encoder, scenes, options);
  const nlohmann::json& document = results.document;

  EXPECT_EQ(document["schema"], "clipscope.results");
  EXPECT_EQ(document["schema_version"], 1);
  for (const char* key : {"clipscope_version", "created_utc", "model", "dataset", "options", "experiments", "metrics",
                          "comparisons", "timings"}) {
    EXPECT_TRUE(document.contains(key)) << key;
  }
  for (const char* key : {"name", "weights_sha256", "activation", "preprocess", "embed_dim"}) {
    EXPECT_TRUE(document["model"].contains(key)) << key;
  }
  EXPECT_EQ(document["dataset"]["manifest_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(document["dataset"]["images"], 12);
  EXPECT_EQ(document["options"]["compat"], "paper");
  EXPECT_EQ(document["options"]["vocabulary"]["size"], 4);
  for (const auto& record : document["metrics"]) {
    for (const char* key : {"experiment", "variant", "metric", "labels", "value", "ci_low", "ci_high", "ci_method",
                            "chance", "n"}) {
      ASSERT_TRUE(record.contains(key)) << key << " in " << record.dump();
    }
    EXPECT_TRUE(record["labels"].is_object());
  }
  for (const auto& record : document["comparisons"]) {
    for (const char* key : {"experiment", "metric", "labels", "a", "b", "value_a", "value_b", "difference", "ci_low",
                            "ci_high", "test", "p_value", "discordant_a", "discordant_b", "n"}) {
      ASSERT_TRUE(record.contains(key)) << key;
    }
  }
  for (const char* id : {"tor", "ior", "i2tor", "matching"}) {
    ASSERT_TRUE(document["experiments"].contains(id)) << id;
    EXPECT_TRUE(results.samples.count(document["experiments"][id]["samples_file"].get<std::string>())) << id;
    EXPECT_TRUE(document["timings"]["experiments"].contains(id)) << id;
  }

  // stand-in images favour the large object (slot 1); captions favour the first-mentioned object
  const nlohmann::json* large = find_run_metric(document, "ior", "most_similar_size_role_rate", {{"n", 2}, {"size_role", "large"}});
  ASSERT_NE(large, nullptr);
  EXPECT_DOUBLE_EQ((*large)["value"].get<double>(), 1.0);
  const nlohmann::json* slot1 = find_run_metric(document, "i2tor", "top1_slot_rate", {{"n", 2}, {"slot", 1}, {"given", "all"}});
  ASSERT_NE(slot1, nullptr);
  EXPECT_DOUBLE_EQ((*slot1)["value"].get<double>(), 1.0);

  // the file is written completely
  write_results(results, folder / "out");
  nlohmann::json reread = nlohmann::json::parse(io::read_file(folder / "out" / "results.json"));
  EXPECT_EQ(reread["metrics"].size(), document["metrics"].size());
  EXPECT_TRUE(std::filesystem::exists(folder / "out" / "tor_samples.csv"));
}

TEST(Matching, StandInPrefersLargeFirstCaption) {
  auto folder = testing::make_temp_dir();
  std::optional<SceneSet> scenes = make_run_scenes(folder);
  testing::StandInEncoder encoder(kRunShapes);
  Results results = run_experiments(encoder, scenes, small_options({"matching"}));
  const nlohmann::json& document = results.document;
  const nlohmann::json* first = find_run_metric(document, "matching", "accuracy", {{"scenario", 1}, {"aggregation", "none"}});
  const nlohmann::json* last = find_run_metric(document, "matching", "accuracy", {{"scenario", 2}, {"aggregation", "none"}});
  ASSERT_NE(first, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_DOUBLE_EQ((*first)["value"].get<double>(), 1.0);

  // Every distractor drops a present object, so the additive stand-in never fails outright.
  EXPECT_DOUBLE_EQ((*last)["value"].get<double>(), 1.0);
  EXPECT_EQ(document["comparisons"].size(), 4u);  // 2 scenarios x (sum, mean)
  // paper distractors: 2 absent objects x 2 slots, so chance 1/5
  EXPECT_NEAR((*first)["chance"].get<double>(), 0.2, 1e-12);
}

TEST(MatchingObjectLists, PaperAndReferenceDistractors) {
  std::vector<std::string> mentioned{"cube", "sphere"};
  auto paper = matching_object_lists(mentioned, kRunShapes, DistractorStyle::kPaper);
  auto reference = matching_object_lists(mentioned, kRunShapes, DistractorStyle::kReference);
  ASSERT_EQ(paper.size(), 5u);
  ASSERT_EQ(reference.size(), 3u);
  EXPECT_EQ(paper[1], (std::vector<std::string>{"cone", "sphere"}));
  EXPECT_EQ(paper[2], (std::vector<std::string>{"cube", "cone"}));
  EXPECT_EQ(reference[1], (std::vector<std::string>{"cube", "cone"}));
  EXPECT_EQ(reference[2], (std::vector<std::string>{"cube", "torus"}));
}

TEST(RunExperiments, BadInputFailsWithoutOutput) {
  auto folder = testing::make_temp_dir();
  testing::StandInEncoder encoder(kRunShapes);
  testing::StandInEncoder text_less(kRunShapes, 0.5, false, true);
  auto out = folder / "out";

  EXPECT_THROW(run_and_write(encoder, std::nullopt, small_options({"tor", "colour"}), out), Error);
  EXPECT_THROW(run_and_write(encoder, folder / "no-dataset", small_options({"ior"}), out), Error);
  EXPECT_THROW(run_and_write(encoder, std::nullopt, small_options({"ior"}), out), Error);
  EXPECT_THROW(run_and_write(text_less, std::nullopt, small_options({"tor"}), out), Error);
  ExperimentOptions empty_vocabulary = small_options({"tor"});
  std::ofstream(folder / "empty.txt") << "\n";
  empty_vocabulary.vocabulary = (folder / "empty.txt").string();
  EXPECT_THROW(run_and_write(encoder, std::nullopt, empty_vocabulary, out), Error);
  EXPECT_FALSE(std::filesystem::exists(out));

  try {
    run_and_write(encoder, std::nullopt, small_options({"colour"}), out);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("colour"), std::string::npos);
  }
}

// The CLI program links every area; while another area fails to link it is absent.

TEST(EvalCli, RejectsUnknownExperiment) {
  if (testing::cli_missing()) GTEST_SKIP() << "clipscope CLI not built: " << CLIPSCOPE_CLI_PATH;
  testing::CommandResult result = testing::run_cli("eval --model m --out /tmp/x --experiments tor,colour");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("unknown experiment \"colour\""), std::string::npos) << result.output;
}

TEST(EvalCli, RejectsDatasetWithoutManifest) {
  if (testing::cli_missing()) GTEST_SKIP() << "clipscope CLI not built: " << CLIPSCOPE_CLI_PATH;
  auto folder = testing::make_temp_dir();
  testing::CommandResult result =
      testing::run_cli("eval --model m --out " + (folder / "out").string() + " --experiments ior --dataset " +
                       testing::shell_quote(folder.string()));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("manifest.json"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(folder / "out"));
}

}  // namespace
}  // namespace clipscope::experiments
