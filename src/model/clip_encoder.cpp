#include "clipscope/model/clip_encoder.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <future>
#include <map>
#include <thread>

#include "clipscope/error.h"
#include "clipscope/log.h"
#include "clipscope/image/decode.h"
#include "clipscope/io/sha256.h"
#include "shape_string.h"

namespace clipscope::model {
namespace {

namespace fs = std::filesystem;

std::array<float, 3> read_triple(const nlohmann::json& cfg, const char* key, std::array<float, 3> fallback,
                                 const std::string& model) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return fallback;
  const bool three_numbers =
      it->is_array() && it->size() == 3 &&
      std::all_of(it->begin(), it->end(), [](const auto& item) { return item.is_number(); });
  if (!three_numbers) {
    fail(ErrorKind::kInvalidArgument, "model '{}': preprocess field '{}' = {} must be three numbers; fix the config",
         model, key, it->dump());
  }
  return {(*it)[0].get<float>(), (*it)[1].get<float>(), (*it)[2].get<float>()};
}

std::string pillow_filter_name(int resample, const std::string& model) {
  switch (resample) {
    case 0:
      return "nearest";
    case 1:
      return "lanczos";
    case 2:
      return "bilinear";
    case 3:
      return "bicubic";
    case 4:
      return "box";
    case 5:
      return "hamming";
    default:
      fail(ErrorKind::kInvalidArgument, "model '{}': preprocessor resample {} is not a Pillow filter (0-5)", model,
           resample);
  }
}

// Names the tokenizer files for error messages.
std::string tokenizer_files_text(const TokenizerFiles& files) {
  if (!files.bpe_gz.empty()) return fmt::format("'{}'", files.bpe_gz.string());
  return fmt::format("'{}' + '{}'", files.vocab_json.string(), files.merges_txt.string());
}

// Returns the position of each row's end token, [N]: the pooled position of TextConfig::pool_type.
torch::Tensor end_positions(const torch::Tensor& ids, const TextConfig& text) {
  if (text.pool_type == "eos") return (ids == text.eos_id).to(torch::kInt32).argmax(-1);
  return ids.argmax(-1);
}

}  // namespace

image::PreprocessConfig make_preprocess_config(const LoadedModel& loaded) {
  image::PreprocessConfig config;
  const auto& cfg = loaded.config().preprocess_cfg;
  const std::string& model = loaded.name;
  if (loaded.config().vision_cfg) config.image_size = static_cast<int>(loaded.config().vision_cfg->image_size);
  config.style = loaded.preprocess == "hf" ? image::PreprocessStyle::kHuggingFace : image::PreprocessStyle::kOpenClip;

  // open_clip preprocess_cfg keys
  config.mean = read_triple(cfg, "mean", config.mean, model);
  config.std = read_triple(cfg, "std", config.std, model);
  if (cfg.contains("interpolation") && cfg.at("interpolation").is_string()) {
    config.interpolation = cfg.at("interpolation").get<std::string>();
    if (config.interpolation == "random") config.interpolation = "bicubic";
  }
  if (cfg.contains("resize_mode") && cfg.at("resize_mode").is_string()) {
    config.resize_mode = cfg.at("resize_mode").get<std::string>();
  }

  // Hugging Face preprocessor_config.json keys
  config.mean = read_triple(cfg, "image_mean", config.mean, model);
  config.std = read_triple(cfg, "image_std", config.std, model);
  if (cfg.contains("resample") && cfg.at("resample").is_number_integer()) {
    config.interpolation = pillow_filter_name(cfg.at("resample").get<int>(), model);
  }
  return config;
}

CLIPEncoder::CLIPEncoder(LoadedModel loaded, EncoderOptions options)
    : loaded_(std::move(loaded)), options_(options), preprocess_(make_preprocess_config(loaded_)) {
  if (options_.batch_size < 1) {
    fail(ErrorKind::kInvalidArgument, "batch size {} is invalid; use a positive batch size", options_.batch_size);
  }
  // A tokenizer that does not fit the model fails here, at load time, not in the first forward
  // pass.
  if (has_text_tower() && loaded_.tokenizer.found()) tokenizer();
}

std::unique_ptr<CLIPEncoder> CLIPEncoder::load(const fs::path& path, const LoadOptions& load_options,
                                               EncoderOptions options) {
  return std::make_unique<CLIPEncoder>(load_model(path, load_options), options);
}

nlohmann::json CLIPEncoder::identity() const {
  std::call_once(sha256_once_, [&] { weights_sha256_ = io::sha256_file(loaded_.weights_path); });
  return {
      {"name", loaded_.name},
      {"weights_sha256", weights_sha256_},
      {"activation", activation_name(loaded_.config().activation)},
      {"preprocess", loaded_.preprocess},
      {"embed_dim", loaded_.config().embed_dim},
      {"format", loaded_.source_format + "/" + loaded_.checkpoint_format},
      {"weights", loaded_.weights_path.string()},
      {"weights_dtype", loaded_.weights_dtype},
  };
}

