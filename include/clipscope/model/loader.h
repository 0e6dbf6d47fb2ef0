// Loading a CLIP model from local files: an open_clip folder, a Hugging Face CLIPModel folder, a
// bare state-dict file or an OpenAI TorchScript archive. Tensors are renamed by io/key_map.h and
// bound strictly to the modules of model/clip.h. model/clip_encoder.h wraps the result for use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "clipscope/model/clip.h"
#include "clipscope/model/config.h"

namespace clipscope::model {

/// File name of the CLIP BPE merges that open_clip and OpenAI ship.
inline constexpr const char* kBpeFileName = "bpe_simple_vocab_16e6.txt.gz";
/// Environment variable naming the CLIP BPE file when no other source is given.
inline constexpr const char* kBpeEnvironmentVariable = "CLIPSCOPE_BPE_PATH";

/// The files a text tokenizer is built from. Either bpe_gz, or vocab_json and merges_txt, is set;
/// all empty when none was found.
struct TokenizerFiles {
  std::filesystem::path bpe_gz;      ///< CLIP BPE merges (bpe_simple_vocab_16e6.txt.gz).
  std::filesystem::path vocab_json;  ///< Hugging Face vocab.json.
  std::filesystem::path merges_txt;  ///< Hugging Face merges.txt.

  /// Returns true if a complete source is set.
  bool found() const { return !bpe_gz.empty() || (!vocab_json.empty() && !merges_txt.empty()); }
};

/// Choices that override what the checkpoint implies.
struct LoadOptions {
  std::optional<Activation> activation;  ///< MLP activation; default: from the config or checkpoint kind.
  /// "open_clip" or "hf"; default: "hf" for Hugging Face folders, "open_clip" otherwise.
  std::optional<std::string> preprocess;
  /// A CLIP BPE .txt.gz file, or a folder holding vocab.json + merges.txt or the BPE file.
  /// Default: the model folder's vocab.json + merges.txt, then the BPE file next to the weights,
  /// then $CLIPSCOPE_BPE_PATH, then models/ in the clipscope source tree.
  std::filesystem::path tokenizer;
  /// An open_clip_config.json / model_cfg JSON or an HF config.json used instead of the folder's
  /// config or of shape inference; needed for bare state dicts whose heads are not width / 64.
  std::filesystem::path config;
};

/// A loaded model (in eval mode, float32, on CPU) and where it came from.
struct LoadedModel {
  CLIP model{nullptr};                 ///< The modules with their weights.
  std::string name;                    ///< Folder name, or file stem for a bare file.
  std::string source_format;           ///< "open_clip", "hf", "state_dict" or "torchscript".
  std::string checkpoint_format;       ///< io::Checkpoint::format of the weights file.
  std::filesystem::path weights_path;  ///< The weights file read.
  std::filesystem::path config_path;   ///< The config read; empty when inferred from shapes.
  std::string weights_dtype;           ///< Stored dtype of the floating weights ("float32", "float16", ...).
  int64_t parameter_count = 0;         ///< Number of scalar parameters (buffers excluded).
  std::string activation_source;       ///< "config", "override" or "inferred".
  std::string preprocess;              ///< "open_clip" or "hf".
  TokenizerFiles tokenizer;            ///< Tokenizer sources; empty when none was found.

  /// Returns the model's config (model->config).
  const ModelConfig& config() const { return model->config; }
};

/// Loads a model from `path`: a folder holding open_clip_config.json with
/// open_clip_model.safetensors or open_clip_pytorch_model.bin; a folder holding config.json with
/// model.safetensors or pytorch_model.bin (Hugging Face); or a weights file (safetensors, torch.save
/// zip, TorchScript), configured by options.config, a config file beside it, or shape inference.
/// Throws Error naming the file and the fix: kNotFound for a missing path or a folder without
/// weights; kInvalidArgument for a missing, unexpected or wrongly shaped tensor, or a bad config
/// or option; kUnsupported for architectures clipscope does not build.
LoadedModel load_model(const std::filesystem::path& path, const LoadOptions& options = {});

/// Copies `tensors` (open_clip names) into every parameter and buffer of `model`, widening
/// floating tensors to float32. Strict: throws Error(kInvalidArgument) naming `source`, the key,
/// the shape got and expected, and `fix`, for the first missing, unexpected or misshaped tensor.
void bind_state_dict(CLIP& model, const std::map<std::string, torch::Tensor>& tensors,
                     const std::filesystem::path& source, const std::string& fix);

/// Finds tokenizer files as load_model() does, for a model at `model_path` (folder or file).
TokenizerFiles find_tokenizer_files(const std::filesystem::path& model_path,
                                    const std::filesystem::path& explicit_source);

/// Returns a JSON description of a loaded model: name, source, architecture (describe()),
/// activation and its source, weights dtype, parameter count, preprocess, tokenizer files.
nlohmann::json describe(const LoadedModel& loaded);

}  // namespace clipscope::model
