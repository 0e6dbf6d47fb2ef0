#include "clipscope/experiments/progression.h"

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "clipscope/error.h"
#include "clipscope/experiments/bias_measures.h"
#include "clipscope/experiments/main_job.h"
#include "clipscope/experiments/run_experiments.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/log.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/report/progression_page.h"
#include "clipscope/report/report.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_weights_file(const fs::path& path) {
  const std::string extension = path.extension().string();
  return fs::is_regular_file(path) &&
         (extension == ".safetensors" || extension == ".bin" || extension == ".pt" || extension == ".pth");
}

bool is_model_folder(const fs::path& folder) {
  if (!fs::is_directory(folder)) return false;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (is_weights_file(entry.path())) return true;
  }
  return false;
}

std::optional<int64_t> last_number(const std::string& name) {
  static const std::regex digits("[0-9]+");
  std::optional<int64_t> number;
  for (auto it = std::sregex_iterator(name.begin(), name.end(), digits); it != std::sregex_iterator(); ++it) {
    if (it->str().size() <= 18) number = std::stoll(it->str());
  }
  return number;
}

std::optional<double> samples_from_state(const fs::path& folder) {
  const fs::path state_path = folder / "train_state.json";
  if (!fs::is_regular_file(state_path)) return std::nullopt;
  try {
    const json state = json::parse(io::read_file(state_path));
    if (state.contains("samples_seen") && state.at("samples_seen").is_number()) {
      return state.at("samples_seen").get<double>();
    }
  } catch (const json::exception& error) {
    log::warn("ignoring \"{}\": {}", state_path.string(), error.what());
  }
  return std::nullopt;
}

std::map<std::string, double> read_samples_file(const fs::path& file) {
  std::istringstream lines(io::read_file(file));
  std::string line;
  std::map<std::string, double> samples;
  int line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number == 1) {
      if (line != "checkpoint,samples_seen") {
        fail(ErrorKind::kInvalidArgument, "\"{}\" line 1 is \"{}\"; the header must be checkpoint,samples_seen",
             file.string(), line);
      }
      continue;
    }
    if (line.empty()) continue;
    const size_t comma = line.rfind(',');
    double value = -1;
    std::istringstream number(comma == std::string::npos ? "" : line.substr(comma + 1));
    if (comma == std::string::npos || !(number >> value) || !number.eof() || value < 0) {
      fail(ErrorKind::kInvalidArgument, "\"{}\" line {} is \"{}\"; expected <checkpoint name>,<samples seen>",
           file.string(), line_number, line);
    }
    samples[line.substr(0, comma)] = value;
  }
  return samples;
}

json rate_records(const json& results) {
  json measures = json::object();
  for (const BiasMeasureSpec& spec : bias_measure_specs()) {
    if (const json* record = find_bias_record(results, spec)) measures[spec.id] = *record;
  }
  return measures;
}

}  // namespace

std::vector<CheckpointEntry> find_checkpoints(const fs::path& folder, const fs::path& samples_file) {
  if (!fs::is_directory(folder)) {
    fail(ErrorKind::kNotFound, "checkpoint folder \"{}\" does not exist; pass the folder holding the checkpoints",
         folder.string());
  }
  const fs::path root = fs::is_directory(folder / "checkpoints") ? folder / "checkpoints" : folder;

  std::vector<CheckpointEntry> entries;
  for (const auto& item : fs::directory_iterator(root)) {
    const fs::path& path = item.path();
    CheckpointEntry entry;
    if (is_model_folder(path)) {
      entry.name = path.filename().string();
      entry.samples_seen = samples_from_state(path);
    } else if (is_weights_file(path)) {
      entry.name = path.stem().string();
    } else {
      continue;
    }
    entry.path = path;
    entry.number = last_number(entry.name);
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) {
    fail(ErrorKind::kNotFound, "no checkpoints in \"{}\": expected model folders or .safetensors, .bin, .pt or .pth "
         "files, one per checkpoint", root.string());
  }

  // samples seen from the user's file override what the folders record
  if (!samples_file.empty()) {
    std::map<std::string, double> samples = read_samples_file(samples_file);
    for (CheckpointEntry& entry : entries) {
      auto found = samples.find(entry.name);
      if (found != samples.end()) entry.samples_seen = found->second;
    }
    for (const auto& [name, value] : samples) {
      const bool known = std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.name == name; });
      if (!known) {
        fail(ErrorKind::kInvalidArgument, "\"{}\" names checkpoint \"{}\", which is not in \"{}\"",
             samples_file.string(), name, root.string());
      }
    }
  }

  // training order
  const bool all_samples = std::all_of(entries.begin(), entries.end(), [](const auto& e) { return e.samples_seen.has_value(); });
  const bool all_numbers = std::all_of(entries.begin(), entries.end(), [](const auto& e) { return e.number.has_value(); });
  std::stable_sort(entries.begin(), entries.end(), [&](const CheckpointEntry& a, const CheckpointEntry& b) {
    if (all_samples && *a.samples_seen != *b.samples_seen) return *a.samples_seen < *b.samples_seen;
    if (all_numbers && *a.number != *b.number) return *a.number < *b.number;
    return a.name < b.name;
  });
  return entries;
}