const text::Tokenizer& CLIPEncoder::tokenizer() {
  if (tokenizer_) return *tokenizer_;
  const auto& files = loaded_.tokenizer;
  if (!files.found()) {
    fail(ErrorKind::kNotFound,
         "no tokenizer for model '{}': put {} next to the weights or set {} (the model, embed and tokenize "
         "commands also take --tokenizer)", loaded_.name,
         kBpeFileName, kBpeEnvironmentVariable);
  }
  // open_clip 2.30 encodes a literal "<|endoftext|>" as text; OpenAI's and HF's tokenizers map it
  // to the special id, so each ecosystem's models get their own behaviour.
  const bool special = loaded_.source_format == "hf" || loaded_.source_format == "torchscript";
  const auto special_text = special ? text::SpecialTokenText::kSpecial : text::SpecialTokenText::kLiteral;
  text::Tokenizer loaded =
      files.bpe_gz.empty()
          ? text::Tokenizer::from_vocab_and_merges(files.vocab_json, files.merges_txt, special_text)
          : text::Tokenizer::from_bpe_gz(files.bpe_gz, special_text);

  // every id the tokenizer can produce must index a token_embedding row
  const TextConfig& text = *loaded_.config().text_cfg;
  if (loaded.vocab_size() > text.vocab_size) {
    fail(ErrorKind::kInvalidArgument,
         "tokenizer {} has {} tokens but model '{}' ('{}') has {} token_embedding rows, so ids "
         "{} and above cannot be embedded; pass the tokenizer the model was trained with "
         "(--tokenizer)",
         tokenizer_files_text(files), loaded.vocab_size(), loaded_.name,
         loaded_.weights_path.string(), text.vocab_size, text.vocab_size);
  }
  if (text.pool_type == "eos" && loaded.end_token() != text.eos_id) {
    fail(ErrorKind::kInvalidArgument,
         "tokenizer {} ends texts with id {} but model '{}' ('{}') pools at eos_token_id {}; pass "
         "the tokenizer the model was trained with (--tokenizer) or fix eos_token_id in the config",
         tokenizer_files_text(files), loaded.end_token(), loaded_.name,
         loaded_.config_path.string(), text.eos_id);
  }
  tokenizer_ = std::move(loaded);
  return *tokenizer_;
}

torch::Tensor CLIPEncoder::tokenize(const std::vector<std::string>& texts) {
  if (!has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model '{}' has no text tower, so it cannot embed texts; use a full CLIP checkpoint",
         loaded_.name);
  }
  const int64_t context = loaded_.config().text_cfg->context_length;
  auto rows = tokenizer().tokenize(texts, static_cast<int>(context));
  // A full row may contain a text that was cut. Warn once per model, because a cut caption can
  // lose the object names that an experiment compares.
  for (size_t i = 0; i < rows.size() && !truncation_reported_; ++i) {
    if (rows[i].back() == 0) continue;
    const size_t length = tokenizer().encode(texts[i]).size() + 2;
    if (length > rows[i].size()) {
      log::warn("caption \"{}\" has {} tokens, more than the context of {} of model '{}', so it is cut there as "
                "open_clip does; later captions over the context are cut the same way without another warning",
                texts[i], length, context, loaded_.name);
      truncation_reported_ = true;
    }
  }
  auto ids = torch::zeros({static_cast<int64_t>(rows.size()), context}, torch::kInt64);
  auto accessor = ids.accessor<int64_t, 2>();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size() && static_cast<int64_t>(j) < context; ++j) accessor[i][j] = rows[i][j];
  }
  return ids;
}

torch::Tensor CLIPEncoder::encode_texts(const std::vector<std::string>& texts) {
  return encode_token_ids(tokenize(texts));
}

torch::Tensor CLIPEncoder::encode_token_ids(const torch::Tensor& ids) {
  if (!has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model '{}' has no text tower, so it cannot embed texts; use a full CLIP checkpoint",
         loaded_.name);
  }
  const int64_t vocab_size = loaded_.config().text_cfg->vocab_size;
  if (ids.dim() != 2 || ids.scalar_type() != torch::kInt64) {
    fail(ErrorKind::kInvalidArgument,
         "token ids for model '{}' must be int64 [N, L], got {} {}; tokenize the texts first",
         loaded_.name, c10::toString(ids.scalar_type()), detail::shape_string(ids.sizes()));
  }
  torch::NoGradGuard no_grad;
  const int64_t count = ids.size(0);
  auto output = torch::empty({count, loaded_.config().embed_dim});
  if (count == 0) return output;
  if (const int64_t low = ids.min().item<int64_t>(), high = ids.max().item<int64_t>();
      low < 0 || high >= vocab_size) {
    fail(ErrorKind::kInvalidArgument,
         "token id {} is outside the vocabulary of model '{}' ('{}'), which has ids 0 to {}; "
         "tokenize with the tokenizer the model was trained with",
         low < 0 ? low : high, loaded_.name, loaded_.weights_path.string(), vocab_size - 1);
  }

  // group rows by the length up to and including their end token
  auto ends = end_positions(ids, *loaded_.config().text_cfg);
  std::map<int64_t, std::vector<int64_t>> rows_by_length;
  for (int64_t i = 0; i < count; ++i) rows_by_length[ends[i].item<int64_t>() + 1].push_back(i);

  for (const auto& [length, rows] : rows_by_length) {
    for (size_t begin = 0; begin < rows.size(); begin += options_.batch_size) {
      const size_t end = std::min(rows.size(), begin + static_cast<size_t>(options_.batch_size));
      auto index = torch::tensor(std::vector<int64_t>(rows.begin() + begin, rows.begin() + end));
      auto batch = ids.index_select(0, index).narrow(1, 0, length).contiguous();  // [b, length]
      output.index_copy_(0, index, loaded_.model->encode_text(batch));
    }
  }
  return output;
}

