#include "clipscope/model/loader.h"

#include <torch/torch.h>

#include <cstdlib>
#include <set>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/io/checkpoint.h"
#include "clipscope/io/key_map.h"
#include "clipscope/log.h"
#include "shape_string.h"

namespace clipscope::model {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& file) {
  try {
    return nlohmann::json::parse(io::read_file(file));
  } catch (const nlohmann::json::exception& error) {
    fail(ErrorKind::kInvalidArgument, "config '{}' is not valid JSON ({}); fix or replace the file", file.string(),
         error.what());
  }
}

// Parses a config file of either ecosystem, recognised by its content.
ModelConfig parse_config_file(const fs::path& file) {
  auto json = read_json(file);
  if (json.is_object() && (json.contains("model_cfg") || json.contains("embed_dim"))) {
    return parse_open_clip_config(json, file);
  }
  if (json.is_object() && (json.contains("text_config") || json.contains("vision_config") ||
                           json.contains("model_type"))) {
    return parse_hf_config(json, file);
  }
  fail(ErrorKind::kInvalidArgument,
       "config '{}' is neither an open_clip config (model_cfg or embed_dim) nor a Hugging Face CLIPConfig "
       "(model_type, text_config, vision_config)",
       file.string());
}

fs::path first_existing(const fs::path& folder, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (fs::is_regular_file(folder / name)) return folder / name;
  }
  return {};
}

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return "float32";
    case torch::kFloat16:
      return "float16";
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kFloat64:
      return "float64";
    default:
      return c10::toString(type);
  }
}

// Returns the dtype most floating tensors are stored in.
std::string dominant_dtype(const std::map<std::string, torch::Tensor>& tensors) {
  std::map<std::string, int64_t> counts;
  for (const auto& [key, tensor] : tensors) {
    if (tensor.is_floating_point()) counts[dtype_name(tensor.scalar_type())] += tensor.numel();
  }
  std::string best = "float32";
  int64_t best_count = -1;
  for (const auto& [name, count] : counts) {
    if (count > best_count) {
      best = name;
      best_count = count;
    }
  }
  return best;
}

}  // namespace

void bind_state_dict(CLIP& model, const std::map<std::string, torch::Tensor>& tensors, const fs::path& source,
                     const std::string& fix) {
  torch::NoGradGuard no_grad;
  std::set<std::string> bound;
  auto bind = [&](const std::string& key, torch::Tensor& target) {
    auto it = tensors.find(key);
    if (it == tensors.end()) {
      fail(ErrorKind::kInvalidArgument, "checkpoint '{}': key '{}' is missing (expected shape {}); {}",
           source.string(), key, detail::shape_string(target.sizes()), fix);
    }
    if (it->second.sizes() != target.sizes()) {
      fail(ErrorKind::kInvalidArgument, "checkpoint '{}': key '{}' has shape {} but the model expects {}; {}",
           source.string(), key, detail::shape_string(it->second.sizes()), detail::shape_string(target.sizes()),
           fix);
    }
    if (it->second.is_floating_point() != target.is_floating_point()) {
      fail(ErrorKind::kInvalidArgument, "checkpoint '{}': key '{}' has dtype {} but the model expects {}; {}",
           source.string(), key, c10::toString(it->second.scalar_type()), c10::toString(target.scalar_type()), fix);
    }
    target.copy_(it->second);
    bound.insert(key);
  };

  for (auto& item : model->named_parameters(/*recurse=*/true)) {
    bind(item.key(), item.value());
  }
  for (auto& item : model->named_buffers(/*recurse=*/true)) {
    bind(item.key(), item.value());
  }
  for (const auto& [key, tensor] : tensors) {
    if (!bound.count(key)) {
      fail(ErrorKind::kInvalidArgument, "checkpoint '{}': unexpected key '{}' (shape {}) that the model does not have; {}",
           source.string(), key, detail::shape_string(tensor.sizes()), fix);
    }
  }
}

