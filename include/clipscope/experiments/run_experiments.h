// The library entry point for an eval run: validates the request, runs the chosen experiments on
// one encoder and returns results.json plus the per-sample tables (docs/results-schema.md).
// `clipscope eval` and `clipscope run` call it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "clipscope/experiments/linear_probe.h"
#include "clipscope/experiments/matching.h"
#include "clipscope/experiments/results.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/experiments/tor.h"
#include "clipscope/model/encoder.h"

namespace clipscope::experiments {

/// Settings of an eval run.
struct ExperimentOptions {
  /// Experiment ids to run, in order: tor, ior, i2tor, matching, toc, ioc.
  std::vector<std::string> experiments{"tor"};
  Compat compat = Compat::kPaper;          ///< Membership, ranking and distractor semantics.
  uint64_t seed = 0;                       ///< Caption sampling, splits, probes and bootstrap.
  int bootstrap_resamples = 1000;          ///< Resamples per interval.
  double confidence_level = 0.95;          ///< Interval coverage.
  std::string vocabulary = "simco";        ///< Built-in name or a file with one name per line (TOR, TOC).
  TorOptions tor;                          ///< TOR settings.
  std::string i2tor_template = "a photo of a {}";  ///< Text for each object name in I2TOR.
  MatchingOptions matching;                ///< Matching settings; distractors follow `compat` unless set.
  bool matching_distractors_set = false;   ///< True if matching.distractors was chosen explicitly.
  ProbeOptions probe;                      ///< TOC and IOC probe training and split.
  /// Folder of the embedding cache (experiments/embedding_cache.h); empty runs without a cache.
  std::optional<std::filesystem::path> cache_folder;
};

/// Checks that every id is a known experiment and none repeats, before any model or dataset is
/// loaded. Throws Error(kInvalidArgument) naming the first bad id.
void validate_experiment_ids(const std::vector<std::string>& experiments);

/// Checks `options` against the encoder and dataset before anything runs. Throws Error with one
/// line: kInvalidArgument for an unknown or repeated experiment or bad numbers, kUnsupported if a
/// requested experiment needs a tower the model lacks, kInvalidArgument if an image experiment
/// has no dataset.
void validate_request(const model::Encoder& encoder, const std::optional<SceneSet>& scenes,
                      const ExperimentOptions& options);

/// Runs the experiments and returns their results; nothing is written. With a cache folder, every
/// embedding goes through a CachingEncoder on its cache file. Throws as validate_request does,
/// Error from the vocabulary, template or dataset files, and EmbeddingCache's errors.
Results run_experiments(model::Encoder& encoder, const std::optional<SceneSet>& scenes,
                        const ExperimentOptions& options);

/// Loads the dataset (if `dataset_folder` is set), runs the experiments and writes the results
/// into `output_folder`. Writes nothing if any step fails.
Results run_and_write(model::Encoder& encoder, const std::optional<std::filesystem::path>& dataset_folder,
                      const ExperimentOptions& options, const std::filesystem::path& output_folder);

}  // namespace clipscope::experiments
