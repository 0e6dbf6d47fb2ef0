// Renaming checkpoint tensors from foreign naming schemes into open_clip's names, the one naming
// the model/ modules use. This is the only place in clipscope where tensor names are rewritten.
// io/checkpoint.h reads the files; model/loader.h binds the renamed tensors to modules.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace clipscope::io {

/// Naming scheme of a checkpoint's tensors.
enum class KeyNaming {
  kOpenClip,     ///< open_clip / OpenAI CLIP names (visual.*, transformer.resblocks.*, ...).
  kHuggingFace,  ///< transformers CLIPModel names (text_model.*, vision_model.*, ...).
};

/// Returns kHuggingFace if any name starts with "text_model.", "vision_model.",
/// "visual_projection." or "text_projection.weight", kOpenClip otherwise.
KeyNaming detect_key_naming(const std::map<std::string, torch::Tensor>& tensors);

/// Renames transformers CLIPModel tensors into open_clip names: q_proj/k_proj/v_proj rows are
/// concatenated (query, key, value) into attn.in_proj_weight/in_proj_bias; text_projection.weight and
/// visual_projection.weight are transposed into text_projection and visual.proj; pre_layrnorm,
/// post_layernorm, patch_embedding, position_embedding, layer_norm1/2, fc1/fc2 and
/// final_layer_norm map to ln_pre, ln_post, conv1, positional_embedding, ln_1/ln_2, c_fc/c_proj and
/// ln_final. The position_ids buffers are dropped. Names it does not know are kept unchanged, so
/// that binding reports them as unexpected. Throws Error(kInvalidArgument) naming `source` and the
/// key when a q/k/v projection lacks one of its partners.
std::map<std::string, torch::Tensor> hf_to_open_clip(const std::map<std::string, torch::Tensor>& tensors,
                                                    const std::filesystem::path& source);

/// Drops the non-weight entries of OpenAI's CLIP checkpoints ("input_resolution",
/// "context_length", "vocab_size"); the other names already are open_clip's.
std::map<std::string, torch::Tensor> openai_to_open_clip(const std::map<std::string, torch::Tensor>& tensors);

/// Applies hf_to_open_clip() or openai_to_open_clip() according to detect_key_naming().
std::map<std::string, torch::Tensor> to_open_clip_names(const std::map<std::string, torch::Tensor>& tensors,
                                                       const std::filesystem::path& source);

}  // namespace clipscope::io
