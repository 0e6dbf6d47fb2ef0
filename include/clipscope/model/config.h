// Architecture configs of a CLIP model: parsed from open_clip's open_clip_config.json, from a
// Hugging Face config.json, or inferred from the tensor shapes of a bare state dict.
// Ref: open_clip 2.30 src/open_clip/model.py (CLIPVisionCfg, CLIPTextCfg, build_model_from_openai_state_dict).
// model/loader.h decides which source applies; model/clip.h builds the modules.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace clipscope::model {

/// The MLP activation of both towers.
enum class Activation {
  kQuickGELU,  ///< x * sigmoid(1.702 x), OpenAI's CLIP (open_clip quick_gelu=true, HF "quick_gelu").
  kGELU,       ///< Exact erf GELU (open_clip default, HF "gelu").
  kGELUTanh,   ///< Tanh approximation of GELU (HF "gelu_new", "gelu_pytorch_tanh").
};

/// Returns the name used in outputs and on the command line: "quick_gelu", "gelu" or "gelu_tanh".
std::string activation_name(Activation activation);

/// Parses an activation name: "quick_gelu", "gelu", "gelu_tanh", or the Hugging Face names
/// "gelu_new", "gelu_pytorch_tanh". Throws Error(kInvalidArgument) listing the accepted names.
Activation parse_activation(const std::string& name);

/// The image tower: a VisionTransformer when patch_size is set, a ModifiedResNet otherwise.
struct VisionConfig {
  int64_t image_size = 224;          ///< Input side in pixels.
  std::vector<int64_t> layers{12};   ///< ViT: {block count}; ModifiedResNet: four stage depths.
  int64_t width = 768;               ///< ViT token width; ModifiedResNet stem width (embed width / 32).
  int64_t head_width = 64;           ///< Channels per attention head.
  double mlp_ratio = 4.0;            ///< MLP hidden width / width.
  std::optional<int64_t> patch_size = 16;  ///< ViT patch side; unset (JSON null) for ModifiedResNet.
  double layer_norm_eps = 1e-5;      ///< LayerNorm epsilon (HF layer_norm_eps; open_clip uses 1e-5).

  /// Returns true for a ModifiedResNet tower.
  bool is_resnet() const { return !patch_size.has_value(); }
  /// Returns the attention head count: width / head_width for ViT, width * 32 / head_width for ResNet.
  int64_t heads() const { return (is_resnet() ? width * 32 : width) / head_width; }

  bool operator==(const VisionConfig&) const = default;
};

/// The text tower (attributes of CLIP itself in open_clip).
struct TextConfig {
  int64_t context_length = 77;  ///< Positions in positional_embedding.
  int64_t vocab_size = 49408;   ///< Rows of token_embedding.
  int64_t width = 512;          ///< Token width.
  int64_t heads = 8;            ///< Attention heads.
  int64_t layers = 12;          ///< Residual blocks.
  double mlp_ratio = 4.0;       ///< MLP hidden width / width.
  double layer_norm_eps = 1e-5; ///< LayerNorm epsilon.
  /// How the sequence is pooled: "argmax" (position of the largest id, open_clip) or "eos"
  /// (first position holding eos_id, Hugging Face transformers >= 4.36 when eos_token_id != 2).
  std::string pool_type = "argmax";
  int64_t eos_id = 49407;       ///< End-of-text id used by pool_type "eos".

  bool operator==(const TextConfig&) const = default;
};

/// A whole CLIP model. At least one tower is present.
struct ModelConfig {
  int64_t embed_dim = 512;                 ///< Width of the joint embedding space.
  std::optional<VisionConfig> vision_cfg;  ///< Unset when the checkpoint has no image tower.
  std::optional<TextConfig> text_cfg;      ///< Unset when the checkpoint has no text tower.
  /// MLP activation, derived from open_clip "quick_gelu" or HF "hidden_act" (not a JSON key itself).
  Activation activation = Activation::kGELU;
  /// open_clip "preprocess_cfg" (mean, std, interpolation, resize_mode), or the HF
  /// preprocessor_config.json object; empty when the source had none.
  nlohmann::json preprocess_cfg = nlohmann::json::object();

  bool operator==(const ModelConfig&) const = default;
};

/// Parses an open_clip config: either the whole open_clip_config.json ({"model_cfg": ...,
/// "preprocess_cfg": ...}) or a bare model_cfg object as in open_clip's model_configs/*.json.
/// `source` names the file in error messages. Throws Error(kInvalidArgument) naming the key for a
/// key open_clip does not know (the message lists the known ones), for a value of the wrong JSON
/// type (with the expected type and the value got) and for a missing field. Throws
/// Error(kUnsupported) for towers and options clipscope does not build (timm, HF text models,
/// layer scale, attentional pooling, no causal mask, logit bias).
ModelConfig parse_open_clip_config(const nlohmann::json& json, const std::filesystem::path& source);

/// Parses a Hugging Face CLIPConfig (config.json with "text_config"/"vision_config"), applying
/// transformers' class defaults for absent fields. Also accepts "clip_vision_model" and
/// "clip_text_model" configs (one tower). Errors as parse_open_clip_config(), except that unknown
/// keys are accepted because transformers writes many generic keys into config.json.
ModelConfig parse_hf_config(const nlohmann::json& json, const std::filesystem::path& source);

/// Infers the config from open_clip-named tensor shapes, as open_clip's
/// build_model_from_openai_state_dict does: ViT vs ModifiedResNet, widths, layer counts, patch size,
/// image size, embed_dim, context_length, vocab_size. Heads cannot be read from shapes, so they are
/// width / 64 (OpenAI's head width). activation is set to kQuickGELU (OpenAI checkpoints).
/// Throws Error(kInvalidArgument) naming `source` and the missing key if no tower is recognisable.
ModelConfig infer_config(const std::map<std::string, torch::Tensor>& tensors,
                         const std::filesystem::path& source);

/// Returns a JSON summary of the architecture (towers, widths, layers, heads, activation) for
/// `clipscope model info` and embed.json.
nlohmann::json describe(const ModelConfig& config);

}  // namespace clipscope::model
