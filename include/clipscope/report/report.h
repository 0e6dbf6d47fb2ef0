// The report of one or more results folders: report.md and a self-contained report.html with
// inline CSS and SVG bar charts (no scripts, fonts or network). report/results_folder.h reads
// the folders, report/bar_chart.h draws the charts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "clipscope/report/results_folder.h"

namespace clipscope::report {

/// Returns the Markdown report: a header per folder (model, dataset, version, options), one
/// section per experiment with tables laid out like the paper's (rows models, columns positions,
/// slots or scenarios; rates in percent with their interval and the chance level) and the paired
/// comparisons. Figure links are relative to `link_folder`, the folder report.md is written to
/// (the working folder when empty).
std::string render_markdown(const std::vector<ResultsFolder>& folders, const std::filesystem::path& link_folder = {});

/// Returns the HTML report: the same content as render_markdown plus one bar chart per table
/// (interval whiskers, dashed chance line, one bar per model).
std::string render_html(const std::vector<ResultsFolder>& folders);

/// Loads `result_folders` and writes report.md and report.html into `out_folder` (created if
/// missing). Both are rendered before either is written, and each is written atomically, so bad
/// input leaves no file behind. Throws as load_results_folders does, and Error(kIo).
void write_report(const std::vector<std::filesystem::path>& result_folders, const std::filesystem::path& out_folder);

}  // namespace clipscope::report
