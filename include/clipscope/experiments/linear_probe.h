// Linear probes on frozen embeddings: a seeded train/validation/test split, a softmax-regression
// head trained with Adam, and the TOC and IOC experiments that train one head per caption position
// or image slot. run_experiments.h runs them; results.h collects their metrics.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipscope/experiments/captions.h"
#include "clipscope/experiments/results.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/experiments/tor.h"
#include "clipscope/model/encoder.h"

namespace clipscope::experiments {

/// Settings of the linear probes.
struct ProbeOptions {
  int64_t epochs = 500;         ///< Maximum number of full-batch Adam steps.
  int64_t patience = 50;        ///< Stop after this many epochs without a lower validation loss.
  double learning_rate = 0.05;  ///< Adam step size.
  double weight_decay = 0.0;    ///< Adam L2 penalty on the weights and bias.
  double train_fraction = 0.6;  ///< Share of the samples the head is fitted on.
  double validation_fraction = 0.2;  ///< Share used for early stopping; the rest is the test split.
};

/// Throws Error(kInvalidArgument) naming the first bad setting: epochs or patience below 1, a
/// learning rate that is not positive, a negative weight decay, or fractions outside (0, 1) whose
/// sum leaves no test share.
void validate_probe_options(const ProbeOptions& options);

/// Sample indices of the three splits, each in ascending order.
struct ProbeSplit {
  std::vector<int64_t> train;
  std::vector<int64_t> validation;
  std::vector<int64_t> test;
};

/// Shuffles `count` sample indices with `seed` and cuts them into round(count * train_fraction)
/// training, round(count * validation_fraction) validation and the remaining test samples. The
/// same count, fractions and seed give the same split on every platform. Throws
/// Error(kInvalidArgument) naming `probe_name` and the split if any split would be empty.
ProbeSplit split_samples(int64_t count, const ProbeOptions& options, uint64_t seed,
                         const std::string& probe_name = "linear probe");

/// Outcome of one trained head.
struct ProbeHead {
  std::vector<int64_t>
      test_predictions;              ///< Predicted class of each split.test sample, in that order.
  double train_accuracy = 0.0;       ///< Accuracy on split.train with the selected weights.
  double validation_accuracy = 0.0;  ///< Accuracy on split.validation with the selected weights.
  int64_t best_epoch = 0;            ///< Epoch of the selected weights; 0 means the zero start.
  int64_t epochs_run = 0;            ///< Epochs run before the stop.
};

/// Trains a linear softmax classifier on `features` float [N, D] for `labels` int64 [N] with values
/// in [0, num_classes). The rows are L2-normalised and standardised with the training mean and
/// standard deviation, the weights start at zero, and every epoch is one full-batch Adam step on
/// the cross-entropy of split.train. The weights with the lowest validation loss are kept and
/// predict split.test. Deterministic for equal inputs. Runs on one intra-op thread and restores the
/// previous thread count after. Throws Error(kInvalidArgument) naming `probe_name`
/// for mismatched shapes, a label out of range, fewer samples than classes, an empty split or a
/// split index out of range.
ProbeHead train_linear_probe(const torch::Tensor& features, const torch::Tensor& labels,
                             int64_t num_classes, const ProbeSplit& split,
                             const ProbeOptions& options,
                             const std::string& probe_name = "linear probe");

/// Returns the probe settings as written into results.json: epochs, patience, learning_rate,
/// weight_decay and split (train, validation and test fractions).
nlohmann::json probe_settings(const ProbeOptions& options);

/// Runs text-based object classification (TOC): for each object count of `tor`, the plain TOR
/// captions of `vocabulary` are embedded, split with `seed`, and one head per caption position
/// predicts the object named there. Adds probe_accuracy records (labels n, position, split) with
/// chance 1/V to `collector` and one row per test caption and position to `samples`. Returns one
/// JSON object per head (n, position, sample counts, best_epoch, epochs_run, train and validation
/// accuracy). Throws Error(kUnsupported) without a text tower and train_linear_probe's errors.
nlohmann::json run_toc(model::Encoder& encoder, const Vocabulary& vocabulary, const TorOptions& tor,
                       const ProbeOptions& options, uint64_t seed, MetricCollector& collector,
                       CsvTable& samples);

/// Runs image-based object classification (IOC): the scene images are embedded and, per number of
/// objects n, split with `seed`; one head per image slot predicts the object in that slot. Adds
/// probe_accuracy records per slot (labels n, slot, split) and per size role (labels n, size_role,
/// split: the slot heads' test outcomes grouped by the manifest's large slot) with chance 1/V,
/// where V is the number of dataset objects, and one row per test image and slot to `samples`.
/// Returns one JSON object per head like run_toc. Throws Error(kUnsupported) without an image tower
/// and train_linear_probe's errors.
nlohmann::json run_ioc(model::Encoder& encoder, const SceneSet& scenes, const ProbeOptions& options,
                       uint64_t seed, MetricCollector& collector, CsvTable& samples);

}  // namespace clipscope::experiments
