// Opens report.html in headless Chromium (a local file:// page, no network) and checks that it
// loads without console errors and that every chart is in the rendered DOM. Needs Debian's
// `chromium` package; the test fails, not skips, when it is missing.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <regex>

#include "clipscope/io/atomic_file.h"
#include "clipscope/report/report.h"
#include "test_support.h"

namespace clipscope::report {
namespace {

namespace fs = std::filesystem;

std::string find_chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

struct Output {
  int exit_code = -1;
  std::string text;
};

Output run_command(const std::string& command) {
  Output output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.text.append(buffer, read);
  output.exit_code = pclose(pipe);
  return output;
}

class ChromiumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = find_chromium();
    ASSERT_FALSE(chromium_.empty()) << "Chromium is not installed; install the Debian package: apt-get install chromium";
    folder_ = testing::make_temp_dir();
    const fs::path fixtures = fs::path(CLIPSCOPE_SOURCE_DIR) / "tests/fixtures/report";
    write_report({fixtures / "model-a", fixtures / "model-b", fixtures / "captions"}, folder_ / "out");
    html_ = folder_ / "out" / "report.html";
  }

  // Runs headless Chromium on the report with a fresh profile and the given extra flags.
  Output chromium(const std::string& flags) {
    const fs::path profile = folder_ / ("profile" + std::to_string(++runs_));
    const std::string command = testing::shell_quote(chromium_) +
                                " --headless --no-sandbox --disable-gpu --disable-background-networking "
                                "--disable-component-update --disable-sync --no-first-run --user-data-dir=" +
                                testing::shell_quote(profile.string()) + " " + flags + " " +
                                testing::shell_quote("file://" + html_.string()) + " 2>&1";
    return run_command(command);
  }

  std::string chromium_;
  fs::path folder_;
  fs::path html_;
  int runs_ = 0;
};

TEST_F(ChromiumTest, DOMHasEveryChart) {
  const size_t charts = testing::count_occurrences(io::read_file(html_), "<svg ");
  ASSERT_GT(charts, 5u);
  const Output output = chromium("--dump-dom");
  ASSERT_EQ(output.exit_code, 0) << output.text;
  EXPECT_EQ(testing::count_occurrences(output.text, "<svg "), charts) << output.text.substr(0, 2000);
  EXPECT_NE(output.text.find("class=\"chance\""), std::string::npos);
  EXPECT_NE(output.text.find("Image-text matching"), std::string::npos);
}

TEST_F(ChromiumTest, NoConsoleErrors) {
  const Output output = chromium("--enable-logging=stderr --v=0 --dump-dom");
  ASSERT_EQ(output.exit_code, 0) << output.text;
  // Chromium prints page console messages as "CONSOLE(...)" or ":INFO:CONSOLE" lines.
  EXPECT_EQ(output.text.find("CONSOLE"), std::string::npos) << output.text.substr(0, 4000);
  EXPECT_EQ(output.text.find("Uncaught"), std::string::npos);
}

TEST_F(ChromiumTest, ScreenshotIsWritten) {
  const fs::path png = folder_ / "report.png";
  const Output output = chromium("--hide-scrollbars --window-size=1100,2400 --screenshot=" +
                                 testing::shell_quote(png.string()));
  ASSERT_EQ(output.exit_code, 0) << output.text;
  ASSERT_TRUE(fs::exists(png)) << output.text;
  EXPECT_GT(fs::file_size(png), 10000u);
  if (const char* keep = std::getenv("CLIPSCOPE_REPORT_SCREENSHOT")) fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace clipscope::report
