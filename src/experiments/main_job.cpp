#include "clipscope/experiments/main_job.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "clipscope/error.h"
#include "clipscope/experiments/run_experiments.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/log.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/report/report.h"
#include "clipscope/scenes/manifest.h"
#include "clipscope/scenes/scene_set.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kDefaultModel = "models/clipscope-simco-tiny";

// Converts a set written by scenes/scene_set.h (manifest.jsonl) into the experiments' SceneSet.
SceneSet scene_set_from_manifest(const fs::path& folder) {
  const scenes::Manifest manifest = scenes::read_manifest(folder);
  SceneSet set;
  set.folder = folder;
  set.manifest_sha256 = sha256_hex(io::read_file(folder / "manifest.jsonl"));
  for (const auto& [name, reference] : manifest.references) {
    set.objects.push_back(name);
    set.references[name] = reference.file;
  }
  for (const scenes::ManifestRow& row : manifest.rows) {
    SceneImage image;
    image.file = row.file;
    image.objects = row.objects;
    if (!row.large_slot) {
      fail(ErrorKind::kInvalidArgument, "image \"{}\" in \"{}\" has no large_slot; re-render the set with clipscope "
           "scenes render", row.file.string(), (folder / "manifest.jsonl").string());
    }
    image.large_slot = *row.large_slot;
    const double pixels = static_cast<double>(row.width) * row.height;
    if (pixels > 0) {
      for (int64_t area : row.areas) image.areas.push_back(static_cast<double>(area) / pixels);
    }
    set.images.push_back(std::move(image));
  }
  return set;
}


fs::path cached_scene_set(const MainJobOptions& options) {
  const fs::path folder = options.output / "cache" /
                          fmt::format("simco-3obj-{}img-{}px-seed{}", options.scene_count, options.scene_size, options.seed);
  scenes::SceneSetOptions set_options;
  set_options.kind = scenes::SceneKind::kSimCO;
  set_options.object_count = 3;
  set_options.count = options.scene_count;
  set_options.seed = options.seed;
  set_options.render.width = options.scene_size;
  set_options.render.height = options.scene_size;
  const scenes::SceneSetSummary summary = scenes::render_scene_set(set_options, folder);
  log::info("SimCO set \"{}\": {} images rendered, {} reused", folder.string(), summary.rendered, summary.kept);
  return folder;
}

const json* find_metric(const json& results, const std::string& experiment, const std::string& variant,
                        const std::string& metric, const json& labels) {
  // iterate the document itself: value() would return a copy, and the returned pointer would dangle
  if (!results.contains("metrics") || !results.at("metrics").is_array()) return nullptr;
  for (const json& record : results.at("metrics")) {
    if (record.value("experiment", "") != experiment || record.value("metric", "") != metric) continue;
    if (!variant.empty() && record.value("variant", "") != variant) continue;
    const json record_labels = record.value("labels", json::object());
    if (!record_labels.is_object()) continue;
    bool matches = true;
    for (const auto& [key, value] : labels.items()) {
      matches = matches && record_labels.contains(key) && record_labels.at(key) == value;
    }
    if (matches) return &record;
  }
  return nullptr;
}

std::string format_rate(const json& record) {
  auto number = [&](const char* key) { return record.contains(key) && record.at(key).is_number(); };
  if (!number("value")) return "n/a";
  std::string text = fmt::format("{:5.1f}%", record.at("value").get<double>() * 100);
  if (number("ci_low") && number("ci_high")) {
    text += fmt::format("  [{:.1f}, {:.1f}]", record.at("ci_low").get<double>() * 100,
                        record.at("ci_high").get<double>() * 100);
  }
  if (number("chance")) text += fmt::format("  chance {:.1f}%", record.at("chance").get<double>() * 100);
  return text;
}

}  // namespace

SceneSet load_dataset_folder(const fs::path& folder) {
  if (!fs::is_directory(folder)) {
    fail(ErrorKind::kNotFound, "dataset folder \"{}\" does not exist; pass a folder made by clipscope scenes render",
         folder.string());
  }
  if (fs::exists(folder / "manifest.json")) return load_scene_set(folder);
  if (fs::exists(folder / "manifest.jsonl")) return scene_set_from_manifest(folder);
  fail(ErrorKind::kNotFound, "dataset folder \"{}\" has no manifest.jsonl or manifest.json; pass a folder made by "
       "clipscope scenes render or scenes import", folder.string());
}

