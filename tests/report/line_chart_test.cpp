#include "clipscope/report/line_chart.h"

#include <gtest/gtest.h>

#include <cmath>

#include "clipscope/error.h"

namespace clipscope::report {
namespace {

size_t count_of(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST(LineChart, DrawsEverySeriesAndPoint) {
  LineChart chart;
  chart.title = "bias";
  chart.x_label = "samples seen";
  chart.series = {{"first <object> & more", {{1000, 0.5, 0.4, 0.6}, {3000, 0.7, 0.6, 0.8}, {2000, 0.6, {}, {}}}, 0.5},
                  {"large", {{1000, 0.3, 0.2, 0.4}}, std::nullopt}};
  const std::string svg = render_line_chart(chart);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(count_of(svg, "<path class=\"line\""), 2u);
  EXPECT_EQ(count_of(svg, "<circle"), 4u);
  EXPECT_EQ(count_of(svg, "class=\"whisker\""), 3u) << "the point without an interval gets no whisker";
  EXPECT_EQ(count_of(svg, "class=\"chance\""), 1u);
  EXPECT_NE(svg.find("first &lt;object&gt; &amp; more"), std::string::npos);
  EXPECT_EQ(svg.find("<object>"), std::string::npos);
  EXPECT_NE(svg.find(">3k<"), std::string::npos) << "the x axis ends at the largest x";
}

TEST(LineChart, SortsPointsByX) {
  LineChart chart;
  chart.series = {{"s", {{3, 0.5}, {1, 0.5}, {2, 0.5}}, std::nullopt}};
  const std::string svg = render_line_chart(chart);
  const size_t start = svg.find("<path class=\"line\" d=\"M");
  ASSERT_NE(start, std::string::npos);
  const std::string path = svg.substr(start, svg.find('"', start + 24) - start);
  EXPECT_NE(path.find("M58.0 "), std::string::npos) << "the smallest x starts the line at the left edge: " << path;
}

TEST(LineChart, RejectsEmptyAndNonFinite) {
  LineChart empty;
  empty.title = "nothing";
  EXPECT_THROW(render_line_chart(empty), Error);
  LineChart bad;
  bad.series = {{"s", {{std::nan(""), 0.5}}, std::nullopt}};
  EXPECT_THROW(render_line_chart(bad), Error);
}

TEST(LineChart, FormatsCounts) {
  EXPECT_EQ(format_count(950), "950");
  EXPECT_EQ(format_count(1200), "1.2k");
  EXPECT_EQ(format_count(3.4e6), "3.4M");
  EXPECT_EQ(format_count(2e9), "2B");
  EXPECT_EQ(format_count(2.5), "2.5");
}

}  // namespace
}  // namespace clipscope::report
