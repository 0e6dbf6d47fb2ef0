// The embedding interface experiments run against: a loaded CLIP model implements it (model/clip_encoder.h),
// and tests may implement it with a deterministic stand-in.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace clipscope::model {

/// A source of text and image embeddings in one joint space.
class Encoder {
 public:
  virtual ~Encoder() = default;

  /// Returns a JSON object identifying the model: at least "name", "weights_sha256",
  /// "activation", "preprocess", "embed_dim". Written into every results.json.
  virtual nlohmann::json identity() const = 0;

  /// Returns true if the model has a text tower.
  virtual bool has_text_tower() const = 0;

  /// Returns true if the model has an image tower.
  virtual bool has_image_tower() const = 0;

  /// Embeds texts. Returns float32 [N, D] on CPU, before L2 normalisation, row i for texts[i].
  /// Throws Error(kUnsupported) if there is no text tower.
  virtual torch::Tensor encode_texts(const std::vector<std::string>& texts) = 0;

  /// Embeds image files (PNG or JPEG). Returns float32 [N, D] on CPU, before L2 normalisation.
  /// Throws Error(kUnsupported) if there is no image tower, Error naming the file if one is unreadable.
  virtual torch::Tensor encode_images(const std::vector<std::filesystem::path>& images) = 0;
};

}  // namespace clipscope::model
