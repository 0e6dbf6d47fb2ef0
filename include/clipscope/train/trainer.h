// Contrastive training of small CLIP models on rendered scenes: the configuration, the training
// loop with checkpoints in open_clip's layout, and resumption. Scenes and captions come from
// train/scene_sampler.h; the model is the runtime's own model::CLIP.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/model/clip.h"
#include "clipscope/model/config.h"
#include "clipscope/train/caption_policy.h"
#include "clipscope/train/scene_sampler.h"

namespace clipscope::train {

/// Optimiser and schedule, as open_clip's training script sets them.
struct OptimizerConfig {
  int64_t steps = 2000;             ///< Optimiser steps.
  int64_t batch_size = 64;          ///< Pairs per step (the contrastive batch).
  double learning_rate = 5e-4;      ///< Peak learning rate, reached after warm-up.
  double weight_decay = 0.1;        ///< AdamW decay, applied to weights of 2 or more dimensions only.
  int64_t warmup_steps = 100;       ///< Linear warm-up length; then cosine decay to zero.
  double beta1 = 0.9;               ///< AdamW beta1.
  double beta2 = 0.98;              ///< AdamW beta2.
  double eps = 1e-6;                ///< AdamW epsilon.
  double grad_clip_norm = 1.0;      ///< Maximum global gradient norm; 0 disables clipping.
};

/// Everything that defines a training run. Stored as train_config.json in the run folder.
struct TrainConfig {
  model::ModelConfig model;  ///< Architecture (ViT image tower and text tower); vocab_size is
                             ///< set from the tokenizer.
  SceneDistribution data;
  CaptionPolicy captions;
  OptimizerConfig optimizer;
  /// CLIP BPE file (bpe_simple_vocab_16e6.txt.gz) to tokenise with. Empty: learn a small BPE
  /// vocabulary of vocabulary_size ids from the captions the run can produce.
  std::filesystem::path bpe_path;
  int64_t vocabulary_size = 600;
  uint64_t seed = 0;                ///< Seed of initial weights and of every training pair.
  int64_t checkpoint_every = 500;   ///< Steps between checkpoints; 0 writes only the final model.
  int64_t eval_every = 250;         ///< Steps between held-out evaluations; 0 disables them.
  int64_t eval_images = 180;        ///< Held-out single-object renders for zero-shot accuracy.
};

/// Returns the default configuration: a ViT with 64-pixel input, patch 8, width 192, 4 layers,
/// and a text tower of width 128, 4 layers, context 16, embed_dim 128, QuickGELU.
TrainConfig default_train_config();

/// Reads a configuration: every key optional, missing ones take default_train_config()'s value.
/// Keys: model (an open_clip model_cfg), data, captions, optimizer, bpe_path, vocabulary_size,
/// seed, checkpoint_every, eval_every, eval_images. Throws Error(kInvalidArgument) naming the key.
TrainConfig train_config_from_json(const nlohmann::json& json);

/// Returns the configuration as JSON in the form train_config_from_json() reads.
nlohmann::json to_json(const TrainConfig& config);

/// Returns an open_clip_config.json object ({"model_cfg", "preprocess_cfg"}) for a model config,
/// readable by open_clip 2.30 and by model::load_model.
nlohmann::json open_clip_config_json(const model::ModelConfig& config);

/// One held-out evaluation.
struct EvalRecord {
  int64_t step = 0;
  double loss = 0;                 ///< Training loss of the step.
  double zero_shot_accuracy = 0;   ///< Single-object renders classified among the shape names.
  double retrieval_accuracy = 0;   ///< Held-out image-to-caption top-1 within a batch.
};

/// Outcome of a run.
struct TrainSummary {
  std::filesystem::path model_folder;  ///< The final model in open_clip layout.
  int64_t steps = 0;                   ///< Steps completed.
  double seconds = 0;                  ///< Wall time of this call.
  std::vector<EvalRecord> evaluations;
};

/// Trains a model into `folder`: train_config.json, vocab.json + merges.txt, log.csv,
/// checkpoints/step-NNNNNN/ every checkpoint_every steps and model/ at the end; each checkpoint
/// folder is an open_clip folder (open_clip_config.json, open_clip_model.safetensors, vocab files)
/// plus optimizer.pt and train_state.json for resumption. With resume, continues from the newest
/// checkpoint in `folder`, whose train_config.json must equal `config`. The same config, seed and
/// thread count give bit-identical weights. Throws Error(kInvalidArgument) for a bad config or a
/// folder holding another run (without resume, a folder with a train_config.json is refused).
TrainSummary train_clip(const TrainConfig& config, const std::filesystem::path& folder, bool resume);

/// Fills every parameter of a freshly built ViT CLIP as open_clip's CLIP.init_parameters does for
/// the text tower, with the same scales for the ViT blocks; LayerNorms start at identity and
/// biases at zero. Uses torch's global generator (seed it first). Throws Error(kUnsupported) for a
/// model without a ViT image tower and a text tower.
void initialize_weights(model::CLIP& clip);

/// Writes `clip` as an open_clip folder: open_clip_config.json, open_clip_model.safetensors (F32,
/// with `metadata` stored under the "clipscope" key) and, when `tokenizer_folder` holds them,
/// vocab.json and merges.txt. Each file is written atomically.
void save_open_clip_folder(model::CLIP& clip, const std::filesystem::path& folder,
                           const std::filesystem::path& tokenizer_folder, const nlohmann::json& metadata);

/// Returns the zero-shot accuracy of `model_folder` on `count` single-object renders of each
/// shape of `data`, prompts "a photo of a {shape}", at the model's image size. Used by the model card.
double zero_shot_accuracy(const std::filesystem::path& model_folder, const SceneDistribution& data,
                          int64_t images_per_shape, uint64_t seed);

}  // namespace clipscope::train
