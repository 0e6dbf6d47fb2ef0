#include "clipscope/io/key_map.h"

#include <torch/torch.h>

#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "clipscope/error.h"

namespace clipscope::io {
namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// Renames the part of an encoder-layer key after "layers.<i>." ("layer_norm1.weight" ->
// "ln_1.weight"). Returns nullopt for the q/k/v projections, which are merged separately, and for
// unknown names.
std::optional<std::string> rename_layer_suffix(const std::string& suffix) {
  static const std::array<std::pair<const char*, const char*>, 5> kPrefixes{{
      {"layer_norm1.", "ln_1."},
      {"layer_norm2.", "ln_2."},
      {"mlp.fc1.", "mlp.c_fc."},
      {"mlp.fc2.", "mlp.c_proj."},
      {"self_attn.out_proj.", "attn.out_proj."},
  }};
  for (const auto& [from, to] : kPrefixes) {
    if (starts_with(suffix, from)) return std::string(to) + suffix.substr(std::string(from).size());
  }
  return std::nullopt;
}

// Maps a tower-level name (after "text_model." or "vision_model.") to its open_clip name, without
// the "visual." prefix. Returns nullopt for names it does not know.
std::optional<std::string> rename_tower_key(const std::string& key, bool vision) {
  static const std::array<std::pair<const char*, const char*>, 3> kText{{
      {"embeddings.token_embedding.weight", "token_embedding.weight"},
      {"embeddings.position_embedding.weight", "positional_embedding"},
      {"final_layer_norm.", "ln_final."},
  }};
  static const std::array<std::pair<const char*, const char*>, 5> kVision{{
      {"embeddings.class_embedding", "class_embedding"},
      {"embeddings.patch_embedding.weight", "conv1.weight"},
      {"embeddings.position_embedding.weight", "positional_embedding"},
      {"pre_layrnorm.", "ln_pre."},
      {"post_layernorm.", "ln_post."},
  }};
  for (const auto& [from, to] : vision ? std::vector(kVision.begin(), kVision.end())
                                       : std::vector(kText.begin(), kText.end())) {
    const std::string prefix = from;
    if (key == prefix) return std::string(to);
    if (prefix.back() == '.' && starts_with(key, prefix))
      return std::string(to) + key.substr(prefix.size());
  }
  return std::nullopt;
}

}  // namespace

KeyNaming detect_key_naming(const std::map<std::string, torch::Tensor>& tensors) {
  for (const auto& [key, tensor] : tensors) {
    if (starts_with(key, "text_model.") || starts_with(key, "vision_model.") ||
        starts_with(key, "visual_projection.") || key == "text_projection.weight") {
      return KeyNaming::kHuggingFace;
    }
  }
  return KeyNaming::kOpenClip;
}

std::map<std::string, torch::Tensor> hf_to_open_clip(
    const std::map<std::string, torch::Tensor>& tensors, const std::filesystem::path& source) {
  std::map<std::string, torch::Tensor> renamed;
  // q/k/v parts per open_clip attention prefix and parameter kind ("weight"/"bias").
  std::map<std::pair<std::string, std::string>, std::array<torch::Tensor, 3>> projections;
  std::map<std::pair<std::string, std::string>, std::string> projection_example_key;

  for (const auto& [key, tensor] : tensors) {
    if (key == "logit_scale") {
      renamed[key] = tensor;
      continue;
    }
    if (key == "text_projection.weight") {
      renamed["text_projection"] = tensor.t().contiguous();
      continue;
    }
    if (key == "visual_projection.weight") {
      renamed["visual.proj"] = tensor.t().contiguous();
      continue;
    }

    const bool vision = starts_with(key, "vision_model.");
    if (!vision && !starts_with(key, "text_model.")) {
      renamed[key] = tensor;
      continue;
    }
    const std::string tower_key = key.substr(key.find('.') + 1);
    const std::string out_prefix = vision ? "visual." : "";
    if (tower_key == "embeddings.position_ids") continue;

    const std::string layers = "encoder.layers.";
    if (starts_with(tower_key, layers)) {
      const std::string rest = tower_key.substr(layers.size());
      const std::string index = rest.substr(0, rest.find('.'));
      const std::string suffix = rest.substr(index.size() + 1);
      const std::string block = out_prefix + "transformer.resblocks." + index + ".";

      int part = -1;
      if (starts_with(suffix, "self_attn.q_proj.")) part = 0;
      if (starts_with(suffix, "self_attn.k_proj.")) part = 1;
      if (starts_with(suffix, "self_attn.v_proj.")) part = 2;
      if (part >= 0) {
        const std::string kind = suffix.substr(std::string("self_attn.q_proj.").size());
        projections[{block + "attn.", kind}][part] = tensor;
        projection_example_key[{block + "attn.", kind}] = key;
        continue;
      }
      auto renamed_suffix = rename_layer_suffix(suffix);
      renamed[renamed_suffix ? block + *renamed_suffix : key] = tensor;
      continue;
    }

    auto renamed_key = rename_tower_key(tower_key, vision);
    renamed[renamed_key ? out_prefix + *renamed_key : key] = tensor;
  }

  // merge q/k/v into in_proj
  for (const auto& [target, parts] : projections) {
    const auto& [prefix, kind] = target;
    for (int part = 0; part < 3; ++part) {
      if (!parts[part].defined()) {
        static const char* kNames[] = {"q_proj", "k_proj", "v_proj"};
        fail(ErrorKind::kInvalidArgument,
             "checkpoint '{}': '{}' has no matching self_attn.{}.{}; the file is incomplete, "
             "re-export it",
             source.string(), projection_example_key.at(target), kNames[part], kind);
      }
    }
    if (kind != "weight" && kind != "bias") {
      renamed[projection_example_key.at(target)] = parts[0];
      continue;
    }
    renamed[prefix + "in_proj_" + kind] = torch::cat({parts[0], parts[1], parts[2]}, 0);
  }
  return renamed;
}

std::map<std::string, torch::Tensor> openai_to_open_clip(
    const std::map<std::string, torch::Tensor>& tensors) {
  std::map<std::string, torch::Tensor> renamed = tensors;
  for (const char* key : {"input_resolution", "context_length", "vocab_size"}) {
    renamed.erase(key);
  }
  return renamed;
}

std::map<std::string, torch::Tensor> to_open_clip_names(
    const std::map<std::string, torch::Tensor>& tensors, const std::filesystem::path& source) {
  if (detect_key_naming(tensors) == KeyNaming::kHuggingFace)
    return hf_to_open_clip(tensors, source);
  return openai_to_open_clip(tensors);
}

}  // namespace clipscope::io
