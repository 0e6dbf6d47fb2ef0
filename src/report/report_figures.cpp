#include "report_figures.h"

#include <fmt/format.h>

#include "clipscope/report/bar_chart.h"

namespace clipscope::report::detail {

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t count = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j) {
      group = (group << 8) | (j < count ? static_cast<uint8_t>(bytes[i + j]) : 0u);
    }
    for (size_t j = 0; j < 4; ++j) {
      encoded += j <= count ? kAlphabet[(group >> (18 - 6 * j)) & 0x3F] : '=';
    }
  }
  return encoded;
}

std::string markdown_figures(const std::vector<ResultsFolder>& folders, const std::string& id,
                             const std::filesystem::path& link_folder) {
  const std::filesystem::path base = std::filesystem::absolute(link_folder.empty() ? "." : link_folder).lexically_normal();
  std::string md;
  for (const ResultsFolder& folder : folders) {
    for (const Figure& figure : folder.figures) {
      if (figure.experiment != id) continue;
      const std::filesystem::path image = std::filesystem::absolute(folder.folder / figure.file).lexically_normal();
      md += fmt::format("![{}]({})\n\n*{}: {}*\n\n", figure.caption, image.lexically_relative(base).generic_string(),
                        folder.label, figure.caption);
    }
  }
  return md;
}

std::string html_figures(const std::vector<ResultsFolder>& folders, const std::string& id) {
  std::string html;
  for (const ResultsFolder& folder : folders) {
    for (const Figure& figure : folder.figures) {
      if (figure.experiment != id) continue;
      html += fmt::format(
          "<figure style=\"display:inline-block;margin:6px 12px 6px 0;max-width:240px;vertical-align:top\">"
          "<img src=\"data:image/png;base64,{}\" alt=\"{}\" style=\"max-width:100%;height:auto;display:block\"/>"
          "<figcaption style=\"font-size:12px;color:#5b6475\">{}: {}</figcaption></figure>\n",
          base64_encode(figure.png), escape_xml(figure.caption), escape_xml(folder.label), escape_xml(figure.caption));
    }
  }
  if (html.empty()) return html;
  const std::string title = id == "attention" ? "Attention heat maps (last block, largest object outlined)" : "Figures";
  return "<div class=\"card\">\n<h3>" + title + "</h3>\n" + html + "</div>\n";
}

}  // namespace clipscope::report::detail
