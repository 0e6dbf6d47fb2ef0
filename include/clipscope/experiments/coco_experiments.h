// The library entry point for the real-data experiments: coco-tor, coco-ior, coco-i2tor and
// coco-matching on a COCO folder, and attention on a COCO folder or a rendered scene set. Inputs are
// read and checked before the model is loaded. results.json (docs/results-schema.md), the per-sample
// CSV files and the attention overlays are written only after every experiment ran.
// run_experiments.h runs the scene-set experiments, and docs/real-data.md defines these.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clipscope/experiments/attention_roles.h"
#include "clipscope/experiments/coco_matching.h"
#include "clipscope/experiments/coco_objects.h"
#include "clipscope/experiments/coco_retrieval.h"
#include "clipscope/experiments/mentions.h"
#include "clipscope/experiments/order_vs_size.h"
#include "clipscope/experiments/results.h"
#include "clipscope/experiments/run_experiments.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/model/encoder.h"
#include "clipscope/scenes/manifest.h"

namespace clipscope::experiments {

/// Returns the experiment ids this runner handles: coco-tor, coco-ior, coco-i2tor, coco-matching, attention.
const std::vector<std::string>& real_data_experiment_ids();

/// Returns true if `id` is one of real_data_experiment_ids().
bool is_real_data_experiment(std::string_view id);

/// Experiment ids of one request, split by the runner that handles them.
struct ExperimentSplit {
  std::vector<std::string> scene;      ///< For run_experiments (tor, ior, i2tor, matching, toc, ioc).
  std::vector<std::string> real_data;  ///< For run_real_data_experiments.
};

/// Splits `ids`, keeping their order within each part. Throws Error(kInvalidArgument) for an empty
/// list, an unknown id (listing every known one) or a repeated id.
ExperimentSplit split_experiment_ids(const std::vector<std::string>& ids);

/// Settings of a real-data run.
struct RealDataOptions {
  std::vector<std::string> experiments;  ///< Ids from real_data_experiment_ids(), in run order.
  std::filesystem::path coco;            ///< COCO folder; needed by the coco-* experiments, used by attention if set.
  std::filesystem::path scenes;          ///< Scene set with label masks; attention uses it when `coco` is empty.
  std::filesystem::path synonyms;        ///< Phrase-to-category table; empty: default_synonyms_path().
  AreaSource area_source = AreaSource::kMask;  ///< Object sizes from masks or boxes.
  CocoRetrievalOptions retrieval;        ///< coco-tor, coco-ior, coco-i2tor settings.
  int64_t distractors = 4;               ///< coco-matching distractors per caption.
  AttentionOptions attention;            ///< attention settings.
  uint64_t seed = 0;                     ///< Seed of distractor draws and bootstrap.
  int bootstrap_resamples = 1000;        ///< Resamples per interval.
  double confidence_level = 0.95;        ///< Interval coverage.
};

/// The data of a real-data run, read before the model.
struct RealDataInputs {
  std::optional<io::CocoDataset> coco;
  std::string instances_sha256;             ///< SHA-256 of the COCO instances file.
  std::vector<std::string> categories;      ///< COCO category names in file order.
  std::optional<MentionMatcher> matcher;    ///< Over `categories` and the synonym table.
  std::vector<ImageObjects> images;         ///< Images with at least two annotated categories.
  std::vector<CaptionObjects> captions;     ///< Captions with at least two annotated mentioned categories.
  std::optional<scenes::Manifest> scenes;   ///< The scene set attention runs on, when there is no COCO folder.
  std::string manifest_sha256;              ///< SHA-256 of the scene manifest.
};

/// Checks the ids and numbers of `options` and reads the inputs they need. Throws
/// Error(kInvalidArgument) for an unknown or repeated id, an invalid number, a coco-* experiment
/// without `coco`, attention with neither folder, or data without an image (or caption) with two
/// annotated objects. Throws Error(kNotFound) for a missing folder or a folder without
/// instances_*.json (or captions_*.json, which coco-tor and coco-matching need). Also throws the
/// errors of the file readers.
RealDataInputs load_real_data_inputs(const RealDataOptions& options);

/// Everything a real-data run writes.
struct RealDataResults {
  Results results;                      ///< results.json and the per-sample tables.
  std::vector<AttentionFigure> figures;  ///< Attention overlays, written beside results.json.
};

/// Runs the experiments and returns their results; nothing is written. Checks the encoder first:
/// Error(kUnsupported) if a requested experiment needs a tower the model lacks, or a ViT for
/// attention. Throws the experiments' errors.
RealDataResults run_real_data_experiments(model::Encoder& encoder, const RealDataInputs& inputs,
                                          const RealDataOptions& options);

/// Adds the experiments, metrics, comparisons and timings of `real` to `scene_results` (from
/// run_experiments on the same encoder) and lists every id of `order` in options.experiments.
/// The document keeps the scene dataset; a COCO dataset goes to the key "coco_dataset".
RealDataResults merge_results(Results scene_results, RealDataResults real, const std::vector<std::string>& order);

/// Runs a request that may mix both kinds of experiment on one encoder: run_experiments for
/// split.scene (with `scenes`), run_real_data_experiments for split.real_data, merged in the order of
/// `order`. Nothing is written. Throws the errors of both runners.
RealDataResults run_split_request(model::Encoder& encoder, const ExperimentSplit& split,
                                  const std::optional<SceneSet>& scenes, ExperimentOptions scene_options,
                                  const RealDataInputs& inputs, const RealDataOptions& real_options,
                                  const std::vector<std::string>& order);

/// Writes the overlays, every CSV and then results.json into `folder` (created if missing), each
/// atomically. Throws Error(kIo) naming the file that failed.
void write_real_data_results(const RealDataResults& results, const std::filesystem::path& folder);

}  // namespace clipscope::experiments
