#include "report/report_figures.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/report/report.h"
#include "test_support.h"

namespace clipscope::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bytes that pass the loader's PNG signature check; the report embeds them without decoding.
const std::string kPngBytes = std::string("\x89PNG\r\n\x1a\n", 8) + "image data";

// A results folder with one attention figure entry named `file`; the PNG is written if `write_png`.
fs::path folder_with_figure(const std::string& file, bool write_png) {
  const fs::path folder = testing::make_temp_dir() / "results";
  fs::create_directories(folder);
  const json document = {
      {"schema", "clipscope.results"},
      {"schema_version", 1},
      {"model", {{"name", "tiny"}}},
      {"options", json::object()},
      {"experiments", {{"attention", {{"figures", {{{"file", file}, {"caption", "cube outlined"}}}}}}}},
      {"metrics",
       {{{"experiment", "attention"}, {"variant", "last_block"}, {"metric", "attention_area_ratio"},
         {"labels", {{"size_role", "large"}}}, {"value", 1.5}, {"ci_low", 1.25}, {"ci_high", 1.75},
         {"chance", 1.0}, {"n", 3}}}}};
  io::write_file_atomic(folder / "results.json", document.dump());
  if (write_png) io::write_file_atomic(folder / "attention_7.png", kPngBytes);
  return folder;
}

TEST(Base64, MatchesRFC4648Vectors) {
  EXPECT_EQ(detail::base64_encode(""), "");
  EXPECT_EQ(detail::base64_encode("f"), "Zg==");
  EXPECT_EQ(detail::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(detail::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(detail::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(detail::base64_encode(std::string("\xff\xfe", 2)), "//4=");
}

TEST(ReportFigures, EmbedsPNGAndShowsRatio) {
  const fs::path folder = folder_with_figure("attention_7.png", true);
  const std::vector<ResultsFolder> folders = load_results_folders({folder});
  ASSERT_EQ(folders[0].figures.size(), 1u);
  EXPECT_EQ(folders[0].figures[0].experiment, "attention");

  const std::string html = render_html(folders);
  EXPECT_NE(html.find("src=\"data:image/png;base64," + detail::base64_encode(folders[0].figures[0].png) + "\""),
            std::string::npos);
  EXPECT_NE(html.find("tiny: cube outlined"), std::string::npos);
  // the ratio table shows plain numbers and draws no chart
  EXPECT_NE(html.find("1.50 <span class=\"ci\">[1.25, 1.75]</span>"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);

  // image links are relative to the folder report.md goes to
  const std::string markdown = render_markdown(folders, folder.parent_path() / "report");
  EXPECT_NE(markdown.find("1.50 [1.25, 1.75]"), std::string::npos);
  const std::string link = "../" + folder.filename().generic_string() + "/attention_7.png";
  EXPECT_NE(markdown.find("![cube outlined](" + link + ")"), std::string::npos) << markdown;
}

TEST(ReportFigures, RejectsMissingFile) {
  const fs::path folder = folder_with_figure("attention_7.png", false);
  try {
    load_results_folder(folder);
    ADD_FAILURE() << "a missing figure was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(error.what()).find("attention_7.png"), std::string::npos) << error.what();
  }
}

TEST(ReportFigures, RejectsPathOutsideFolder) {
  for (const std::string file : {"../attention_7.png", "sub/attention_7.png", ".."}) {
    const fs::path folder = folder_with_figure(file, true);
    try {
      load_results_folder(folder);
      ADD_FAILURE() << "figure path " << file << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument) << file;
    }
  }
}

TEST(ReportFigures, RejectsFileThatIsNotPNG) {
  const fs::path folder = folder_with_figure("attention_7.png", false);
  io::write_file_atomic(folder / "attention_7.png", "not a png");
  EXPECT_THROW(load_results_folder(folder), Error);
}

}  // namespace
}  // namespace clipscope::report
