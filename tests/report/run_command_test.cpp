// clipscope run through the built CLI: bad input gives one error line and writes no results; an
// end-to-end run with a tiny open_clip model writes results and the report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "test_support.h"

namespace clipscope::report {
namespace {

namespace fs = std::filesystem;

using testing::run_cli;
using testing::shell_quote;

void expect_one_error_line(const testing::CommandResult& result, int exit_code, const std::string& message_part) {
  EXPECT_EQ(result.exit_code, exit_code) << result.output;
  EXPECT_NE(result.output.find("clipscope: error: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(message_part), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
}

TEST(RunCommand, RejectsUnknownExperiment) {
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("run --experiments tor,colour --out " + shell_quote(out.string()));
  expect_one_error_line(result, 2, "colour");
  EXPECT_FALSE(fs::exists(out / "results"));
}

TEST(RunCommand, RejectsMissingModel) {
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("run --model /nonexistent/model.pt --out " + shell_quote(out.string()));
  expect_one_error_line(result, 3, "--model");
  EXPECT_FALSE(fs::exists(out / "results"));
}

TEST(RunCommand, RejectsDatasetWithoutManifest) {
  const fs::path dataset = testing::make_temp_dir() / "scenes";
  fs::create_directories(dataset);
  const fs::path out = testing::make_temp_dir() / "out";
  const std::string model = testing::shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu").string();
  const auto result = run_cli("run --model " + shell_quote(model) + " --dataset " + shell_quote(dataset.string()) +
                              " --out " + shell_quote(out.string()));
  expect_one_error_line(result, 3, "has no manifest");
  EXPECT_FALSE(fs::exists(out / "results"));
}

TEST(RunCommand, TinyModelEndToEnd) {
  const fs::path out = testing::make_temp_dir() / "out";
  const std::string model = testing::shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu").string();
  const std::string vocabulary = testing::shared_path("vocab/bpe_simple_vocab_16e6.txt.gz").string();
  // The CLI child process inherits the tokenizer vocabulary location.
  setenv("CLIPSCOPE_BPE_PATH", vocabulary.c_str(), 1);
  const auto result = run_cli("run --model " + shell_quote(model) + " --scenes 8 --scene-size 64 --out " +
                              shell_quote(out.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(out / "results" / "results.json"));
  EXPECT_TRUE(fs::exists(out / "report.md"));
  EXPECT_TRUE(fs::exists(out / "report.html"));
  EXPECT_NE(result.output.find("TOR top-1 is the 1st object"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Matching accuracy, large object last"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace clipscope::report
