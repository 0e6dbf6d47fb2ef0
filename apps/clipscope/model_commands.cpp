// model info, tokenize, preprocess and embed: option parsing only; the work is in model/.
#include <cstdio>
#include <memory>

#include "clipscope/io/npy_tensor.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/model/embed.h"
#include "clipscope/model/loader.h"
#include "commands.h"

namespace clipscope::cli {
namespace {

// Options shared by every command that loads a model.
struct ModelOptions {
  std::string model;
  std::string activation;
  std::string preprocess;
  std::string tokenizer;
  std::string config;
  int64_t batch_size = 64;
};

void add_model_options(CLI::App& command, ModelOptions& options) {
  command.add_option("--model", options.model, "Model folder (open_clip or Hugging Face) or weights file")
      ->required();
  command.add_option("--activation", options.activation,
                     "MLP activation overriding the checkpoint's: quick_gelu, gelu or gelu_tanh");
  command.add_option("--preprocess", options.preprocess,
                     "Image preprocessing semantics: open_clip or hf (default: the model's ecosystem)");
  command.add_option("--tokenizer", options.tokenizer,
                     "CLIP BPE file (bpe_simple_vocab_16e6.txt.gz) or folder with vocab.json + merges.txt");
  command.add_option("--config", options.config,
                     "Config JSON (open_clip or Hugging Face) for a weights file without one beside it");
  command.add_option("--batch-size", options.batch_size, "Texts or images per forward pass")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
}

std::unique_ptr<model::CLIPEncoder> load_encoder(const ModelOptions& options) {
  model::LoadOptions load_options;
  if (!options.activation.empty()) load_options.activation = model::parse_activation(options.activation);
  if (!options.preprocess.empty()) load_options.preprocess = options.preprocess;
  load_options.tokenizer = options.tokenizer;
  load_options.config = options.config;
  model::EncoderOptions encoder_options;
  encoder_options.batch_size = options.batch_size;
  return model::CLIPEncoder::load(options.model, load_options, encoder_options);
}

}  // namespace

void add_model_commands(CLI::App& app) {
  // model info
  auto* model_group = app.add_subcommand("model", "Inspect a CLIP model");
  model_group->require_subcommand(1);
  auto info_options = std::make_shared<ModelOptions>();
  auto* info = model_group->add_subcommand("info", "Print a model's architecture, activation, dtype and sources as JSON");
  info->add_option("MODEL", info_options->model, "Model folder or weights file")->required();
  info->add_option("--activation", info_options->activation, "MLP activation override");
  info->add_option("--preprocess", info_options->preprocess, "open_clip or hf");
  info->add_option("--tokenizer", info_options->tokenizer, "Tokenizer file or folder");
  info->add_option("--config", info_options->config, "Config JSON for a bare weights file");
  info->callback([info_options] {
    auto encoder = load_encoder(*info_options);
    auto description = model::describe(encoder->loaded());
    description["identity"] = encoder->identity();
    std::printf("%s\n", description.dump(2).c_str());
  });

  // tokenize
  auto tokenize_options = std::make_shared<ModelOptions>();
  auto tokenize_texts = std::make_shared<std::string>();
  auto tokenize_out = std::make_shared<std::string>();
  auto* tokenize = app.add_subcommand("tokenize", "Write the token ids of a text file (one text per line) as int64 .npy");
  add_model_options(*tokenize, *tokenize_options);
  tokenize->add_option("TEXTS", *tokenize_texts, "UTF-8 file, one text per line")->required();
  tokenize->add_option("--out", *tokenize_out, "Output .npy, int64 [N, context_length]")->required();
  tokenize->callback([=] {
    auto encoder = load_encoder(*tokenize_options);
    io::write_npy(*tokenize_out, encoder->tokenize(model::read_text_lines(*tokenize_texts)));
  });

  // preprocess
  auto preprocess_options = std::make_shared<ModelOptions>();
  auto preprocess_images = std::make_shared<std::string>();
  auto preprocess_out = std::make_shared<std::string>();
  auto* preprocess = app.add_subcommand("preprocess", "Write the RGB crops a model sees as uint8 [N, H, W, 3] .npy");
  add_model_options(*preprocess, *preprocess_options);
  preprocess->add_option("--images", *preprocess_images, "Image folder, or list file of paths relative to it")
      ->required();
  preprocess->add_option("--out", *preprocess_out, "Output .npy")->required();
  preprocess->callback([=] {
    auto encoder = load_encoder(*preprocess_options);
    io::write_npy(*preprocess_out, encoder->preprocess_images(model::list_images(*preprocess_images)));
  });

  // embed
  auto embed_options = std::make_shared<ModelOptions>();
  auto embed_images = std::make_shared<std::string>();
  auto embed_texts = std::make_shared<std::string>();
  auto embed_out = std::make_shared<std::string>();
  auto embed_normalize = std::make_shared<bool>(false);
  auto* embed = app.add_subcommand(
      "embed", "Write image_features.npy / text_features.npy (float32, before L2 normalisation unless --normalize)");
  add_model_options(*embed, *embed_options);
  embed->add_option("--images", *embed_images, "Image folder, or list file of paths relative to it");
  embed->add_option("--texts", *embed_texts, "UTF-8 file, one text per line");
  embed->add_option("--out", *embed_out, "Output folder")->required();
  embed->add_flag("--normalize", *embed_normalize, "L2-normalise the features");
  embed->callback([=] {
    auto encoder = load_encoder(*embed_options);
    model::EmbedRequest request;
    if (!embed_images->empty()) request.images = *embed_images;
    if (!embed_texts->empty()) request.texts = *embed_texts;
    request.out = *embed_out;
    request.normalize = *embed_normalize;
    model::run_embed(*encoder, request);
  });
}

}  // namespace clipscope::cli
