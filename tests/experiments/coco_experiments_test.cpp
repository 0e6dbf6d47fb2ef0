#include "clipscope/experiments/coco_experiments.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/report/report.h"
#include "coco_fixture.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Runs `action` and returns the Error it throws; fails the test if it throws none.
template <typename Action>
Error error_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::kIo, "");
}

fs::path synthetic_folder(const std::vector<testing::SyntheticImage>& images, bool captions = true) {
  const fs::path folder = testing::make_temp_dir() / "coco";
  testing::write_synthetic_coco(folder, images, captions);
  return folder;
}

RealDataOptions options_for(const fs::path& coco, std::vector<std::string> experiments) {
  RealDataOptions options;
  options.experiments = std::move(experiments);
  options.coco = coco;
  options.bootstrap_resamples = 20;
  return options;
}

TEST(ExperimentSplit, SeparatesRunners) {
  const ExperimentSplit split = split_experiment_ids({"tor", "coco-tor", "ior", "attention"});
  EXPECT_EQ(split.scene, (std::vector<std::string>{"tor", "ior"}));
  EXPECT_EQ(split.real_data, (std::vector<std::string>{"coco-tor", "attention"}));
}

TEST(ExperimentSplit, RejectsUnknownRepeatedAndEmpty) {
  const Error unknown = error_of([] { split_experiment_ids({"coco-tor", "coco-colour"}); });
  EXPECT_EQ(unknown.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(std::string(unknown.what()).find("\"coco-colour\""), std::string::npos) << unknown.what();
  EXPECT_NE(std::string(unknown.what()).find("coco-matching"), std::string::npos) << unknown.what();
  EXPECT_EQ(error_of([] { split_experiment_ids({"attention", "attention"}); }).kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(error_of([] { split_experiment_ids({}); }).kind(), ErrorKind::kInvalidArgument);
}

TEST(RealDataInputs, RejectsFolderWithoutAnnotations) {
  const fs::path empty = testing::make_temp_dir();
  const Error error = error_of([&] { load_real_data_inputs(options_for(empty, {"coco-i2tor"})); });
  EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  EXPECT_NE(std::string(error.what()).find("instances_"), std::string::npos) << error.what();
}

TEST(RealDataInputs, RejectsSingleObjectImages) {
  const fs::path folder = synthetic_folder({{1, "a.png", {{"dog", 0, 0, 10, 10}}, {"A dog."}},
                                            {2, "b.png", {{"cat", 0, 0, 10, 10}}, {"A cat and a dog."}}});
  const Error error = error_of([&] { load_real_data_inputs(options_for(folder, {"coco-i2tor"})); });
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(std::string(error.what()).find("two or more annotated categories"), std::string::npos) << error.what();
}

TEST(RealDataInputs, RejectsMissingCaptionsAndFolders) {
  const fs::path folder = synthetic_folder(testing::default_synthetic_images(), false);
  EXPECT_EQ(error_of([&] { load_real_data_inputs(options_for(folder, {"coco-tor"})); }).kind(), ErrorKind::kNotFound);
  // image experiments do not need captions
  EXPECT_EQ(load_real_data_inputs(options_for(folder, {"coco-ior"})).images.size(), 4u);
  EXPECT_EQ(error_of([&] { load_real_data_inputs(options_for("", {"coco-tor"})); }).kind(),
            ErrorKind::kInvalidArgument);
  RealDataOptions attention = options_for("", {"attention"});
  EXPECT_EQ(error_of([&] { load_real_data_inputs(attention); }).kind(), ErrorKind::kInvalidArgument);
  RealDataOptions bad_figures = options_for(folder, {"coco-ior"});
  bad_figures.attention.figures = -1;
  EXPECT_EQ(error_of([&] { load_real_data_inputs(bad_figures); }).kind(), ErrorKind::kInvalidArgument);
}

TEST(RealDataRun, WritesResultsThatTheReportRenders) {
  const fs::path folder = synthetic_folder(testing::default_synthetic_images());
  const RealDataOptions options = options_for(folder, {"coco-tor", "coco-i2tor", "coco-ior", "coco-matching"});
  const RealDataInputs inputs = load_real_data_inputs(options);
  testing::ColourStandInEncoder encoder;
  const RealDataResults results = run_real_data_experiments(encoder, inputs, options);

  const json& document = results.results.document;
  EXPECT_EQ(document["schema"], "clipscope.results");
  EXPECT_EQ(document["dataset"]["kind"], "coco");
  EXPECT_EQ(document["dataset"]["images"], 4);
  EXPECT_EQ(document["options"]["experiments"], json(options.experiments));
  for (const std::string& id : options.experiments) {
    EXPECT_TRUE(document["experiments"].contains(id)) << id;
    EXPECT_EQ(results.results.samples.count(id + "_samples.csv"), 1u) << id;
  }
  EXPECT_EQ(document["comparisons"].size(), 1u);

  const fs::path out = testing::make_temp_dir() / "results";
  write_real_data_results(results, out);
  EXPECT_TRUE(fs::exists(out / "results.json"));
  EXPECT_TRUE(fs::exists(out / "coco-matching_samples.csv"));
  report::write_report({out}, out / "report");
  const std::string markdown = io::read_file(out / "report" / "report.md");
  EXPECT_NE(markdown.find("## COCO captions: text-based object retrieval (coco-tor)"), std::string::npos);
  EXPECT_NE(markdown.find("Most similar present object by size rank (reference_crops)"), std::string::npos);
  EXPECT_NE(markdown.find("| largest"), std::string::npos);
  EXPECT_NE(markdown.find("as written"), std::string::npos);
}

TEST(RealDataRun, RejectsAttentionWithoutViT) {
  const fs::path folder = synthetic_folder(testing::default_synthetic_images());
  const RealDataOptions options = options_for(folder, {"coco-i2tor", "attention"});
  const RealDataInputs inputs = load_real_data_inputs(options);
  testing::ColourStandInEncoder encoder;
  const Error error = error_of([&] { run_real_data_experiments(encoder, inputs, options); });
  EXPECT_EQ(error.kind(), ErrorKind::kUnsupported);
  // the check runs before any experiment
  EXPECT_EQ(encoder.image_calls, 0);
}

TEST(RealDataRun, MergesWithSceneExperiments) {
  const fs::path folder = synthetic_folder(testing::default_synthetic_images());
  const RealDataOptions real = options_for(folder, {"coco-tor"});
  const RealDataInputs inputs = load_real_data_inputs(real);
  testing::ColourStandInEncoder encoder;
  ExperimentOptions scene;
  scene.vocabulary = folder / "names.txt";
  io::write_file_atomic(folder / "names.txt", "dog\ncat\nbed\n");
  scene.tor.object_counts = {2};
  scene.tor.template_variant = false;
  scene.tor.sum_variant = false;
  scene.tor.size_variants = false;
  scene.bootstrap_resamples = 20;
  const ExperimentSplit split = split_experiment_ids({"coco-tor", "tor"});
  const RealDataResults merged = run_split_request(encoder, split, std::nullopt, scene, inputs, real, {"coco-tor", "tor"});
  const json& document = merged.results.document;
  EXPECT_EQ(document["options"]["experiments"], json({"coco-tor", "tor"}));
  EXPECT_TRUE(document["experiments"].contains("tor"));
  EXPECT_TRUE(document["experiments"].contains("coco-tor"));
  EXPECT_EQ(document["dataset"]["kind"], "coco");
  EXPECT_EQ(merged.results.samples.size(), 2u);
}

}  // namespace
}  // namespace clipscope::experiments
