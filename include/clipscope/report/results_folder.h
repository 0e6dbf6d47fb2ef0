// Reading the folders a report is made from: results.json of an eval run (docs/results-schema.md)
// and, optionally, order_vs_size.json of `clipscope captions order-vs-size`. report/report.h renders them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace clipscope::report {

/// Version of results.json this build reads.
inline constexpr int kReadableSchemaVersion = 1;

/// A PNG figure an experiment wrote beside results.json (e.g. attention overlays).
struct Figure {
  std::string experiment;  ///< Experiment id that lists it.
  std::string file;        ///< File name inside the folder.
  std::string caption;     ///< One line shown under the figure.
  std::string png;         ///< The file's bytes.
};

/// One input folder of a report.
struct ResultsFolder {
  std::filesystem::path folder;
  nlohmann::json results;        ///< results.json, or null if the folder has none.
  nlohmann::json order_vs_size;  ///< order_vs_size.json, or null if the folder has none.
  std::string label;             ///< Name used for this folder in tables and legends (model name).
  std::vector<Figure> figures;   ///< Figures listed in results.json experiments.<id>.figures, in that order.
};

/// Reads `folder`/results.json and `folder`/order_vs_size.json (at least one must exist) and checks
/// their layout: schema "clipscope.results", schema_version 1, and every metric record's keys and
/// types. Also reads the PNG figures that results.json lists. Throws Error(kNotFound) for a missing
/// folder, a folder with neither file or a missing figure, Error(kInvalidArgument) naming the file
/// and key for malformed content (a figure entry without "file", a file name with a path, a file
/// that is not PNG), and Error(kUnsupported) for another schema_version.
ResultsFolder load_results_folder(const std::filesystem::path& folder);

/// Loads every folder and gives each a distinct label: the model name, followed by the folder name
/// in brackets when two folders share a model name. Throws as load_results_folder does, and
/// Error(kInvalidArgument) for an empty list.
std::vector<ResultsFolder> load_results_folders(const std::vector<std::filesystem::path>& folders);

/// Returns the metric records of a folder: results.json "metrics" followed by order_vs_size.json "metrics".
std::vector<nlohmann::json> metric_records(const ResultsFolder& folder);

}  // namespace clipscope::report
