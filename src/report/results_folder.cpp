#include "clipscope/report/results_folder.h"

#include <map>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::report {
namespace {

using nlohmann::json;

json parse_json_file(const std::filesystem::path& path) {
  const std::string text = io::read_file(path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& error) {
    fail(ErrorKind::kInvalidArgument, "\"{}\" is not valid JSON ({}); regenerate it with clipscope eval or run",
         path.string(), error.what());
  }
}

void require_key(const json& object, const char* key, json::value_t type, const std::filesystem::path& path,
                 const std::string& where) {
  if (!object.contains(key)) {
    fail(ErrorKind::kInvalidArgument, "\"{}\": {} has no key \"{}\"; the file does not follow docs/results-schema.md",
         path.string(), where, key);
  }
  const json& value = object.at(key);
  const bool number_ok = type == json::value_t::number_float && value.is_number();
  const bool integer_ok = type == json::value_t::number_integer && value.is_number_integer();
  if (!number_ok && !integer_ok && value.type() != type) {
    fail(ErrorKind::kInvalidArgument, "\"{}\": {} key \"{}\" has type {}, expected {}", path.string(), where, key,
         value.type_name(), json(type).type_name());
  }
}

void require_number_or_null(const json& record, const char* key, const std::filesystem::path& path,
                            const std::string& where) {
  if (!record.contains(key)) {
    fail(ErrorKind::kInvalidArgument, "\"{}\": {} has no key \"{}\"; the file does not follow docs/results-schema.md",
         path.string(), where, key);
  }
  if (!record.at(key).is_number() && !record.at(key).is_null()) {
    fail(ErrorKind::kInvalidArgument, "\"{}\": {} key \"{}\" must be a number or null, got {}", path.string(), where,
         key, record.at(key).type_name());
  }
}

void check_metric_records(const json& metrics, const std::filesystem::path& path) {
  for (size_t i = 0; i < metrics.size(); ++i) {
    const json& record = metrics[i];
    const std::string where = fmt::format("metrics[{}]", i);
    if (!record.is_object()) {
      fail(ErrorKind::kInvalidArgument, "\"{}\": {} is a {}, expected an object", path.string(), where,
           record.type_name());
    }
    require_key(record, "experiment", json::value_t::string, path, where);
    require_key(record, "variant", json::value_t::string, path, where);
    require_key(record, "metric", json::value_t::string, path, where);
    require_key(record, "labels", json::value_t::object, path, where);
    require_key(record, "value", json::value_t::number_float, path, where);
    require_key(record, "n", json::value_t::number_integer, path, where);
    require_number_or_null(record, "ci_low", path, where);
    require_number_or_null(record, "ci_high", path, where);
    require_number_or_null(record, "chance", path, where);
    for (const auto& [key, value] : record.at("labels").items()) {
      if (!value.is_number_integer() && !value.is_string()) {
        fail(ErrorKind::kInvalidArgument, "\"{}\": {} label \"{}\" must be an integer or a string", path.string(),
             where, key);
      }
    }
  }
}

json read_results_json(const std::filesystem::path& path) {
  json results = parse_json_file(path);
  if (!results.is_object()) {
    fail(ErrorKind::kInvalidArgument, "\"{}\" holds a JSON {}, expected the results object of clipscope eval",
         path.string(), results.type_name());
  }
  const std::string schema = results.value("schema", std::string());
  if (schema != "clipscope.results") {
    fail(ErrorKind::kInvalidArgument,
         "\"{}\" has schema \"{}\", expected \"clipscope.results\"; pass a folder written by clipscope eval or run",
         path.string(), schema);
  }
  if (!results.contains("schema_version") || !results["schema_version"].is_number_integer()) {
    fail(ErrorKind::kInvalidArgument, "\"{}\" has no integer schema_version", path.string());
  }
  const int64_t version = results["schema_version"].get<int64_t>();
  if (version != kReadableSchemaVersion) {
    fail(ErrorKind::kUnsupported, "\"{}\" has schema_version {}, this build reads version {}; use the clipscope "
         "build that wrote it or rerun the evaluation", path.string(), version, kReadableSchemaVersion);
  }
  require_key(results, "model", json::value_t::object, path, "the top level");
  require_key(results, "options", json::value_t::object, path, "the top level");
  require_key(results, "experiments", json::value_t::object, path, "the top level");
  require_key(results, "metrics", json::value_t::array, path, "the top level");
  check_metric_records(results["metrics"], path);
  if (results.contains("comparisons") && !results["comparisons"].is_array()) {
    fail(ErrorKind::kInvalidArgument, "\"{}\": \"comparisons\" must be an array", path.string());
  }
  return results;
}

json read_order_vs_size_json(const std::filesystem::path& path) {
  json analysis = parse_json_file(path);
  if (!analysis.is_object() || analysis.value("experiment", std::string()) != "order_vs_size") {
    fail(ErrorKind::kInvalidArgument,
         "\"{}\" is not the output of clipscope captions order-vs-size (no \"experiment\": \"order_vs_size\")",
         path.string());
  }
  require_key(analysis, "metrics", json::value_t::array, path, "the top level");
  check_metric_records(analysis["metrics"], path);
  return analysis;
}

// Reads the figures listed in results.json experiments.<id>.figures: [{"file", "caption"}].
std::vector<Figure> read_figures(const json& results, const std::filesystem::path& folder) {
  std::vector<Figure> figures;
  const std::filesystem::path path = folder / "results.json";
  for (const auto& [id, entry] : results["experiments"].items()) {
    if (!entry.is_object() || !entry.contains("figures")) continue;
    if (!entry["figures"].is_array()) {
      fail(ErrorKind::kInvalidArgument, "\"{}\": experiments.{}.figures must be an array", path.string(), id);
    }
    for (const json& listed : entry["figures"]) {
      if (!listed.is_object() || !listed.contains("file") || !listed["file"].is_string()) {
        fail(ErrorKind::kInvalidArgument, "\"{}\": an entry of experiments.{}.figures has no string \"file\"",
             path.string(), id);
      }
      Figure figure;
      figure.experiment = id;
      figure.file = listed["file"].get<std::string>();
      figure.caption = listed.value("caption", std::string());
      if (figure.file.empty() || std::filesystem::path(figure.file).filename() != figure.file || figure.file == "." || figure.file == "..") {
        fail(ErrorKind::kInvalidArgument, "\"{}\": figure \"{}\" must be a file name inside the results folder",
             path.string(), figure.file);
      }
      const std::filesystem::path file = folder / figure.file;
      if (!std::filesystem::exists(file)) {
        fail(ErrorKind::kNotFound, "figure \"{}\" listed in \"{}\" is missing; copy it with the results or rerun "
             "clipscope eval", file.string(), path.string());
      }
      figure.png = io::read_file(file);
      if (figure.png.rfind("\x89PNG\r\n\x1a\n", 0) != 0) {
        fail(ErrorKind::kInvalidArgument, "figure \"{}\" is not a PNG file; rerun clipscope eval", file.string());
      }
      figures.push_back(std::move(figure));
    }
  }
  return figures;
}

}  // namespace

