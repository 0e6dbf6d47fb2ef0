#include "clipscope/model/config.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>
#include <string_view>
#include <type_traits>

#include "clipscope/error.h"
#include "shape_string.h"

namespace clipscope::model {
namespace {

using nlohmann::json;

// Keys open_clip 2.30 reads (model.py CLIPVisionCfg, CLIPTextCfg and CLIP.__init__, factory.py,
// transform.py PreprocessCfg), plus the vision keys global_average_pool, input_patchnorm and
// n_queries and the text keys proj and pooler_type of open_clip 2.10 to 2.22. clipscope rejects any
// other key, so a misspelt key fails instead of being ignored.
constexpr std::string_view kFileKeys[] = {"model_cfg", "preprocess_cfg"};
constexpr std::string_view kModelKeys[] = {
    "embed_dim",   "vision_cfg",       "text_cfg",
    "quick_gelu",  "init_logit_scale", "init_logit_bias",
    "cast_dtype",  "output_dict",      "nonscalar_logit_scale",
    "custom_text", "multimodal_cfg"};
constexpr std::string_view kVisionKeys[] = {"layers",
                                            "width",
                                            "head_width",
                                            "mlp_ratio",
                                            "patch_size",
                                            "image_size",
                                            "ls_init_value",
                                            "patch_dropout",
                                            "attentional_pool",
                                            "attn_pooler_queries",
                                            "attn_pooler_heads",
                                            "no_ln_pre",
                                            "pos_embed_type",
                                            "final_ln_after_pool",
                                            "pool_type",
                                            "output_tokens",
                                            "act_kwargs",
                                            "norm_kwargs",
                                            "timm_model_name",
                                            "timm_model_pretrained",
                                            "timm_pool",
                                            "timm_proj",
                                            "timm_proj_bias",
                                            "timm_drop",
                                            "timm_drop_path",
                                            "global_average_pool",
                                            "input_patchnorm",
                                            "n_queries"};
constexpr std::string_view kTextKeys[] = {"context_length",
                                          "vocab_size",
                                          "hf_tokenizer_name",
                                          "tokenizer_kwargs",
                                          "width",
                                          "heads",
                                          "layers",
                                          "mlp_ratio",
                                          "ls_init_value",
                                          "embed_cls",
                                          "pad_id",
                                          "no_causal_mask",
                                          "final_ln_after_pool",
                                          "pool_type",
                                          "proj_bias",
                                          "proj_type",
                                          "output_tokens",
                                          "act_kwargs",
                                          "norm_kwargs",
                                          "hf_model_name",
                                          "hf_model_pretrained",
                                          "hf_proj_type",
                                          "hf_pooler_type",
                                          "proj",
                                          "pooler_type"};
constexpr std::string_view kPreprocessKeys[] = {"size",          "mode",        "mean",      "std",
                                                "interpolation", "resize_mode", "fill_color"};

// Returns a JSON value for an error message, cut to 60 characters.
std::string value_excerpt(const json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

[[noreturn]] void fail_type(const json& value, const std::string& key, const char* expected,
                            const std::filesystem::path& source) {
  fail(ErrorKind::kInvalidArgument,
       "config '{}': '{}' must be {}, got {} ({}); fix the value in the config file",
       source.string(), key, expected, value_excerpt(value), value.type_name());
}

// Throws for the first key of `object` that is not in `known`, listing the known keys.
template <size_t N>
void reject_unknown_keys(const json& object, const std::string_view (&known)[N],
                         const std::filesystem::path& source, const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(std::begin(known), std::end(known), key) != std::end(known)) continue;
    std::string list;
    for (std::string_view name : known) list += (list.empty() ? "" : ", ") + std::string(name);
    fail(ErrorKind::kInvalidArgument,
         "config '{}': unknown key '{}{}'; fix its spelling or remove it (known keys: {})",
         source.string(), where, key, list);
  }
}

// Returns json[key] as T, or `fallback` when the key is absent or null. Throws when the JSON type
// does not fit T: bool takes true or false, integer types whole numbers, floating point any number.
template <typename T>
T get_or(const json& object, const std::string& key, T fallback, const std::filesystem::path& source,
         const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  const json& value = *it;
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) fail_type(value, where + key, "true or false", source);
  } else if constexpr (std::is_integral_v<T>) {
    if (!value.is_number_integer()) fail_type(value, where + key, "a whole number", source);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) fail_type(value, where + key, "a number", source);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) fail_type(value, where + key, "a string", source);
  } else {
    static_assert(std::is_same_v<T, std::vector<int64_t>>);
    const bool whole_numbers =
        value.is_array() && std::all_of(value.begin(), value.end(),
                                        [](const json& item) { return item.is_number_integer(); });
    if (!whole_numbers) fail_type(value, where + key, "a list of whole numbers", source);
  }
  return value.get<T>();
}

