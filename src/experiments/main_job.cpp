#include "clipscope/experiments/main_job.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "clipscope/error.h"
#include "clipscope/experiments/bias_measures.h"
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
           "scenes render, or delete the manifest and import it again with clipscope scenes import --large-slot K",
           row.file.string(), (folder / "manifest.jsonl").string());
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

fs::path cached_simco_set(const fs::path& cache_folder, int count, int size, uint64_t seed) {
  const fs::path folder = cache_folder / fmt::format("simco-3obj-{}img-{}px-seed{}", count, size, seed);
  scenes::SceneSetOptions set_options;
  set_options.kind = scenes::SceneKind::kSimCO;
  set_options.object_count = 3;
  set_options.count = count;
  set_options.seed = seed;
  set_options.render.width = size;
  set_options.render.height = size;
  const scenes::SceneSetSummary summary = scenes::render_scene_set(set_options, folder);
  log::info("SimCO set \"{}\": {} images rendered, {} reused", folder.string(), summary.rendered, summary.kept);
  return folder;
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
  experiment_options.cache_folder = options.cache_folder;

  // model first: a missing default model is the most likely first-run failure
  const fs::path model_path = options.model.empty() ? default_model_path() : options.model;
  if (!fs::exists(model_path)) {
    fail(ErrorKind::kNotFound, "model \"{}\" not found; pass --model with a checkpoint file or folder",
         model_path.string());
  }
  const fs::path dataset = options.dataset.empty()
                               ? cached_simco_set(options.output / "cache", options.scene_count, options.scene_size, options.seed)
                               : options.dataset;
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

  for (const BiasMeasureSpec& spec : bias_measure_specs()) {
    const json* record = find_bias_record(results, spec);
    if (record != nullptr) text += fmt::format("{:<44} {}\n", spec.title, format_rate(*record));
  }
  return text;
}

}  // namespace clipscope::experiments
