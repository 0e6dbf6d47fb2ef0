// clipscope report through the built CLI: files written, and one error line for bad input.
#include <gtest/gtest.h>

#include "test_support.h"

namespace clipscope::report {
namespace {

namespace fs = std::filesystem;

using testing::run_cli;
using testing::shell_quote;

std::string report_fixture(const std::string& name) {
  return shell_quote((fs::path(CLIPSCOPE_SOURCE_DIR) / "tests/fixtures/report" / name).string());
}

TEST(ReportCommand, WritesMarkdownAndHTML) {
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("report " + report_fixture("model-a") + " " + report_fixture("model-b") + " --out " +
                              shell_quote(out.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(out / "report.md"));
  EXPECT_TRUE(fs::exists(out / "report.html"));
}

TEST(ReportCommand, MissingResultsIsOneLine) {
  const fs::path empty = testing::make_temp_dir() / "empty";
  fs::create_directories(empty);
  const fs::path out = testing::make_temp_dir() / "out";
  const auto result = run_cli("report " + shell_quote(empty.string()) + " --out " + shell_quote(out.string()));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("clipscope: error: no results.json"), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace clipscope::report