fs::path default_model_path(const fs::path& argv0) {
  const fs::path source = fs::path(CLIPSCOPE_SOURCE_DIR) / kDefaultModel;
  if (fs::exists(source)) return source;
  if (!argv0.empty()) {
    std::error_code ignored;
    const fs::path beside = fs::weakly_canonical(argv0, ignored).parent_path() / kDefaultModel;
    if (fs::exists(beside)) return beside;
  }
  return source;
}

json run_main_job(const MainJobOptions& options) {
  ExperimentOptions experiment_options;
  experiment_options.experiments = options.experiments;
  if (options.probes) {
    for (const char* probe : {"toc", "ioc"}) {
      if (std::find(options.experiments.begin(), options.experiments.end(), probe) == options.experiments.end()) {
        experiment_options.experiments.push_back(probe);
      }
    }
  }
  validate_experiment_ids(experiment_options.experiments);
  experiment_options.seed = options.seed;

  // model first: a missing default model is the most likely first-run failure
  const fs::path model_path = options.model.empty() ? default_model_path() : options.model;
  if (!fs::exists(model_path)) {
    fail(ErrorKind::kNotFound, "model \"{}\" not found; pass --model with a checkpoint file or folder",
         model_path.string());
  }
  const fs::path dataset = options.dataset.empty() ? cached_scene_set(options) : options.dataset;
  const std::optional<SceneSet> scenes = load_dataset_folder(dataset);
  std::unique_ptr<model::CLIPEncoder> encoder = model::CLIPEncoder::load(model_path);

  Results results = run_experiments(*encoder, scenes, experiment_options);
  const fs::path results_folder = options.output / "results";
  write_results(results, results_folder);
  report::write_report({results_folder}, options.output);
  return results.document;
}

std::string format_main_job_summary(const json& results) {
  const json& model = results.value("model", json::object());
  const json dataset = results.value("dataset", json());
  std::string text = fmt::format("model    {} (weights {}…, {}, {} preprocessing)\n", model.value("name", "?"),
                                 model.value("weights_sha256", std::string("?")).substr(0, 12),
                                 model.value("activation", "?"), model.value("preprocess", "?"));
  if (dataset.is_object()) {
    text += fmt::format("dataset  {} ({} images, manifest {}…)\n", dataset.value("path", "?"),
                        dataset.value("images", 0), dataset.value("manifest_sha256", std::string("?")).substr(0, 12));
  }
  const double level = results.value("options", json::object()).value("confidence_level", 0.95);
  text += fmt::format("\n{:<44} {}\n", "headline rate", fmt::format("value  [{:g}% CI]", level * 100));

  struct Headline {
    const char* title;
    const char* experiment;
    const char* variant;
    const char* metric;
    json labels;
  };
  const std::vector<Headline> headlines = {
      {"TOR top-1 is the 1st object (n=2)", "tor", "plain", "top1_position_rate", {{"n", 2}, {"position", 0}, {"given", "all"}}},
      {"TOR top-1 is the 1st object (n=3)", "tor", "plain", "top1_position_rate", {{"n", 3}, {"position", 0}, {"given", "all"}}},
      {"IOR top-1 is the large object", "ior", "", "top1_size_role_rate", {{"size_role", "large"}, {"given", "all"}}},
      {"IOR top-1 is a small object", "ior", "", "top1_size_role_rate", {{"size_role", "small"}, {"given", "all"}}},
      {"I2TOR top-1 is the large object", "i2tor", "", "top1_size_role_rate", {{"size_role", "large"}, {"given", "all"}}},
      {"Matching accuracy, large object first", "matching", "base", "accuracy", {{"scenario", 1}}},
      {"Matching accuracy, large object last", "matching", "base", "accuracy", {{"scenario", 2}}},
  };
  for (const Headline& headline : headlines) {
    const json* record = find_metric(results, headline.experiment, headline.variant, headline.metric, headline.labels);
    if (record != nullptr) text += fmt::format("{:<44} {}\n", headline.title, format_rate(*record));
  }
  return text;
}

}  // namespace clipscope::experiments
