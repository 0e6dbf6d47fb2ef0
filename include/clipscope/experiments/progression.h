// Bias across a series of checkpoints: finds the checkpoints of a training run (or any folder of
// checkpoints), runs the headline experiments on each and tabulates the bias rates against samples
// seen. experiments/bias_measures.h defines the rates; report/progression_page.h renders the result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/experiments/tor.h"

namespace clipscope::experiments {

/// One checkpoint of a series.
struct CheckpointEntry {
  std::filesystem::path path;         ///< Model folder or checkpoint file.
  std::string name;                   ///< Folder or file name without extension.
  std::optional<double> samples_seen; ///< From train_state.json or the samples file; empty if unknown.
  std::optional<int64_t> number;      ///< Last integer in the name (step-000250 gives 250).
};

/// Returns the checkpoints of `folder` in training order: model folders (holding open_clip or Hugging
/// Face weights, or any .safetensors/.bin/.pt/.pth file) and checkpoint files directly inside it. A
/// clipscope training run folder is read through its checkpoints/ subfolder. `samples_file`, if set,
/// is a CSV with header "checkpoint,samples_seen" naming checkpoints by name. Order: by samples seen
/// when every checkpoint has it, else by the number in the name, else by name. Throws
/// Error(kNotFound) for a missing folder or one without checkpoints, Error(kInvalidArgument) for a
/// bad samples file (naming the line).
std::vector<CheckpointEntry> find_checkpoints(const std::filesystem::path& folder,
                                              const std::filesystem::path& samples_file = {});

/// Settings of run_progression().
struct ProgressionOptions {
  std::filesystem::path checkpoints;   ///< Folder of checkpoints (see find_checkpoints).
  std::filesystem::path samples_file;  ///< Optional "checkpoint,samples_seen" CSV.
  std::filesystem::path dataset;       ///< Scene set; empty renders or reuses a cached SimCO set.
  std::vector<std::string> experiments{"tor", "ior", "matching"};  ///< Experiment ids run per checkpoint.
  std::filesystem::path output = "clipscope-progression";  ///< Receives every output file.
  int scene_count = 60;                ///< Images of the cached SimCO set.
  int scene_size = 224;                ///< Side of the cached SimCO images, in pixels.
  uint64_t seed = 0;                   ///< Seed of rendering, caption sampling and bootstrap.
  TorOptions tor;                      ///< TOR settings (object counts, caption sample size, variants).
};

/// Runs `experiments` on every checkpoint and writes, under `output`: checkpoints/<name>/ (results.json
/// and the per-sample CSV files of each checkpoint), progression.json (per checkpoint: samples seen
/// and the headline rate records; the paired comparison of the first and the last checkpoint),
/// progression.csv, progression.md and a self-contained progression.html with line charts, and
/// report.md/report.html with every checkpoint side by side. Returns the progression.json document.
/// Throws as find_checkpoints, the model loader and run_experiments do; the progression files are
/// written only after every checkpoint has been evaluated.
nlohmann::json run_progression(const ProgressionOptions& options);

/// Returns a plain-text table of progression.json: one row per checkpoint, one column per headline rate.
std::string format_progression_table(const nlohmann::json& progression);

}  // namespace clipscope::experiments
