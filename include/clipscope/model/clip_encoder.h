// The Encoder implementation for a loaded CLIP model: tokenisation, image decoding and
// preprocessing in parallel with the model, batching, and the model's identity.
// model/loader.h loads the weights; model/encoder.h is the interface experiments use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "clipscope/image/preprocess.h"
#include "clipscope/model/encoder.h"
#include "clipscope/model/loader.h"
#include "clipscope/text/tokenizer.h"

namespace clipscope::model {

/// Batching settings of a CLIPEncoder.
struct EncoderOptions {
  int64_t batch_size = 64;  ///< Texts or images per forward pass.
};

/// Encoder over a LoadedModel. encode_* calls are not meant to run concurrently on one object.
class CLIPEncoder : public Encoder {
 public:
  /// Wraps a loaded model and, when it has a text tower and tokenizer files were found, loads the
  /// tokenizer. Throws Error(kInvalidArgument) if batch_size < 1, if the tokenizer has more tokens
  /// than token_embedding has rows, or if it ends texts with another id than the config's
  /// eos_token_id (pool_type "eos"); the messages name the tokenizer and model files.
  explicit CLIPEncoder(LoadedModel loaded, EncoderOptions options = {});

  /// Loads `path` with load_model() and wraps it.
  static std::unique_ptr<CLIPEncoder> load(const std::filesystem::path& path, const LoadOptions& load_options = {},
                                           EncoderOptions options = {});

  /// Returns name, weights_sha256 (of the weights file), activation, preprocess, embed_dim, format
  /// (source and checkpoint format), weights, weights_dtype.
  nlohmann::json identity() const override;
  bool has_text_tower() const override { return loaded_.model->has_text_tower(); }
  bool has_image_tower() const override { return loaded_.model->has_image_tower(); }

  /// Tokenises and embeds texts: float32 [N, embed_dim]. Throws Error(kUnsupported) without a
  /// text tower and Error(kNotFound) when no tokenizer files were found.
  torch::Tensor encode_texts(const std::vector<std::string>& texts) override;

  /// Decodes, preprocesses and embeds image files: float32 [N, embed_dim]. Throws
  /// Error(kUnsupported) without an image tower, and decode_image()'s Error for a bad file.
  torch::Tensor encode_images(const std::vector<std::filesystem::path>& images) override;

  /// Returns the padded token ids int64 [N, context_length] that encode_texts() embeds.
  torch::Tensor tokenize(const std::vector<std::string>& texts);

  /// Embeds token ids int64 [N, L] (zero or eos padded): each row is cut after its end token,
  /// which is exact under the causal mask, and rows of equal length share batches.
  /// Returns float32 [N, embed_dim]. Throws Error(kInvalidArgument) for another dtype or rank, or
  /// for an id outside [0, vocab_size).
  torch::Tensor encode_token_ids(const torch::Tensor& ids);

  /// Embeds normalised pixels float32 [N, 3, S, S] in batches. Returns [N, embed_dim].
  torch::Tensor encode_pixels(const torch::Tensor& pixels);

  /// Returns the RGB crops fed to the model, uint8 [N, S, S, 3], decoded and cropped in parallel.
  torch::Tensor preprocess_images(const std::vector<std::filesystem::path>& images) const;

  /// Returns the class token's head-averaged attention in ViT block `block`: float32 [N, tokens].
  /// Throws Error(kUnsupported) for a ModifiedResNet or a model without an image tower.
  torch::Tensor class_token_attention(const std::vector<std::filesystem::path>& images, int64_t block);

  /// The preprocessing applied to images (style, size, mean, std, interpolation).
  const image::PreprocessConfig& preprocess_config() const { return preprocess_; }

  /// The loaded model.
  LoadedModel& loaded() { return loaded_; }
  const LoadedModel& loaded() const { return loaded_; }

 private:
  std::vector<image::Image> crop_images(const std::vector<std::filesystem::path>& images, size_t begin,
                                        size_t end) const;
  const text::Tokenizer& tokenizer();

  LoadedModel loaded_;
  EncoderOptions options_;
  image::PreprocessConfig preprocess_;
  std::optional<text::Tokenizer> tokenizer_;
  bool truncation_reported_ = false;  ///< Whether a caption longer than the context was logged.
  mutable std::once_flag sha256_once_;
  mutable std::string weights_sha256_;
};

/// Builds the preprocessing of a loaded model from its preprocess_cfg (open_clip keys or HF
/// preprocessor_config.json keys) and loaded.preprocess. Throws Error(kInvalidArgument) naming
/// the field for a malformed value.
image::PreprocessConfig make_preprocess_config(const LoadedModel& loaded);

}  // namespace clipscope::model
