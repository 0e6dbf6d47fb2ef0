// Golden-file and structure tests of report.md and report.html, from the hand-written results in
// tests/fixtures/report/. Set CLIPSCOPE_UPDATE_GOLDEN=1 to rewrite tests/fixtures/report/expected/
// after an intended change, then review the diff.
#include "clipscope/report/report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/report/bar_chart.h"
#include "test_support.h"

namespace clipscope::report {
namespace {

namespace fs = std::filesystem;

// Relative paths keep the folder names in the golden files independent of the checkout location.
std::vector<fs::path> fixture_folders() {
  fs::current_path(CLIPSCOPE_SOURCE_DIR);
  return {"tests/fixtures/report/model-a", "tests/fixtures/report/model-b", "tests/fixtures/report/captions"};
}

void expect_golden(const std::string& actual, const std::string& name) {
  const fs::path golden = fs::path(CLIPSCOPE_SOURCE_DIR) / "tests/fixtures/report/expected" / name;
  if (std::getenv("CLIPSCOPE_UPDATE_GOLDEN") != nullptr) io::write_file_atomic(golden, actual);
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with CLIPSCOPE_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, io::read_file(golden)) << "output differs from " << golden;
}

TEST(Report, MarkdownMatchesGolden) {
  const std::string markdown = render_markdown(load_results_folders(fixture_folders()));
  expect_golden(markdown, "report.md");
}

TEST(Report, HTMLMatchesGolden) {
  const std::string html = render_html(load_results_folders(fixture_folders()));
  expect_golden(html, "report.html");
}

TEST(Report, MarkdownHasEverySection) {
  const std::string markdown = render_markdown(load_results_folders(fixture_folders()));
  for (const char* title : {"## Text-based object retrieval (TOR)", "## Image-based object retrieval (IOR)",
                            "## Image-to-text object retrieval (I2TOR)", "## Image-text matching",
                            "## Text-based object classification (TOC)", "## Image-based object classification (IOC)",
                            "## Real captions: position of the largest object", "## Experiment \"future_probe\"",
                            "## Paired comparisons"}) {
    EXPECT_NE(markdown.find(title), std::string::npos) << title;
  }
  EXPECT_NE(markdown.find("| ViT-B-32 openai | 74.2 [71.3, 77.0] | 20.1 [17.2, 23.2] |"), std::string::npos);
  EXPECT_NE(markdown.find("| *chance* | 5.6 | 5.6 |"), std::string::npos);
  EXPECT_NE(markdown.find("`0123456789ab`"), std::string::npos);
  EXPECT_NE(markdown.find("tiny \\<test\\> & \"quoted\" model"), std::string::npos);
}

TEST(Report, HTMLHasOneChartPerTable) {
  const std::string html = render_html(load_results_folders(fixture_folders()));
  const size_t tables = testing::count_occurrences(html, "<table class=\"results\">");
  const size_t comparison_tables = 1;
  EXPECT_EQ(testing::count_occurrences(html, "<svg "), tables - comparison_tables);
  EXPECT_EQ(testing::count_occurrences(html, "<svg "), testing::count_occurrences(html, "</svg>"));
  EXPECT_GE(testing::count_occurrences(html, "class=\"chance\" x1="), tables - comparison_tables);
  EXPECT_NE(html.find("stroke-dasharray=\"5 3\""), std::string::npos);
  EXPECT_GT(testing::count_occurrences(html, "class=\"whisker\""), 10u);
  for (const char* id : {"tor", "ior", "i2tor", "matching", "toc", "ioc", "order_vs_size", "future_probe"}) {
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\">"), std::string::npos) << id;
  }
}

TEST(Report, HTMLEscapesNames) {
  const std::string html = render_html(load_results_folders(fixture_folders()));
  EXPECT_EQ(html.find("tiny <test>"), std::string::npos);
  EXPECT_NE(html.find("tiny &lt;test&gt; &amp; &quot;quoted&quot; model"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // The only URL is the SVG namespace name, which is never fetched.
  EXPECT_EQ(testing::count_occurrences(html, "http://"), testing::count_occurrences(html, "http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(Report, HTMLFormatsIntervals) {
  const std::string html = render_html(load_results_folders(fixture_folders()));
  EXPECT_NE(html.find("74.2 <span class=\"ci\">[71.3, 77.0]</span>"), std::string::npos);
  // An interval of null bounds prints the rate alone.
  EXPECT_NE(html.find(">55.0</td>"), std::string::npos);
  EXPECT_NE(html.find("+36.0 [+31.0, +41.0]"), std::string::npos);
}

TEST(BarChart, EscapesTextAndDrawsChance) {
  BarChart chart;
  chart.title = "a < b & c";
  chart.series = {"m<1>", "m2"};
  chart.groups.push_back({{"1st & only"}, {{0.5, 0.4, 0.6}, {0.2, std::nullopt, std::nullopt}}, 0.25});
  const std::string svg = render_bar_chart(chart);
  EXPECT_NE(svg.find("<title>a &lt; b &amp; c</title>"), std::string::npos);
  EXPECT_NE(svg.find("m&lt;1&gt;"), std::string::npos);
  EXPECT_NE(svg.find("1st &amp; only"), std::string::npos);
  EXPECT_EQ(testing::count_occurrences(svg, "class=\"bar\""), 2u);
  EXPECT_EQ(testing::count_occurrences(svg, "class=\"whisker\""), 1u);
  EXPECT_EQ(testing::count_occurrences(svg, "class=\"chance\""), 1u);
}

TEST(BarChart, RejectsBarCountMismatch) {
  BarChart chart;
  chart.series = {"a", "b"};
  chart.groups.push_back({{"x"}, {{0.5, std::nullopt, std::nullopt}}, std::nullopt});
  EXPECT_THROW(render_bar_chart(chart), Error);
}

}  // namespace
}  // namespace clipscope::report
