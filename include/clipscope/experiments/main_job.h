// The job behind `clipscope run`: render (once) a small SimCO scene set, load a model, run the
// retrieval and matching experiments, and write results.json plus the report. run_experiments.h
// runs the experiments, report/report.h writes the report.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/experiments/scene_set.h"

namespace clipscope::experiments {

/// Settings of run_main_job().
struct MainJobOptions {
  std::filesystem::path model;    ///< Checkpoint file or folder; empty uses default_model_path().
  std::filesystem::path dataset;  ///< Scene set folder; empty renders or reuses the cached SimCO set.
  std::vector<std::string> experiments{"tor", "ior", "i2tor", "matching"};  ///< Experiment ids.
  bool probes = false;            ///< Also run the toc and ioc linear probes.
  std::filesystem::path output = "clipscope-out";  ///< Receives results/, report.md, report.html and cache/.
  int scene_count = 60;           ///< Images of the cached SimCO set.
  int scene_size = 224;           ///< Width and height of the cached SimCO images, in pixels.
  uint64_t seed = 0;              ///< Seed of rendering, sampling and bootstrap.
  /// Folder of the embedding cache (experiments/embedding_cache.h); empty runs without a cache.
  std::optional<std::filesystem::path> cache_folder;
};

/// Returns the built-in model folder models/clipscope-simco-tiny: in the source tree the build
/// came from, else beside the executable `argv0`. Returns the source-tree path if neither exists.
std::filesystem::path default_model_path(const std::filesystem::path& argv0 = {});

/// Renders, or reuses when already complete, the SimCO set of `count` three-object images of
/// `size` pixels under `cache_folder` and returns its folder. The same arguments give the same bytes.
std::filesystem::path cached_simco_set(const std::filesystem::path& cache_folder, int count, int size, uint64_t seed);

/// Reads a scene set folder with either manifest.json (experiments/scene_set.h) or manifest.jsonl
/// (written by clipscope scenes render). Throws Error(kNotFound) for a missing folder or manifest,
/// Error(kInvalidArgument) for an image without a large slot.
SceneSet load_dataset_folder(const std::filesystem::path& folder);

/// Runs the job and returns the results.json document. Writes output/results/ (results.json and
/// the per-sample CSV files), output/report.md and output/report.html; the SimCO set is cached in
/// output/cache/. Throws Error(kInvalidArgument) for an unknown experiment id (before anything is
/// loaded), Error(kNotFound) for a missing model or a dataset folder without a manifest, and the
/// errors of the model loader, run_experiments and write_report; nothing under output/results is
/// half-written.
nlohmann::json run_main_job(const MainJobOptions& options);

/// Returns a plain-text table of the headline rates of a results.json document: model, dataset,
/// TOR first-position rate, IOR and I2TOR large-object rates, matching accuracy per scenario.
std::string format_main_job_summary(const nlohmann::json& results);

}  // namespace clipscope::experiments
