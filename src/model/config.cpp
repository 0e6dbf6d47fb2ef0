#include "clipscope/model/config.h"

#include <cmath>
#include <set>

#include "clipscope/error.h"
#include "shape_string.h"

namespace clipscope::model {
namespace {

using nlohmann::json;

// Returns json[key] as T, or `fallback` when the key is absent or null.
template <typename T>
T get_or(const json& object, const std::string& key, T fallback, const std::filesystem::path& source,
         const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    fail(ErrorKind::kInvalidArgument, "config '{}': field '{}{}' has an invalid value {}; fix the config file",
         source.string(), where, key, it->dump());
  }
}

void reject_if_set(const json& object, const std::string& key, const std::filesystem::path& source,
                   const std::string& where, const std::string& reason) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  if (it->is_boolean() && !it->get<bool>()) return;
  fail(ErrorKind::kUnsupported, "config '{}': '{}{}' = {} is not supported ({})", source.string(), where, key,
       it->dump(), reason);
}

void check_positive(int64_t value, const std::string& key, const std::filesystem::path& source) {
  if (value <= 0) {
    fail(ErrorKind::kInvalidArgument, "config '{}': '{}' must be positive, got {}; fix the config file",
         source.string(), key, value);
  }
}

VisionConfig parse_open_clip_vision(const json& cfg, const std::filesystem::path& source) {
  const std::string where = "vision_cfg.";
  for (const char* key : {"timm_model_name", "hf_model_name"}) {
    reject_if_set(cfg, key, source, where, "clipscope builds only ViT and ModifiedResNet image towers");
  }
  reject_if_set(cfg, "ls_init_value", source, where, "layer scale is not implemented");
  reject_if_set(cfg, "attentional_pool", source, where, "attentional pooling is not implemented");
  reject_if_set(cfg, "final_ln_after_pool", source, where, "only ln_post before pooling is implemented");
  reject_if_set(cfg, "no_ln_pre", source, where, "ln_pre is always applied");
  auto pool = get_or<std::string>(cfg, "pool_type", "tok", source, where);
  if (pool != "tok") {
    fail(ErrorKind::kUnsupported, "config '{}': vision_cfg.pool_type '{}' is not supported (only 'tok')",
         source.string(), pool);
  }
  if (get_or<bool>(cfg, "global_average_pool", false, source, where)) {
    fail(ErrorKind::kUnsupported, "config '{}': vision_cfg.global_average_pool is not supported", source.string());
  }

  VisionConfig vision;
  vision.image_size = get_or<int64_t>(cfg, "image_size", vision.image_size, source, where);
  auto layers = cfg.find("layers");
  if (layers != cfg.end() && layers->is_array()) {
    vision.layers = get_or<std::vector<int64_t>>(cfg, "layers", {}, source, where);
    if (vision.layers.size() != 4) {
      fail(ErrorKind::kInvalidArgument, "config '{}': vision_cfg.layers {} must hold 4 ResNet stage depths",
           source.string(), layers->dump());
    }
    vision.patch_size.reset();
  } else {
    vision.layers = {get_or<int64_t>(cfg, "layers", 12, source, where)};
    vision.patch_size = get_or<int64_t>(cfg, "patch_size", 16, source, where);
    check_positive(*vision.patch_size, "vision_cfg.patch_size", source);
  }
  vision.width = get_or<int64_t>(cfg, "width", vision.width, source, where);
  vision.head_width = get_or<int64_t>(cfg, "head_width", vision.head_width, source, where);
  vision.mlp_ratio = get_or<double>(cfg, "mlp_ratio", vision.mlp_ratio, source, where);
  check_positive(vision.image_size, "vision_cfg.image_size", source);
  check_positive(vision.width, "vision_cfg.width", source);
  check_positive(vision.head_width, "vision_cfg.head_width", source);
  for (int64_t depth : vision.layers) check_positive(depth, "vision_cfg.layers", source);
  return vision;
}