// Returns object[key] when it is a JSON object, or nullptr when the key is absent or null.
const json* get_section(const json& object, const std::string& key,
                        const std::filesystem::path& source, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_object()) fail_type(*it, where + key, "a JSON object", source);
  return &*it;
}

void reject_if_set(const json& object, const std::string& key, const std::filesystem::path& source,
                   const std::string& where, const std::string& reason) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  if (it->is_boolean() && !it->get<bool>()) return;
  if ((it->is_object() || it->is_array()) && it->empty()) return;
  fail(ErrorKind::kUnsupported, "config '{}': '{}{}' = {} is not supported ({})", source.string(),
       where, key, value_excerpt(*it), reason);
}

// Throws unless object[key] is absent, null or `supported`.
void require_value(const json& object, const std::string& key, const std::string& supported,
                   const std::filesystem::path& source, const std::string& where) {
  auto value = get_or<std::string>(object, key, supported, source, where);
  if (value != supported) {
    fail(ErrorKind::kUnsupported, "config '{}': {}{} '{}' is not supported (only '{}')",
         source.string(), where, key, value, supported);
  }
}

void check_positive(int64_t value, const std::string& key, const std::filesystem::path& source) {
  if (value <= 0) {
    fail(ErrorKind::kInvalidArgument, "config '{}': '{}' must be positive, got {}; fix the config file",
         source.string(), key, value);
  }
}

// Checks the keys and value types of an open_clip preprocess_cfg that clipscope reads.
void check_open_clip_preprocess(const json& cfg, const std::filesystem::path& source) {
  const std::string where = "preprocess_cfg.";
  reject_unknown_keys(cfg, kPreprocessKeys, source, where);
  for (const char* key : {"mean", "std"}) {
    auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) continue;
    const bool three_numbers =
        it->is_array() && it->size() == 3 &&
        std::all_of(it->begin(), it->end(), [](const json& item) { return item.is_number(); });
    if (!three_numbers) fail_type(*it, where + key, "a list of three numbers (R, G, B)", source);
  }
  for (const char* key : {"mode", "interpolation", "resize_mode"}) {
    get_or<std::string>(cfg, key, "", source, where);
  }
}