torch::Tensor CLIPEncoder::encode_pixels(const torch::Tensor& pixels) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < pixels.size(0); begin += options_.batch_size) {
    const int64_t size = std::min(options_.batch_size, pixels.size(0) - begin);
    parts.push_back(loaded_.model->encode_image(pixels.narrow(0, begin, size)));
  }
  if (parts.empty()) return torch::empty({0, loaded_.config().embed_dim});
  return torch::cat(parts, 0);
}

std::vector<image::Image> CLIPEncoder::crop_images(const std::vector<fs::path>& images, size_t begin,
                                                   size_t end) const {
  std::vector<image::Image> crops(end - begin);
  const size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, std::max<size_t>(1, end - begin));
  std::vector<std::future<void>> tasks;
  for (size_t worker = 0; worker < workers; ++worker) {
    tasks.push_back(std::async(std::launch::async, [&, worker] {
      for (size_t i = begin + worker; i < end; i += workers) {
        crops[i - begin] = image::preprocess_crop(image::decode_image(images[i]), preprocess_);
      }
    }));
  }
  for (auto& task : tasks) task.get();
  return crops;
}

torch::Tensor CLIPEncoder::encode_images(const std::vector<fs::path>& images) {
  if (!has_image_tower()) {
    fail(ErrorKind::kUnsupported, "model '{}' has no image tower, so it cannot embed images; use a full CLIP checkpoint",
         loaded_.name);
  }
  torch::NoGradGuard no_grad;
  const size_t batch = static_cast<size_t>(options_.batch_size);
  auto prepare = [&](size_t begin) {
    return std::async(std::launch::async, [this, &images, begin, batch] {
      auto crops = crop_images(images, begin, std::min(images.size(), begin + batch));
      return image::normalize_crops(crops, preprocess_);
    });
  };

  // decode the next batch while the model computes the current one
  std::vector<torch::Tensor> parts;
  std::future<torch::Tensor> next;
  if (!images.empty()) next = prepare(0);
  for (size_t begin = 0; begin < images.size(); begin += batch) {
    auto pixels = next.get();
    if (begin + batch < images.size()) next = prepare(begin + batch);
    parts.push_back(loaded_.model->encode_image(pixels));
  }
  if (parts.empty()) return torch::empty({0, loaded_.config().embed_dim});
  return torch::cat(parts, 0);
}

torch::Tensor CLIPEncoder::preprocess_images(const std::vector<fs::path>& images) const {
  const int64_t size = preprocess_.image_size;
  auto output = torch::empty({static_cast<int64_t>(images.size()), size, size, 3}, torch::kUInt8);
  auto crops = crop_images(images, 0, images.size());
  for (size_t i = 0; i < crops.size(); ++i) {
    TORCH_INTERNAL_ASSERT(crops[i].pixels.size() == static_cast<size_t>(size * size * 3));
    std::memcpy(output[static_cast<int64_t>(i)].data_ptr<uint8_t>(), crops[i].pixels.data(), crops[i].pixels.size());
  }
  return output;
}

torch::Tensor CLIPEncoder::class_token_attention(const std::vector<fs::path>& images, int64_t block) {
  if (!loaded_.model->visual_vit) {
    fail(ErrorKind::kUnsupported, "model '{}' has no ViT image tower; class-token attention needs a VisionTransformer",
         loaded_.name);
  }
  const auto& layers = loaded_.config().vision_cfg->layers.at(0);
  if (block < 0 || block >= layers) {
    fail(ErrorKind::kInvalidArgument, "block {} is out of range for model '{}'; use 0..{}", block, loaded_.name,
         layers - 1);
  }
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (size_t begin = 0; begin < images.size(); begin += options_.batch_size) {
    auto crops = crop_images(images, begin, std::min(images.size(), begin + static_cast<size_t>(options_.batch_size)));
    parts.push_back(loaded_.model->visual_vit->class_token_attention(image::normalize_crops(crops, preprocess_), block));
  }
  if (parts.empty()) return torch::empty({0, 0});
  return torch::cat(parts, 0);
}

}  // namespace clipscope::model