TextConfig parse_open_clip_text(const json& cfg, const std::filesystem::path& source) {
  const std::string where = "text_cfg.";
  reject_if_set(cfg, "hf_model_name", source, where, "clipscope builds only the CLIP text transformer");
  reject_if_set(cfg, "ls_init_value", source, where, "layer scale is not implemented");
  reject_if_set(cfg, "proj_bias", source, where, "text_projection is a bare matrix");
  reject_if_set(cfg, "embed_cls", source, where, "only the CLIP text transformer is implemented");

  TextConfig text;
  text.context_length = get_or<int64_t>(cfg, "context_length", text.context_length, source, where);
  text.vocab_size = get_or<int64_t>(cfg, "vocab_size", text.vocab_size, source, where);
  text.width = get_or<int64_t>(cfg, "width", text.width, source, where);
  text.heads = get_or<int64_t>(cfg, "heads", text.heads, source, where);
  text.layers = get_or<int64_t>(cfg, "layers", text.layers, source, where);
  text.mlp_ratio = get_or<double>(cfg, "mlp_ratio", text.mlp_ratio, source, where);
  text.pool_type = get_or<std::string>(cfg, "pool_type", text.pool_type, source, where);
  if (text.pool_type != "argmax") {
    fail(ErrorKind::kUnsupported, "config '{}': text_cfg.pool_type '{}' is not supported (only 'argmax')",
         source.string(), text.pool_type);
  }
  for (auto [key, value] : {std::pair{"text_cfg.context_length", text.context_length},
                            std::pair{"text_cfg.vocab_size", text.vocab_size}, std::pair{"text_cfg.width", text.width},
                            std::pair{"text_cfg.heads", text.heads}, std::pair{"text_cfg.layers", text.layers}}) {
    check_positive(value, key, source);
  }
  if (text.width % text.heads != 0) {
    fail(ErrorKind::kInvalidArgument, "config '{}': text_cfg.width {} is not a multiple of text_cfg.heads {}",
         source.string(), text.width, text.heads);
  }
  return text;
}

Activation hf_activation(const json& tower, const std::filesystem::path& source, const std::string& where) {
  auto name = get_or<std::string>(tower, "hidden_act", "quick_gelu", source, where);
  try {
    return parse_activation(name);
  } catch (const Error&) {
    fail(ErrorKind::kUnsupported,
         "config '{}': {}hidden_act '{}' is not supported (quick_gelu, gelu, gelu_new, gelu_pytorch_tanh); "
         "pass --activation to override",
         source.string(), where, name);
  }
}

// Counts the distinct values of the path segment after `prefix` among keys starting with it.
int64_t count_indices(const std::map<std::string, torch::Tensor>& tensors, const std::string& prefix) {
  std::set<std::string> indices;
  for (const auto& [key, tensor] : tensors) {
    if (key.rfind(prefix, 0) != 0) continue;
    auto rest = key.substr(prefix.size());
    indices.insert(rest.substr(0, rest.find('.')));
  }
  return static_cast<int64_t>(indices.size());
}

const torch::Tensor& require(const std::map<std::string, torch::Tensor>& tensors, const std::string& key,
                             int64_t dims, const std::filesystem::path& source) {
  auto it = tensors.find(key);
  if (it == tensors.end()) {
    fail(ErrorKind::kInvalidArgument,
         "checkpoint '{}': key '{}' is missing, so the architecture cannot be inferred; pass a config "
         "(open_clip_config.json or config.json) next to the weights",
         source.string(), key);
  }
  if (it->second.dim() != dims) {
    fail(ErrorKind::kInvalidArgument, "checkpoint '{}': key '{}' has shape {}, expected {} dimensions",
         source.string(), key, detail::shape_string(it->second.sizes()), dims);
  }
  return it->second;
}

int64_t rounded_sqrt(int64_t value) { return static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(value)))); }

}  // namespace

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::kQuickGELU:
      return "quick_gelu";
    case Activation::kGELU:
      return "gelu";
    case Activation::kGELUTanh:
      return "gelu_tanh";
  }
  return "unknown";
}