VisionConfig parse_open_clip_vision(const json& cfg, const std::filesystem::path& source) {
  const std::string where = "vision_cfg.";
  reject_unknown_keys(cfg, kVisionKeys, source, where);
  reject_if_set(cfg, "timm_model_name", source, where,
                "clipscope builds only ViT and ModifiedResNet image towers");
  reject_if_set(cfg, "ls_init_value", source, where, "layer scale is not implemented");
  reject_if_set(cfg, "attentional_pool", source, where, "attentional pooling is not implemented");
  reject_if_set(cfg, "final_ln_after_pool", source, where, "only ln_post before pooling is implemented");
  reject_if_set(cfg, "no_ln_pre", source, where, "ln_pre is always applied");
  reject_if_set(cfg, "input_patchnorm", source, where,
                "patch embedding normalisation is not implemented");
  for (const char* key : {"act_kwargs", "norm_kwargs"}) {
    reject_if_set(cfg, key, source, where, "activation and LayerNorm take their default arguments");
  }
  require_value(cfg, "pool_type", "tok", source, where);
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
  reject_unknown_keys(cfg, kTextKeys, source, where);
  reject_if_set(cfg, "hf_model_name", source, where, "clipscope builds only the CLIP text transformer");
  reject_if_set(cfg, "ls_init_value", source, where, "layer scale is not implemented");
  reject_if_set(cfg, "proj_bias", source, where, "text_projection is a bare matrix");
  reject_if_set(cfg, "embed_cls", source, where, "only the CLIP text transformer is implemented");
  reject_if_set(cfg, "no_causal_mask", source, where,
                "the text transformer always uses the causal mask");
  reject_if_set(cfg, "final_ln_after_pool", source, where, "ln_final is applied before pooling");
  for (const char* key : {"act_kwargs", "norm_kwargs"}) {
    reject_if_set(cfg, key, source, where, "activation and LayerNorm take their default arguments");
  }
  require_value(cfg, "proj_type", "linear", source, where);

  TextConfig text;
  text.context_length = get_or<int64_t>(cfg, "context_length", text.context_length, source, where);
  text.vocab_size = get_or<int64_t>(cfg, "vocab_size", text.vocab_size, source, where);
  text.width = get_or<int64_t>(cfg, "width", text.width, source, where);
  text.heads = get_or<int64_t>(cfg, "heads", text.heads, source, where);
  text.layers = get_or<int64_t>(cfg, "layers", text.layers, source, where);
  text.mlp_ratio = get_or<double>(cfg, "mlp_ratio", text.mlp_ratio, source, where);
  require_value(cfg, "pool_type", text.pool_type, source, where);
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
  const bool whole_file = json_in.contains("model_cfg");
  if (whole_file) reject_unknown_keys(json_in, kFileKeys, source, "");
  const json* model_cfg = whole_file ? get_section(json_in, "model_cfg", source, "") : &json_in;
  if (model_cfg == nullptr || !model_cfg->contains("embed_dim")) {
    fail(ErrorKind::kInvalidArgument, "config '{}' has no model_cfg.embed_dim; is it an open_clip config?",
         source.string());
  }
  const json& cfg = *model_cfg;
  reject_unknown_keys(cfg, kModelKeys, source, "");
  reject_if_set(cfg, "custom_text", source, "", "only the CLIP text transformer is implemented");
  reject_if_set(cfg, "multimodal_cfg", source, "", "CoCa decoders are not implemented");
  reject_if_set(cfg, "init_logit_bias", source, "", "SigLIP's logit_bias is not implemented");
  reject_if_set(cfg, "nonscalar_logit_scale", source, "", "logit_scale is a scalar");

  ModelConfig config;
  config.embed_dim = get_or<int64_t>(cfg, "embed_dim", 0, source, "");
  check_positive(config.embed_dim, "embed_dim", source);
  if (const json* vision = get_section(cfg, "vision_cfg", source, "")) {
    config.vision_cfg = parse_open_clip_vision(*vision, source);
  }
  if (const json* text = get_section(cfg, "text_cfg", source, "")) {
    config.text_cfg = parse_open_clip_text(*text, source);
  }
  if (!config.vision_cfg && !config.text_cfg) {
    fail(ErrorKind::kInvalidArgument, "config '{}' has neither vision_cfg nor text_cfg", source.string());
  }
  config.activation = get_or<bool>(cfg, "quick_gelu", false, source, "") ? Activation::kQuickGELU : Activation::kGELU;
  if (const json* preprocess =
          whole_file ? get_section(json_in, "preprocess_cfg", source, "") : nullptr) {
    check_open_clip_preprocess(*preprocess, source);
    config.preprocess_cfg = *preprocess;
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
    // NOTE: unknown keys are accepted here, unlike in open_clip configs, because transformers
    // writes dozens of generic PretrainedConfig keys into every config.json.
    vision_json = get_section(json_in, "vision_config", source, "");
    text_json = get_section(json_in, "text_config", source, "");
    if (vision_json == nullptr) vision_json = &empty;
    if (text_json == nullptr) text_json = &empty;
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
