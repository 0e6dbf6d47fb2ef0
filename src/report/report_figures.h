// Private to src/report: the PNG figures of a report section (attention overlays), as Markdown
// image links and as HTML <img> elements with the PNG inlined as a data URI (report.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clipscope/report/results_folder.h"

namespace clipscope::report::detail {

/// Returns `bytes` in standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(std::string_view bytes);

/// Returns the Markdown of every folder's figures for experiment `id`: a line per figure with an
/// image link to <folder>/<file> (the folder as given) and its caption; "" if there is none.
std::string markdown_figures(const std::vector<ResultsFolder>& folders, const std::string& id,
                             const std::filesystem::path& link_folder);

/// Returns an HTML card with every folder's figures for experiment `id`, each an <img> with a
/// data: URI and a caption naming the folder's label; "" if there is none.
std::string html_figures(const std::vector<ResultsFolder>& folders, const std::string& id);

}  // namespace clipscope::report::detail