ResultsFolder load_results_folder(const std::filesystem::path& folder) {
  if (!std::filesystem::is_directory(folder)) {
    fail(ErrorKind::kNotFound, "results folder \"{}\" does not exist; pass a folder written by clipscope eval or run",
         folder.string());
  }
  ResultsFolder loaded;
  loaded.folder = folder;
  const std::filesystem::path results_path = folder / "results.json";
  const std::filesystem::path analysis_path = folder / "order_vs_size.json";
  const bool has_results = std::filesystem::exists(results_path);
  const bool has_analysis = std::filesystem::exists(analysis_path);
  if (!has_results && !has_analysis) {
    fail(ErrorKind::kNotFound,
         "no results.json or order_vs_size.json in \"{}\"; pass a folder written by clipscope eval, run or "
         "captions order-vs-size", folder.string());
  }
  if (has_results) {
    loaded.results = read_results_json(results_path);
    loaded.figures = read_figures(loaded.results, folder);
  }
  if (has_analysis) loaded.order_vs_size = read_order_vs_size_json(analysis_path);

  if (has_results) {
    loaded.label = loaded.results["model"].value("name", std::string("unnamed model"));
  } else {
    loaded.label = "captions (" + std::filesystem::absolute(folder).lexically_normal().filename().string() + ")";
  }
  return loaded;
}

std::vector<ResultsFolder> load_results_folders(const std::vector<std::filesystem::path>& folders) {
  if (folders.empty()) fail(ErrorKind::kInvalidArgument, "no results folder given; pass at least one folder");
  std::vector<ResultsFolder> loaded;
  std::map<std::string, int> label_counts;
  for (const std::filesystem::path& folder : folders) {
    loaded.push_back(load_results_folder(folder));
    ++label_counts[loaded.back().label];
  }
  for (ResultsFolder& entry : loaded) {
    if (label_counts[entry.label] > 1) {
      std::filesystem::path normal = std::filesystem::absolute(entry.folder).lexically_normal();
      if (normal.filename().empty()) normal = normal.parent_path();
      entry.label += " [" + normal.filename().string() + "]";
    }
  }
  return loaded;
}

std::vector<nlohmann::json> metric_records(const ResultsFolder& folder) {
  std::vector<json> records;
  if (folder.results.is_object()) {
    for (const json& record : folder.results["metrics"]) records.push_back(record);
  }
  if (folder.order_vs_size.is_object()) {
    for (const json& record : folder.order_vs_size["metrics"]) records.push_back(record);
  }
  return records;
}

}  // namespace clipscope::report