TokenizerFiles find_tokenizer_files(const fs::path& model_path, const fs::path& explicit_source) {
  TokenizerFiles files;
  auto from_folder = [&](const fs::path& folder) {
    if (fs::is_regular_file(folder / "vocab.json") && fs::is_regular_file(folder / "merges.txt")) {
      files.vocab_json = folder / "vocab.json";
      files.merges_txt = folder / "merges.txt";
      return true;
    }
    if (fs::is_regular_file(folder / kBpeFileName)) {
      files.bpe_gz = folder / kBpeFileName;
      return true;
    }
    return false;
  };

  if (!explicit_source.empty()) {
    if (fs::is_directory(explicit_source)) {
      if (from_folder(explicit_source)) return files;
      fail(ErrorKind::kNotFound, "tokenizer folder '{}' contains neither vocab.json + merges.txt nor {}; pass another folder",
           explicit_source.string(), kBpeFileName);
    }
    if (!fs::is_regular_file(explicit_source)) {
      fail(ErrorKind::kNotFound, "tokenizer file '{}' does not exist; pass the path of {}", explicit_source.string(),
           kBpeFileName);
    }
    files.bpe_gz = explicit_source;
    return files;
  }

  const fs::path folder = fs::is_directory(model_path) ? model_path : model_path.parent_path();
  if (from_folder(folder.empty() ? fs::path(".") : folder)) return files;
  if (const char* env = std::getenv(kBpeEnvironmentVariable); env && *env) {
    if (!fs::is_regular_file(env)) {
      fail(ErrorKind::kNotFound, "{}='{}' does not name a file; set it to the path of {}", kBpeEnvironmentVariable,
           env, kBpeFileName);
    }
    files.bpe_gz = env;
    return files;
  }
  const fs::path in_repository = fs::path(CLIPSCOPE_SOURCE_DIR) / "models" / kBpeFileName;
  if (fs::is_regular_file(in_repository)) files.bpe_gz = in_repository;
  return files;
}

