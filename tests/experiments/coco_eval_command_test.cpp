// clipscope eval --coco through the built CLI. An end-to-end run on coco-mini with a tiny open_clip
// ViT writes every output file and a report with the real-data sections. Bad input gives one error
// line, a distinct exit code and no results folder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "clipscope/io/atomic_file.h"
#include "coco_fixture.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;

using testing::run_cli;
using testing::shell_quote;

const std::string kFixtures = "fixtures/open_clip-2.30.0";

std::string model_option(const std::string& model) {
  // The CLI child process inherits the tokenizer vocabulary location.
  const std::string vocabulary = testing::shared_path("vocab/bpe_simple_vocab_16e6.txt.gz").string();
  setenv("CLIPSCOPE_BPE_PATH", vocabulary.c_str(), 1);
  return " --model " + shell_quote(testing::shared_path(kFixtures + "/" + model).string());
}

void expect_one_error_line(const testing::CommandResult& result, int exit_code, const std::string& message_part) {
  EXPECT_EQ(result.exit_code, exit_code) << result.output;
  EXPECT_NE(result.output.find("clipscope: error: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(message_part), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
}

TEST(CocoEvalCommand, TinyViTEndToEnd) {
  const fs::path out = testing::make_temp_dir() / "out";
  const std::string coco = testing::shared_path("data/coco-mini").string();
  const auto result = run_cli("--log-level warn eval" + model_option("vit-tiny-quickgelu") + " --coco " +
                              shell_quote(coco) +
                              " --experiments coco-tor,coco-ior,coco-i2tor,coco-matching,attention"
                              " --matching-distractors 2 --bootstrap 50 --attention-block 0 --attention-figures 3"
                              " --out " + shell_quote(out.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const nlohmann::json document = nlohmann::json::parse(io::read_file(out / "results.json"));
  EXPECT_EQ(document["dataset"]["kind"], "coco");
  for (const std::string id : {"coco-tor", "coco-ior", "coco-i2tor", "coco-matching", "attention"}) {
    EXPECT_TRUE(fs::exists(out / (id + "_samples.csv"))) << id;
    EXPECT_GT(document["experiments"][id]["sample_count"].get<int64_t>(), 0) << id;
  }
  ASSERT_EQ(document["experiments"]["attention"]["figures"].size(), 3u);
  for (const auto& figure : document["experiments"]["attention"]["figures"]) {
    EXPECT_TRUE(fs::exists(out / figure["file"].get<std::string>())) << figure.dump();
  }
  EXPECT_EQ(document["experiments"]["attention"]["variants"], nlohmann::json({"block_0", "last_block"}));

  const fs::path report = out / "report";
  const auto rendered = run_cli("report " + shell_quote(out.string()) + " --out " + shell_quote(report.string()));
  ASSERT_EQ(rendered.exit_code, 0) << rendered.output;
  const std::string markdown = io::read_file(report / "report.md");
  for (const std::string title :
       {"## COCO captions: text-based object retrieval (coco-tor)", "## COCO images: image-to-text object retrieval",
        "## COCO images: image-based object retrieval", "## COCO captions: image-text matching",
        "## Class-token attention by object size", "### Attention share / area share: largest or other (last_block)"}) {
    EXPECT_NE(markdown.find(title), std::string::npos) << title;
  }
  const std::string html = io::read_file(report / "report.html");
  EXPECT_EQ(testing::count_occurrences(html, "src=\"data:image/png;base64,"), 3u);
  EXPECT_NE(html.find("id=\"coco-matching\""), std::string::npos);
  EXPECT_GE(testing::count_occurrences(html, "<svg"), 10u);
}

TEST(CocoEvalCommand, RejectsFolderWithoutAnnotations) {
  const fs::path empty = testing::make_temp_dir() / "empty";
  fs::create_directories(empty);
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("--log-level error eval" + model_option("vit-tiny-quickgelu") + " --coco " + shell_quote(empty.string()) +
                              " --experiments coco-i2tor --out " + shell_quote(out.string()));
  expect_one_error_line(result, 3, "instances_");
  EXPECT_FALSE(fs::exists(out));
}

TEST(CocoEvalCommand, RejectsImagesWithOneObject) {
  const fs::path coco = testing::make_temp_dir() / "coco";
  testing::write_synthetic_coco(coco, {{1, "a.png", {{"dog", 0, 0, 10, 10}}, {"A dog."}}});
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("--log-level error eval" + model_option("vit-tiny-quickgelu") + " --coco " + shell_quote(coco.string()) +
                              " --experiments coco-ior,attention --out " + shell_quote(out.string()));
  expect_one_error_line(result, 2, "two or more annotated categories");
  EXPECT_FALSE(fs::exists(out));
}

TEST(CocoEvalCommand, RejectsAttentionOnResNet) {
  const fs::path coco = testing::make_temp_dir() / "coco";
  testing::write_synthetic_coco(coco, testing::default_synthetic_images());
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("--log-level error eval" + model_option("rn-tiny-quickgelu") + " --coco " + shell_quote(coco.string()) +
                              " --experiments coco-i2tor,attention --out " + shell_quote(out.string()));
  expect_one_error_line(result, 4, "no ViT image tower");
  EXPECT_FALSE(fs::exists(out));
}

TEST(CocoEvalCommand, RejectsUnknownExperiment) {
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("--log-level error eval" + model_option("vit-tiny-quickgelu") + " --coco /nonexistent --experiments "
                              "coco-tor,coco-size --out " + shell_quote(out.string()));
  expect_one_error_line(result, 2, "\"coco-size\"");
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace clipscope::experiments