Activation parse_activation(const std::string& name) {
  if (name == "quick_gelu") return Activation::kQuickGELU;
  if (name == "gelu") return Activation::kGELU;
  if (name == "gelu_tanh" || name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::kGELUTanh;
  fail(ErrorKind::kInvalidArgument, "unknown activation '{}'; use quick_gelu, gelu or gelu_tanh", name);
}

ModelConfig parse_open_clip_config(const json& json_in, const std::filesystem::path& source) {
  if (!json_in.is_object()) {
    fail(ErrorKind::kInvalidArgument, "config '{}' is not a JSON object", source.string());
  }
  const json& cfg = json_in.contains("model_cfg") ? json_in.at("model_cfg") : json_in;
  if (!cfg.is_object() || !cfg.contains("embed_dim")) {
    fail(ErrorKind::kInvalidArgument, "config '{}' has no model_cfg.embed_dim; is it an open_clip config?",
         source.string());
  }
  reject_if_set(cfg, "custom_text", source, "", "only the CLIP text transformer is implemented");
  reject_if_set(cfg, "multimodal_cfg", source, "", "CoCa decoders are not implemented");

  ModelConfig config;
  config.embed_dim = get_or<int64_t>(cfg, "embed_dim", 0, source, "");
  check_positive(config.embed_dim, "embed_dim", source);
  if (cfg.contains("vision_cfg") && cfg.at("vision_cfg").is_object()) {
    config.vision_cfg = parse_open_clip_vision(cfg.at("vision_cfg"), source);
  }
  if (cfg.contains("text_cfg") && cfg.at("text_cfg").is_object()) {
    config.text_cfg = parse_open_clip_text(cfg.at("text_cfg"), source);
  }
  if (!config.vision_cfg && !config.text_cfg) {
    fail(ErrorKind::kInvalidArgument, "config '{}' has neither vision_cfg nor text_cfg", source.string());
  }
  config.activation = get_or<bool>(cfg, "quick_gelu", false, source, "") ? Activation::kQuickGELU : Activation::kGELU;
  if (json_in.contains("preprocess_cfg") && json_in.at("preprocess_cfg").is_object()) {
    config.preprocess_cfg = json_in.at("preprocess_cfg");
  }
  return config;
}

ModelConfig parse_hf_config(const json& json_in, const std::filesystem::path& source) {
  if (!json_in.is_object()) {
    fail(ErrorKind::kInvalidArgument, "config '{}' is not a JSON object", source.string());
  }
  auto model_type = get_or<std::string>(json_in, "model_type", "clip", source, "");
  const json empty = json::object();
  const json* vision_json = nullptr;
  const json* text_json = nullptr;
  if (model_type == "clip") {
    vision_json = json_in.contains("vision_config") ? &json_in.at("vision_config") : &empty;
    text_json = json_in.contains("text_config") ? &json_in.at("text_config") : &empty;
  } else if (model_type == "clip_vision_model") {
    vision_json = &json_in;
  } else if (model_type == "clip_text_model") {
    text_json = &json_in;
  } else {
    fail(ErrorKind::kUnsupported,
         "config '{}': model_type '{}' is not supported (clip, clip_vision_model, clip_text_model)",
         source.string(), model_type);
  }

  ModelConfig config;
  config.embed_dim = get_or<int64_t>(json_in, "projection_dim", 512, source, "");
  check_positive(config.embed_dim, "projection_dim", source);
  std::optional<Activation> activation;
  if (vision_json) {
    const std::string where = model_type == "clip" ? "vision_config." : "";
    VisionConfig vision;
    int64_t hidden = get_or<int64_t>(*vision_json, "hidden_size", 768, source, where);
    int64_t heads = get_or<int64_t>(*vision_json, "num_attention_heads", 12, source, where);
    int64_t intermediate = get_or<int64_t>(*vision_json, "intermediate_size", 3072, source, where);
    int64_t channels = get_or<int64_t>(*vision_json, "num_channels", 3, source, where);
    if (channels != 3) {
      fail(ErrorKind::kUnsupported, "config '{}': {}num_channels {} is not supported (only 3)", source.string(),
           where, channels);
    }
    check_positive(hidden, where + "hidden_size", source);
    check_positive(heads, where + "num_attention_heads", source);
    if (hidden % heads != 0) {
      fail(ErrorKind::kInvalidArgument, "config '{}': {}hidden_size {} is not a multiple of num_attention_heads {}",
           source.string(), where, hidden, heads);
    }
    vision.image_size = get_or<int64_t>(*vision_json, "image_size", 224, source, where);
    vision.patch_size = get_or<int64_t>(*vision_json, "patch_size", 32, source, where);
    vision.layers = {get_or<int64_t>(*vision_json, "num_hidden_layers", 12, source, where)};
    vision.width = hidden;
    vision.head_width = hidden / heads;
    vision.mlp_ratio = static_cast<double>(intermediate) / static_cast<double>(hidden);
    vision.layer_norm_eps = get_or<double>(*vision_json, "layer_norm_eps", 1e-5, source, where);
    config.vision_cfg = vision;
    activation = hf_activation(*vision_json, source, where);
  }
  if (text_json) {
    const std::string where = model_type == "clip" ? "text_config." : "";
    TextConfig text;
    text.width = get_or<int64_t>(*text_json, "hidden_size", 512, source, where);
    text.heads = get_or<int64_t>(*text_json, "num_attention_heads", 8, source, where);
    text.layers = get_or<int64_t>(*text_json, "num_hidden_layers", 12, source, where);
    int64_t intermediate = get_or<int64_t>(*text_json, "intermediate_size", 2048, source, where);
    text.context_length = get_or<int64_t>(*text_json, "max_position_embeddings", 77, source, where);
    text.vocab_size = get_or<int64_t>(*text_json, "vocab_size", 49408, source, where);
    text.layer_norm_eps = get_or<double>(*text_json, "layer_norm_eps", 1e-5, source, where);
    check_positive(text.width, where + "hidden_size", source);
    check_positive(text.heads, where + "num_attention_heads", source);
    if (text.width % text.heads != 0) {
      fail(ErrorKind::kInvalidArgument, "config '{}': {}hidden_size {} is not a multiple of num_attention_heads {}",
           source.string(), where, text.width, text.heads);
    }
    text.mlp_ratio = static_cast<double>(intermediate) / static_cast<double>(text.width);
    // transformers 4.36 pools at the first eos_token_id, except with the legacy id 2, where it
    // takes the argmax of the ids as open_clip does.
    text.eos_id = get_or<int64_t>(*text_json, "eos_token_id", 49407, source, where);
    text.pool_type = text.eos_id == 2 ? "argmax" : "eos";
    config.text_cfg = text;
    auto text_activation = hf_activation(*text_json, source, where);
    if (activation && *activation != text_activation) {
      fail(ErrorKind::kUnsupported,
           "config '{}': text hidden_act '{}' differs from vision hidden_act '{}'; clipscope uses one activation, "
           "pass --activation to force one",
           source.string(), activation_name(text_activation), activation_name(*activation));
    }
    activation = text_activation;
  }
  config.activation = *activation;
  return config;
}

ModelConfig infer_config(const std::map<std::string, torch::Tensor>& tensors, const std::filesystem::path& source) {
  ModelConfig config;
  config.activation = Activation::kQuickGELU;
  std::optional<int64_t> embed_dim;

  if (tensors.count("visual.proj")) {
    VisionConfig vision;
    const auto& conv1 = require(tensors, "visual.conv1.weight", 4, source);
    const auto& positional = require(tensors, "visual.positional_embedding", 2, source);
    vision.width = conv1.size(0);
    vision.layers = {count_indices(tensors, "visual.transformer.resblocks.")};
    vision.patch_size = conv1.size(-1);
    int64_t grid = rounded_sqrt(positional.size(0) - 1);
    vision.image_size = *vision.patch_size * grid;
    const auto& fc = require(tensors, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2, source);
    vision.mlp_ratio = static_cast<double>(fc.size(0)) / static_cast<double>(vision.width);
    embed_dim = require(tensors, "visual.proj", 2, source).size(1);
    config.vision_cfg = vision;
  } else if (tensors.count("visual.attnpool.positional_embedding")) {
    VisionConfig vision;
    vision.patch_size.reset();
    vision.layers.clear();
    for (int stage = 1; stage <= 4; ++stage) {
      vision.layers.push_back(count_indices(tensors, fmt::format("visual.layer{}.", stage)));
    }
    vision.width = require(tensors, "visual.layer1.0.conv1.weight", 4, source).size(0);
    const auto& positional = require(tensors, "visual.attnpool.positional_embedding", 2, source);
    vision.image_size = rounded_sqrt(positional.size(0) - 1) * 32;
    embed_dim = require(tensors, "visual.attnpool.c_proj.weight", 2, source).size(0);
    config.vision_cfg = vision;
  }

  if (tensors.count("token_embedding.weight")) {
    TextConfig text;
    const auto& token_embedding = require(tensors, "token_embedding.weight", 2, source);
    text.vocab_size = token_embedding.size(0);
    text.width = require(tensors, "ln_final.weight", 1, source).size(0);
    text.context_length = require(tensors, "positional_embedding", 2, source).size(0);
    text.layers = count_indices(tensors, "transformer.resblocks.");
    // NOTE: heads are not recoverable from weight shapes; like open_clip this assumes 64 channels
    // per head. A model with another head width needs its config file (see model/loader.h).
    text.heads = std::max<int64_t>(1, text.width / 64);
    const auto& fc = require(tensors, "transformer.resblocks.0.mlp.c_fc.weight", 2, source);
    text.mlp_ratio = static_cast<double>(fc.size(0)) / static_cast<double>(text.width);
    int64_t text_embed = require(tensors, "text_projection", 2, source).size(1);
    if (embed_dim && *embed_dim != text_embed) {
      fail(ErrorKind::kInvalidArgument,
           "checkpoint '{}': text_projection gives embed_dim {} but the image tower gives {}; the file mixes models",
           source.string(), text_embed, *embed_dim);
    }
    embed_dim = text_embed;
    config.text_cfg = text;
  }

  if (!embed_dim) {
    fail(ErrorKind::kInvalidArgument,
         "checkpoint '{}' has neither 'visual.proj', 'visual.attnpool.positional_embedding' nor "
         "'token_embedding.weight'; it is not an open_clip/OpenAI CLIP state dict",
         source.string());
  }
  config.embed_dim = *embed_dim;
  return config;
}

nlohmann::json describe(const ModelConfig& config) {
  json out;
  out["embed_dim"] = config.embed_dim;
  out["activation"] = activation_name(config.activation);
  if (config.vision_cfg) {
    const auto& vision = *config.vision_cfg;
    json v;
    v["type"] = vision.is_resnet() ? "ModifiedResNet" : "VisionTransformer";
    v["image_size"] = vision.image_size;
    v["layers"] = vision.is_resnet() ? json(vision.layers) : json(vision.layers.at(0));
    v["width"] = vision.width;
    v["heads"] = vision.heads();
    if (vision.patch_size) v["patch_size"] = *vision.patch_size;
    out["vision"] = v;
  }
  if (config.text_cfg) {
    const auto& text = *config.text_cfg;
    out["text"] = {{"context_length", text.context_length}, {"vocab_size", text.vocab_size}, {"width", text.width},
                   {"heads", text.heads},   {"layers", text.layers},         {"pool_type", text.pool_type}};
  }
  return out;
}

}  // namespace clipscope::model