LoadedModel load_model(const fs::path& path, const LoadOptions& options) {
  if (!fs::exists(path)) {
    fail(ErrorKind::kNotFound, "model '{}' does not exist; pass a model folder or weights file", path.string());
  }
  LoadedModel loaded;
  fs::path config_file = options.config;
  std::optional<std::string> fix;

  // locate weights and config
  if (fs::is_directory(path)) {
    loaded.name = fs::absolute(path).lexically_normal().filename().string();
    if (loaded.name.empty()) loaded.name = fs::absolute(path).lexically_normal().parent_path().filename().string();
    if (fs::is_regular_file(path / "open_clip_config.json")) {
      loaded.source_format = "open_clip";
      if (config_file.empty()) config_file = path / "open_clip_config.json";
      loaded.weights_path = first_existing(path, {"open_clip_model.safetensors", "open_clip_pytorch_model.bin"});
    } else if (fs::is_regular_file(path / "config.json")) {
      loaded.source_format = "hf";
      if (config_file.empty()) config_file = path / "config.json";
      if (fs::exists(path / "model.safetensors.index.json") || fs::exists(path / "pytorch_model.bin.index.json")) {
        fail(ErrorKind::kUnsupported, "model folder '{}' contains sharded weights, which clipscope does not read; "
             "merge them into model.safetensors", path.string());
      }
      loaded.weights_path = first_existing(path, {"model.safetensors", "pytorch_model.bin"});
    } else {
      fail(ErrorKind::kNotFound,
           "model folder '{}' contains neither open_clip_config.json nor config.json; pass the weights file "
           "itself or a folder laid out as open_clip or Hugging Face ship models",
           path.string());
    }
    if (loaded.weights_path.empty()) {
      fail(ErrorKind::kNotFound, "model folder '{}' has no weights: expected {}", path.string(),
           loaded.source_format == "open_clip" ? "open_clip_model.safetensors or open_clip_pytorch_model.bin"
                                               : "model.safetensors or pytorch_model.bin");
    }
  } else {
    loaded.name = path.stem().string();
    loaded.weights_path = path;
  }

  auto checkpoint = io::read_checkpoint(loaded.weights_path);
  loaded.checkpoint_format = checkpoint.format;
  loaded.weights_dtype = dominant_dtype(checkpoint.tensors);
  const bool hf_names = io::detect_key_naming(checkpoint.tensors) == io::KeyNaming::kHuggingFace;
  auto tensors = io::to_open_clip_names(checkpoint.tensors, loaded.weights_path);
  checkpoint.tensors.clear();

  if (loaded.source_format.empty()) {
    loaded.source_format = checkpoint.format == "torchscript" ? "torchscript" : "state_dict";
    // A weights file taken from a model folder uses the config that sits beside it.
    if (config_file.empty()) {
      const fs::path sibling = path.parent_path() / (hf_names ? "config.json" : "open_clip_config.json");
      if (fs::is_regular_file(sibling)) config_file = sibling;
    }
  }

  // architecture
  ModelConfig config;
  if (!config_file.empty()) {
    if (!fs::is_regular_file(config_file)) {
      fail(ErrorKind::kNotFound, "config '{}' does not exist; pass an existing config file", config_file.string());
    }
    config = parse_config_file(config_file);
    loaded.config_path = config_file;
    loaded.activation_source = "config";
    fix = fmt::format("the config '{}' does not describe these weights; use the config that was saved with them",
                      config_file.string());
    if (loaded.source_format == "hf") {
      if (auto processor = path / "preprocessor_config.json"; fs::is_regular_file(processor)) {
        config.preprocess_cfg = read_json(processor);
      }
    }
  } else {
    config = infer_config(tensors, loaded.weights_path);
    loaded.activation_source = "inferred";
    fix = "the file is not a complete open_clip/OpenAI CLIP state dict; put the model's open_clip_config.json "
          "next to it (the model and embed commands also take --config)";
    log::info("model '{}': no config file, architecture inferred from tensor shapes (text heads = width / 64, "
              "activation quick_gelu); put its open_clip_config.json next to the weights to set them",
              loaded.weights_path.string());
  }
  if (options.activation) {
    config.activation = *options.activation;
    loaded.activation_source = "override";
  }

  // modules and weights
  loaded.model = CLIP(config);
  bind_state_dict(loaded.model, tensors, loaded.weights_path, *fix);
  loaded.model->eval();
  for (const auto& parameter : loaded.model->parameters()) {
    loaded.parameter_count += parameter.numel();
  }

  // preprocessing and tokenizer
  loaded.preprocess = loaded.source_format == "hf" ? "hf" : "open_clip";
  if (options.preprocess) {
    if (*options.preprocess != "open_clip" && *options.preprocess != "hf") {
      fail(ErrorKind::kInvalidArgument, "unknown preprocess style '{}'; use open_clip or hf", *options.preprocess);
    }
    loaded.preprocess = *options.preprocess;
  }
  if (config.text_cfg) {
    loaded.tokenizer = find_tokenizer_files(path, options.tokenizer);
  }
  return loaded;
}

nlohmann::json describe(const LoadedModel& loaded) {
  nlohmann::json out;
  out["name"] = loaded.name;
  out["source_format"] = loaded.source_format;
  out["checkpoint_format"] = loaded.checkpoint_format;
  out["weights"] = loaded.weights_path.string();
  out["config"] = loaded.config_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(loaded.config_path.string());
  out["architecture"] = describe(loaded.config());
  out["activation"] = activation_name(loaded.config().activation);
  out["activation_source"] = loaded.activation_source;
  out["weights_dtype"] = loaded.weights_dtype;
  out["compute_dtype"] = "float32";
  out["parameter_count"] = loaded.parameter_count;
  out["preprocess"] = loaded.preprocess;
  nlohmann::json tokenizer = nullptr;
  if (!loaded.tokenizer.bpe_gz.empty()) tokenizer = {{"bpe", loaded.tokenizer.bpe_gz.string()}};
  if (!loaded.tokenizer.vocab_json.empty()) {
    tokenizer = {{"vocab", loaded.tokenizer.vocab_json.string()}, {"merges", loaded.tokenizer.merges_txt.string()}};
  }
  out["tokenizer"] = tokenizer;
  return out;
}

}  // namespace clipscope::model
