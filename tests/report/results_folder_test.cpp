// Bad input of the report: every kind of unusable folder gives one Error and writes no file.
#include "clipscope/report/results_folder.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/report/report.h"
#include "test_support.h"

namespace clipscope::report {
namespace {

namespace fs = std::filesystem;

fs::path results_fixture(const std::string& name) { return fs::path(CLIPSCOPE_SOURCE_DIR) / "tests/fixtures/report" / name; }

// Writes `results` as folder/results.json in a fresh folder and returns the folder.
fs::path folder_with(const std::string& results) {
  const fs::path folder = testing::make_temp_dir() / "run";
  io::write_file_atomic(folder / "results.json", results);
  return folder;
}

std::string fixture_text_with(const std::string& from, const std::string& to) {
  std::string text = io::read_file(results_fixture("model-a/results.json"));
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

// Expects write_report to throw `kind` with `message_part` in the message and to leave `out` empty.
void expect_rejected(const std::vector<fs::path>& folders, ErrorKind kind, const std::string& message_part) {
  const fs::path out = testing::make_temp_dir() / "report";
  try {
    write_report(folders, out);
    ADD_FAILURE() << "no error for " << message_part;
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    EXPECT_NE(std::string(error.what()).find(message_part), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
  }
  EXPECT_FALSE(fs::exists(out / "report.md"));
  EXPECT_FALSE(fs::exists(out / "report.html"));
}

TEST(ResultsFolder, LoadsFixtureFolders) {
  const std::vector<ResultsFolder> folders =
      load_results_folders({results_fixture("model-a"), results_fixture("model-b"), results_fixture("captions")});
  ASSERT_EQ(folders.size(), 3u);
  EXPECT_EQ(folders[0].label, "ViT-B-32 openai");
  EXPECT_EQ(folders[2].label, "captions (captions)");
  EXPECT_EQ(metric_records(folders[2]).size(), 5u);
}

TEST(ResultsFolder, SameModelTwiceGetsFolderNames) {
  const fs::path copy = testing::make_temp_dir() / "second-run";
  fs::create_directories(copy);
  fs::copy_file(results_fixture("model-a/results.json"), copy / "results.json");
  const std::vector<ResultsFolder> folders = load_results_folders({results_fixture("model-a"), copy});
  EXPECT_EQ(folders[0].label, "ViT-B-32 openai [model-a]");
  EXPECT_EQ(folders[1].label, "ViT-B-32 openai [second-run]");
}

TEST(ResultsFolder, WritesBothFiles) {
  const fs::path out = testing::make_temp_dir() / "report";
  write_report({results_fixture("model-a")}, out);
  EXPECT_TRUE(fs::exists(out / "report.md"));
  EXPECT_TRUE(fs::exists(out / "report.html"));
}

TEST(ResultsFolder, RejectsMissingFolder) {
  expect_rejected({testing::make_temp_dir() / "absent"}, ErrorKind::kNotFound, "does not exist");
}

TEST(ResultsFolder, RejectsFolderWithoutResults) {
  const fs::path empty = testing::make_temp_dir() / "empty";
  fs::create_directories(empty);
  expect_rejected({empty}, ErrorKind::kNotFound, "no results.json");
}

TEST(ResultsFolder, RejectsOtherSchema) {
  expect_rejected({folder_with(R"({"schema": "other.tool", "schema_version": 1})")}, ErrorKind::kInvalidArgument,
                  "has schema \"other.tool\"");
}

TEST(ResultsFolder, RejectsOtherVersion) {
  expect_rejected({folder_with(fixture_text_with("\"schema_version\": 1", "\"schema_version\": 2"))},
                  ErrorKind::kUnsupported, "schema_version 2");
}

TEST(ResultsFolder, RejectsInvalidJSON) {
  expect_rejected({folder_with("{\"schema\": ")}, ErrorKind::kInvalidArgument, "not valid JSON");
}

TEST(ResultsFolder, RejectsMalformedRecord) {
  expect_rejected({folder_with(fixture_text_with("\"value\": 0.742", "\"value\": \"high\""))},
                  ErrorKind::kInvalidArgument, "metrics[0] key \"value\"");
  expect_rejected({folder_with(fixture_text_with("\"ci_low\": 0.713", "\"ci_low\": \"x\""))},
                  ErrorKind::kInvalidArgument, "\"ci_low\" must be a number or null");
}

TEST(ResultsFolder, RejectsBadFolderAmongGoodOnes) {
  const fs::path empty = testing::make_temp_dir() / "empty";
  fs::create_directories(empty);
  expect_rejected({results_fixture("model-a"), empty}, ErrorKind::kNotFound, "no results.json");
}

TEST(ResultsFolder, RejectsEmptyList) { expect_rejected({}, ErrorKind::kInvalidArgument, "no results folder"); }

}  // namespace
}  // namespace clipscope::report