json run_progression(const ProgressionOptions& options) {
  validate_experiment_ids(options.experiments);
  io::check_output_folder(options.output);
  const std::vector<CheckpointEntry> entries = find_checkpoints(options.checkpoints, options.samples_file);
  log::info("{} checkpoints in \"{}\"", entries.size(), options.checkpoints.string());

  const fs::path dataset = options.dataset.empty()
                               ? cached_simco_set(options.output / "cache", options.scene_count, options.scene_size, options.seed)
                               : options.dataset;
  const std::optional<SceneSet> scenes = load_dataset_folder(dataset);
  ExperimentOptions experiment_options;
  experiment_options.experiments = options.experiments;
  experiment_options.seed = options.seed;
  experiment_options.tor = options.tor;

  // every checkpoint on the same inputs
  json checkpoints = json::array();
  std::vector<fs::path> result_folders;
  Results first;
  Results last;
  for (size_t i = 0; i < entries.size(); ++i) {
    const CheckpointEntry& entry = entries[i];
    log::info("checkpoint {} of {}: \"{}\"", i + 1, entries.size(), entry.path.string());
    std::unique_ptr<model::CLIPEncoder> encoder = model::CLIPEncoder::load(entry.path);
    Results results = run_experiments(*encoder, scenes, experiment_options);
    results.document["model"]["name"] = entry.name;
    const fs::path folder = options.output / "checkpoints" / entry.name;
    write_results(results, folder);
    result_folders.push_back(folder);

    json row = {{"name", entry.name},
                {"path", entry.path.string()},
                {"results", fs::relative(folder, options.output).generic_string()},
                {"samples_seen", entry.samples_seen ? json(*entry.samples_seen) : json(nullptr)},
                {"number", entry.number ? json(*entry.number) : json(nullptr)},
                {"measures", rate_records(results.document)}};
    checkpoints.push_back(std::move(row));
    if (i == 0) first = results;
    last = std::move(results);
  }

  // the first checkpoint against the last, on the same samples
  MetricCollector collector(stats::BootstrapOptions{1000, 0.95, options.seed});
  if (entries.size() >= 2) compare_bias(first, entries.front().name, last, entries.back().name, collector);
  json measures = json::array();
  for (const BiasMeasureSpec& spec : bias_measure_specs()) {
    measures.push_back({{"id", spec.id}, {"title", spec.title}});
  }
  json progression = {{"schema_version", 1},
                      {"checkpoint_folder", options.checkpoints.string()},
                      {"dataset", first.document.value("dataset", json())},
                      {"experiments", options.experiments},
                      {"measures", measures},
                      {"checkpoints", checkpoints},
                      {"comparisons", collector.comparisons()}};

  // every file rendered before any is written
  const std::string markdown = report::render_progression_markdown(progression);
  const std::string html = report::render_progression_html(progression);
  const std::string csv = report::progression_csv(progression);
  io::write_file_atomic(options.output / "progression.json", progression.dump(2) + "\n");
  io::write_file_atomic(options.output / "progression.csv", csv);
  io::write_file_atomic(options.output / "progression.md", markdown);
  io::write_file_atomic(options.output / "progression.html", html);
  report::write_report(result_folders, options.output);
  return progression;
}

std::string format_progression_table(const json& progression) {
  std::vector<const BiasMeasureSpec*> columns;
  for (const BiasMeasureSpec& spec : bias_measure_specs()) {
    for (const json& row : progression.at("checkpoints")) {
      if (row.at("measures").contains(spec.id)) {
        columns.push_back(&spec);
        break;
      }
    }
  }
  std::string text = fmt::format("{:<20} {:>10}", "checkpoint", "samples");
  for (const BiasMeasureSpec* spec : columns) text += fmt::format(" {:>22}", spec->id);
  text += "\n";
  for (const json& row : progression.at("checkpoints")) {
    const json& samples = row.at("samples_seen");
    text += fmt::format("{:<20} {:>10}", row.at("name").get<std::string>(),
                        samples.is_number() ? fmt::format("{:.0f}", samples.get<double>()) : "?");
    for (const BiasMeasureSpec* spec : columns) {
      const json& measures = row.at("measures");
      if (!measures.contains(spec->id)) {
        text += fmt::format(" {:>22}", "n/a");
        continue;
      }
      const json& record = measures.at(spec->id);
      auto percent = [&](const char* key) {
        return record.contains(key) && record.at(key).is_number() ? fmt::format("{:.1f}", record.at(key).get<double>() * 100)
                                                                  : std::string("?");
      };
      text += fmt::format(" {:>22}", fmt::format("{}% [{}, {}]", percent("value"), percent("ci_low"), percent("ci_high")));
    }
    text += "\n";
  }
  return text;
}

}  // namespace clipscope::experiments
