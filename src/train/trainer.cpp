#include "clipscope/train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <numbers>

#include "clipscope/error.h"
#include "clipscope/image/preprocess.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/io/checkpoint.h"
#include "clipscope/log.h"
#include "clipscope/model/clip.h"
#include "clipscope/model/loader.h"
#include "clipscope/progress.h"
#include "clipscope/scenes/shapes.h"
#include "clipscope/text/bpe_trainer.h"
#include "clipscope/text/tokenizer.h"
#include "json_fields.h"

namespace clipscope::train {

namespace {

// Stream offsets that keep held-out pairs apart from training pairs of any run length.
constexpr uint64_t kHeldOutPairs = 1ULL << 40;
constexpr uint64_t kHeldOutSingles = 1ULL << 41;
constexpr int64_t kRetrievalBatch = 64;

nlohmann::json vision_json(const model::VisionConfig& vision) {
  return {{"image_size", vision.image_size}, {"layers", vision.layers.at(0)}, {"width", vision.width},
          {"head_width", vision.head_width}, {"mlp_ratio", vision.mlp_ratio}, {"patch_size", *vision.patch_size}};
}

nlohmann::json text_json(const model::TextConfig& text) {
  return {{"context_length", text.context_length}, {"vocab_size", text.vocab_size}, {"width", text.width},
          {"heads", text.heads}, {"layers", text.layers}, {"mlp_ratio", text.mlp_ratio}};
}

// All captions a run can produce for two objects, so the learned vocabulary covers every word.
std::vector<std::string> vocabulary_corpus(const TrainConfig& config) {
  const auto& shapes = config.data.shapes.empty() ? scenes::shape_names() : config.data.shapes;
  std::vector<std::string> corpus;
  CaptionPolicy policy = config.captions;
  for (const auto& template_text : config.captions.templates) {
    policy.templates = {template_text};
    std::mt19937_64 unused(0);
    for (const auto& first : shapes) {
      for (const auto& second : shapes) {
        if (first != second) corpus.push_back(make_caption({first, second}, policy, unused));
      }
      corpus.push_back(make_caption({first}, policy, unused));
    }
  }
  return corpus;
}

}  // namespace

void initialize_weights(model::CLIP& clip) {
  torch::NoGradGuard no_grad;
  const auto& config = clip->config;
  if (!config.vision_cfg || config.vision_cfg->is_resnet() || !config.text_cfg) {
    fail(ErrorKind::kUnsupported, "weight initialisation needs a ViT image tower and a text tower");
  }
  const double text_width = static_cast<double>(config.text_cfg->width);
  const double vision_width = static_cast<double>(config.vision_cfg->width);
  for (auto& item : clip->named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& value = item.value();
    const bool visual = name.rfind("visual.", 0) == 0;
    const double width = visual ? vision_width : text_width;
    const double layers = static_cast<double>(visual ? config.vision_cfg->layers.at(0) : config.text_cfg->layers);
    const double projection_std = std::pow(width, -0.5) * std::pow(2 * layers, -0.5);

    if (name.find("ln_") != std::string::npos) {
      value.fill_(name.size() > 7 && name.substr(name.size() - 7) == ".weight" ? 1.0 : 0.0);
    } else if (name.find("bias") != std::string::npos) {
      value.zero_();
    } else if (name == "logit_scale") {
      value.fill_(std::log(1 / 0.07));
    } else if (name == "token_embedding.weight") {
      value.normal_(0, 0.02);
    } else if (name == "positional_embedding") {
      value.normal_(0, 0.01);
    } else if (name.find("in_proj_weight") != std::string::npos) {
      value.normal_(0, std::pow(width, -0.5));
    } else if (name.find("out_proj.weight") != std::string::npos || name.find("c_proj.weight") != std::string::npos) {
      value.normal_(0, projection_std);
    } else if (name.find("c_fc.weight") != std::string::npos) {
      value.normal_(0, std::pow(2 * width, -0.5));
    } else if (name == "visual.conv1.weight") {
      value.normal_(0, std::pow(static_cast<double>(value.size(1) * value.size(2) * value.size(3)), -0.5));
    } else {
      // class and positional embeddings of the ViT, visual.proj, text_projection
      value.normal_(0, std::pow(width, -0.5));
    }
  }
}

namespace {

std::map<std::string, torch::Tensor> state_dict(model::CLIP& clip) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : clip->named_parameters()) tensors[item.key()] = item.value().detach().clone();
  for (const auto& item : clip->named_buffers()) tensors[item.key()] = item.value().detach().clone();
  return tensors;
}

}  // namespace

void save_open_clip_folder(model::CLIP& clip, const std::filesystem::path& folder,
                           const std::filesystem::path& run_folder, const nlohmann::json& metadata) {
  io::create_output_folder(folder);
  io::write_safetensors(folder / "open_clip_model.safetensors", state_dict(clip),
                        {{"format", "pt"}, {"clipscope", metadata.dump()}});
  io::write_file_atomic(folder / "open_clip_config.json", open_clip_config_json(clip->config).dump(2) + "\n");
  for (const char* name : {"vocab.json", "merges.txt"}) {
    if (std::filesystem::exists(run_folder / name)) {
      io::write_file_atomic(folder / name, io::read_file(run_folder / name));
    }
  }
}

namespace {

double learning_rate_at(const OptimizerConfig& optimizer, int64_t step) {
  if (step < optimizer.warmup_steps) {
    return optimizer.learning_rate * static_cast<double>(step + 1) / static_cast<double>(optimizer.warmup_steps);
  }
  const double progress = static_cast<double>(step - optimizer.warmup_steps) /
                          static_cast<double>(std::max<int64_t>(1, optimizer.steps - optimizer.warmup_steps));
  return 0.5 * (1 + std::cos(std::numbers::pi * progress)) * optimizer.learning_rate;
}

torch::Tensor token_tensor(const text::Tokenizer& tokenizer, const std::vector<std::string>& texts,
                           int64_t context_length) {
  auto rows = tokenizer.tokenize(texts, static_cast<int>(context_length));
  auto ids = torch::empty({static_cast<int64_t>(rows.size()), context_length}, torch::kInt64);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::copy(rows[i].begin(), rows[i].end(), ids[static_cast<int64_t>(i)].data_ptr<int64_t>());
  }
  return ids;
}

torch::Tensor image_tensor(const std::vector<TrainingPair>& pairs) {
  std::vector<image::Image> crops;
  for (const auto& pair : pairs) crops.push_back(pair.crop);
  return image::normalize_crops(crops, image::PreprocessConfig{.image_size = crops.at(0).width});
}

// Held-out pairs and single-object renders, fixed for the whole run.
struct HeldOut {
  torch::Tensor retrieval_images;
  torch::Tensor retrieval_ids;
  torch::Tensor single_images;
  torch::Tensor single_labels;
  torch::Tensor prompt_ids;
};

HeldOut make_held_out(const TrainConfig& config, const text::Tokenizer& tokenizer) {
  HeldOut held_out;
  const int image_size = static_cast<int>(config.model.vision_cfg->image_size);
  const int64_t context = config.model.text_cfg->context_length;
  auto pairs = sample_pairs(config.data, config.captions, image_size, config.seed, kHeldOutPairs, kRetrievalBatch);
  std::vector<std::string> captions;
  for (const auto& pair : pairs) captions.push_back(pair.caption);
  held_out.retrieval_images = image_tensor(pairs);
  held_out.retrieval_ids = token_tensor(tokenizer, captions, context);

  const auto& shapes = config.data.shapes.empty() ? scenes::shape_names() : config.data.shapes;
  std::vector<std::string> prompts;
  for (const auto& shape : shapes) prompts.push_back("a photo of " + indefinite_article(shape) + " " + shape);
  held_out.prompt_ids = token_tensor(tokenizer, prompts, context);
  const int64_t per_shape = std::max<int64_t>(1, config.eval_images / static_cast<int64_t>(shapes.size()));
  std::vector<image::Image> singles(shapes.size() * per_shape);
  std::vector<int64_t> labels(singles.size());
  at::parallel_for(0, static_cast<int64_t>(singles.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      singles[i] = render_single_object(config.data, shapes[i / per_shape], image_size,
                                        config.seed + kHeldOutSingles + static_cast<uint64_t>(i));
      labels[i] = i / per_shape;
    }
  });
  held_out.single_images = image::normalize_crops(singles, image::PreprocessConfig{.image_size = image_size});
  held_out.single_labels = torch::tensor(labels, torch::kInt64);
  return held_out;
}

std::pair<double, double> evaluate(model::CLIP& clip, const HeldOut& held_out) {
  torch::NoGradGuard no_grad;
  clip->eval();
  auto normalize = [](const torch::Tensor& x) { return x / x.norm(2, -1, true); };
  auto images = normalize(clip->encode_image(held_out.retrieval_images));
  auto texts = normalize(clip->encode_text(held_out.retrieval_ids));
  auto retrieval_hits = images.matmul(texts.t()).argmax(1).eq(torch::arange(images.size(0)));
  auto singles = normalize(clip->encode_image(held_out.single_images));
  auto prompts = normalize(clip->encode_text(held_out.prompt_ids));
  auto zero_shot_hits = singles.matmul(prompts.t()).argmax(1).eq(held_out.single_labels);
  clip->train();
  return {zero_shot_hits.to(torch::kFloat64).mean().item<double>(),
          retrieval_hits.to(torch::kFloat64).mean().item<double>()};
}

std::optional<std::filesystem::path> newest_checkpoint(const std::filesystem::path& folder) {
  std::optional<std::filesystem::path> newest;
  if (!std::filesystem::is_directory(folder / "checkpoints")) return newest;
  for (const auto& entry : std::filesystem::directory_iterator(folder / "checkpoints")) {
    if (std::filesystem::exists(entry.path() / "train_state.json") &&
        (!newest || entry.path().filename() > newest->filename())) {
      newest = entry.path();
    }
  }
  return newest;
}

std::string log_csv(const std::vector<EvalRecord>& records) {
  std::string text = "step,loss,zero_shot_accuracy,retrieval_accuracy\n";
  for (const auto& record : records) {
    text += fmt::format("{},{:.6f},{:.6f},{:.6f}\n", record.step, record.loss, record.zero_shot_accuracy,
                        record.retrieval_accuracy);
  }
  return text;
}

}  // namespace

TrainConfig default_train_config() {
  TrainConfig config;
  model::VisionConfig vision;
  vision.image_size = 64;
  vision.layers = {4};
  vision.width = 128;
  vision.head_width = 32;
  vision.patch_size = 8;
  model::TextConfig text;
  text.context_length = 16;
  text.vocab_size = 600;
  text.width = 128;
  text.heads = 4;
  text.layers = 4;
  config.model.embed_dim = 128;
  config.model.vision_cfg = vision;
  config.model.text_cfg = text;
  config.model.activation = model::Activation::kQuickGELU;
  return config;
}

nlohmann::json open_clip_config_json(const model::ModelConfig& config) {
  nlohmann::json model_cfg = {{"embed_dim", config.embed_dim},
                              {"quick_gelu", config.activation == model::Activation::kQuickGELU}};
  if (config.vision_cfg) model_cfg["vision_cfg"] = vision_json(*config.vision_cfg);
  if (config.text_cfg) model_cfg["text_cfg"] = text_json(*config.text_cfg);
  nlohmann::json preprocess_cfg = {{"mean", {0.48145466, 0.4578275, 0.40821073}},
                                   {"std", {0.26862954, 0.26130258, 0.27577711}},
                                   {"interpolation", "bicubic"},
                                   {"resize_mode", "shortest"}};
  return {{"model_cfg", model_cfg}, {"preprocess_cfg", preprocess_cfg}};
}

TrainConfig train_config_from_json(const nlohmann::json& json) {
  TrainConfig config = default_train_config();
  if (!json.is_object()) {
    fail(ErrorKind::kInvalidArgument, "a training config must be a JSON object, got {}", json.dump().substr(0, 80));
  }
  detail::check_known_keys(json, "", {"model", "data", "captions", "optimizer", "bpe_path", "vocabulary_size", "seed",
                                      "checkpoint_every", "eval_every", "eval_images"});
  if (json.contains("model")) {
    try {
      config.model = model::parse_open_clip_config(json.at("model"), "training config 'model'");
    } catch (const nlohmann::json::exception& error) {
      fail(ErrorKind::kInvalidArgument, "invalid training config 'model': {}", error.what());
    }
  }
  if (json.contains("data")) config.data = scene_distribution_from_json(json.at("data"));
  if (json.contains("captions")) config.captions = caption_policy_from_json(json.at("captions"));
  if (json.contains("optimizer")) {
    const auto& o = json.at("optimizer");
    if (!o.is_object()) fail(ErrorKind::kInvalidArgument, "training config key 'optimizer' must be a JSON object");
    detail::check_known_keys(o, "optimizer", {"steps", "batch_size", "learning_rate", "weight_decay", "warmup_steps",
                                              "beta1", "beta2", "eps", "grad_clip_norm"});
    auto& target = config.optimizer;
    target.steps = detail::read_field(o, "optimizer", "steps", target.steps);
    target.batch_size = detail::read_field(o, "optimizer", "batch_size", target.batch_size);
    target.learning_rate = detail::read_field(o, "optimizer", "learning_rate", target.learning_rate);
    target.weight_decay = detail::read_field(o, "optimizer", "weight_decay", target.weight_decay);
    target.warmup_steps = detail::read_field(o, "optimizer", "warmup_steps", target.warmup_steps);
    target.beta1 = detail::read_field(o, "optimizer", "beta1", target.beta1);
    target.beta2 = detail::read_field(o, "optimizer", "beta2", target.beta2);
    target.eps = detail::read_field(o, "optimizer", "eps", target.eps);
    target.grad_clip_norm = detail::read_field(o, "optimizer", "grad_clip_norm", target.grad_clip_norm);
  }
  if (json.contains("bpe_path") && !json.at("bpe_path").is_null()) {
    config.bpe_path = detail::read_field<std::string>(json, "", "bpe_path", "");
  }
  config.vocabulary_size = detail::read_field(json, "", "vocabulary_size", config.vocabulary_size);
  config.seed = detail::read_field(json, "", "seed", config.seed);
  config.checkpoint_every = detail::read_field(json, "", "checkpoint_every", config.checkpoint_every);
  config.eval_every = detail::read_field(json, "", "eval_every", config.eval_every);
  config.eval_images = detail::read_field(json, "", "eval_images", config.eval_images);

  // checks
  if (!config.model.vision_cfg || config.model.vision_cfg->is_resnet() || !config.model.text_cfg) {
    fail(ErrorKind::kUnsupported, "clipscope trains ViT models with a text tower; set model.vision_cfg.patch_size "
                                  "and model.text_cfg");
  }
  const auto& o = config.optimizer;
  if (o.steps < 1 || o.batch_size < 2 || o.learning_rate <= 0 || o.warmup_steps < 0 || o.weight_decay < 0 ||
      o.grad_clip_norm < 0) {
    fail(ErrorKind::kInvalidArgument,
         "invalid optimizer settings: need steps >= 1, batch_size >= 2, learning_rate > 0, warmup_steps >= 0, "
         "weight_decay >= 0, grad_clip_norm >= 0");
  }
  if (config.checkpoint_every < 0 || config.eval_every < 0 || config.eval_images < 1) {
    fail(ErrorKind::kInvalidArgument, "checkpoint_every and eval_every must be >= 0 and eval_images >= 1");
  }
  return config;
}

nlohmann::json to_json(const TrainConfig& config) {
  return {{"model", open_clip_config_json(config.model).at("model_cfg")},
          {"data", to_json(config.data)},
          {"captions", to_json(config.captions)},
          {"optimizer",
           {{"steps", config.optimizer.steps},
            {"batch_size", config.optimizer.batch_size},
            {"learning_rate", config.optimizer.learning_rate},
            {"weight_decay", config.optimizer.weight_decay},
            {"warmup_steps", config.optimizer.warmup_steps},
            {"beta1", config.optimizer.beta1},
            {"beta2", config.optimizer.beta2},
            {"eps", config.optimizer.eps},
            {"grad_clip_norm", config.optimizer.grad_clip_norm}}},
          {"bpe_path", config.bpe_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(config.bpe_path.string())},
          {"vocabulary_size", config.vocabulary_size},
          {"seed", config.seed},
          {"checkpoint_every", config.checkpoint_every},
          {"eval_every", config.eval_every},
          {"eval_images", config.eval_images}};
}

TrainSummary train_clip(const TrainConfig& requested, const std::filesystem::path& folder, bool resume) {
  const auto start_time = std::chrono::steady_clock::now();
  TrainConfig config = requested;

  // the run folder: new, or the same run resumed
  const auto config_path = folder / "train_config.json";
  if (std::filesystem::exists(config_path) && !resume) {
    fail(ErrorKind::kInvalidArgument, "'{}' already holds a training run; pass --resume to continue it or choose "
                                      "another --out folder", folder.string());
  }
  io::create_output_folder(folder);

  // tokenizer: the CLIP BPE, or a vocabulary learned from the captions this run can produce
  if (config.bpe_path.empty()) {
    text::BPETrainerConfig bpe;
    bpe.vocab_size = config.vocabulary_size;
    text::save_bpe(text::learn_bpe(vocabulary_corpus(config), bpe), folder / "vocab.json", folder / "merges.txt");
  }
  const text::Tokenizer tokenizer = config.bpe_path.empty()
                                        ? text::Tokenizer::from_vocab_and_merges(folder / "vocab.json", folder / "merges.txt")
                                        : text::Tokenizer::from_bpe_gz(config.bpe_path);
  config.model.text_cfg->vocab_size = tokenizer.vocab_size();
  config.model.text_cfg->eos_id = tokenizer.end_token();

  const std::string config_text = to_json(config).dump(2) + "\n";
  if (resume && std::filesystem::exists(config_path) && io::read_file(config_path) != config_text) {
    fail(ErrorKind::kInvalidArgument, "'{}' was trained with another configuration; resume with the same config "
                                      "or choose another --out folder", config_path.string());
  }
  io::write_file_atomic(config_path, config_text);

  // model and optimiser: weight decay only on weights of 2 or more dimensions, as open_clip
  torch::manual_seed(config.seed);
  model::CLIP clip(config.model);
  initialize_weights(clip);
  clip->train();
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> not_decayed;
  for (auto& item : clip->named_parameters()) {
    const std::string& name = item.key();
    const bool exempt = item.value().dim() < 2 || name.find("ln_") != std::string::npos ||
                        name.find("bias") != std::string::npos || name == "logit_scale";
    (exempt ? not_decayed : decayed).push_back(item.value());
  }
  const auto& o = config.optimizer;
  auto options = torch::optim::AdamWOptions(o.learning_rate).betas({o.beta1, o.beta2}).eps(o.eps);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, std::make_unique<torch::optim::AdamWOptions>(options.weight_decay(o.weight_decay)));
  groups.emplace_back(not_decayed, std::make_unique<torch::optim::AdamWOptions>(options.weight_decay(0.0)));
  torch::optim::AdamW optimizer(std::move(groups), options);

  // resume from the newest checkpoint
  int64_t first_step = 0;
  std::vector<EvalRecord> evaluations;
  if (resume) {
    if (auto checkpoint = newest_checkpoint(folder)) {
      auto tensors = io::read_checkpoint(*checkpoint / "open_clip_model.safetensors").tensors;
      model::bind_state_dict(clip, tensors, *checkpoint, "resume from an intact checkpoint folder");
      torch::load(optimizer, (*checkpoint / "optimizer.pt").string());
      auto state = nlohmann::json::parse(io::read_file(*checkpoint / "train_state.json"));
      first_step = state.at("step").get<int64_t>();
      for (const auto& record : state.at("evaluations")) {
        const auto& loss = record.at("loss");  // null for the evaluation before the first step
        evaluations.push_back({record.at("step"), loss.is_null() ? std::nan("") : loss.get<double>(),
                               record.at("zero_shot_accuracy"), record.at("retrieval_accuracy")});
      }
      log::info("resuming '{}' at step {}", folder.string(), first_step);
    }
  }

  HeldOut held_out = make_held_out(config, tokenizer);
  const int image_size = static_cast<int>(config.model.vision_cfg->image_size);
  const int64_t context = config.model.text_cfg->context_length;
  auto labels = torch::arange(o.batch_size);
  if (first_step == 0 && config.eval_every > 0) {
    auto [zero_shot, retrieval] = evaluate(clip, held_out);
    evaluations.push_back({0, std::nan(""), zero_shot, retrieval});
  }
  // the scene pool, rendered once when data.pool_size is set
  std::vector<TrainingScene> pool;
  if (config.data.pool_size > 0) {
    log::info("rendering a pool of {} training scenes", config.data.pool_size);
    pool = sample_scenes(config.data, image_size, config.seed, 0, config.data.pool_size);
  }

  Progress progress("train", o.steps);
  progress.advance(first_step);
  double loss_value = 0;

  for (int64_t step = first_step; step < o.steps; ++step) {
    // data: pairs first..first+batch-1 of the run's stream
    const auto first_pair = static_cast<uint64_t>(step * o.batch_size);
    std::vector<TrainingPair> pairs;
    if (pool.empty()) {
      pairs = sample_pairs(config.data, config.captions, image_size, config.seed, first_pair, o.batch_size);
    } else {
      for (uint64_t index = first_pair; index < first_pair + static_cast<uint64_t>(o.batch_size); ++index) {
        const TrainingScene& scene = pool[pool_scene_index(config.seed, index, config.data.pool_size)];
        pairs.push_back(caption_scene(scene, config.captions, config.seed, index));
      }
    }
    std::vector<std::string> captions;
    for (const auto& pair : pairs) captions.push_back(pair.caption);
    auto images = image_tensor(pairs);
    auto ids = token_tensor(tokenizer, captions, context);

    // symmetric InfoNCE with the learnable temperature
    const double learning_rate = learning_rate_at(o, step);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learning_rate);
    }
    auto image_features = clip->encode_image(images);
    auto text_features = clip->encode_text(ids);
    image_features = image_features / image_features.norm(2, -1, true);
    text_features = text_features / text_features.norm(2, -1, true);
    auto logits = clip->logit_scale.exp() * image_features.matmul(text_features.t());  // [B, B]
    auto loss = 0.5 * (torch::nn::functional::cross_entropy(logits, labels) +
                       torch::nn::functional::cross_entropy(logits.t(), labels));
    optimizer.zero_grad();
    loss.backward();
    if (o.grad_clip_norm > 0) {
      torch::nn::utils::clip_grad_norm_(clip->parameters(), o.grad_clip_norm);
    }
    optimizer.step();
    {
      torch::NoGradGuard no_grad;
      clip->logit_scale.clamp_(0, std::log(100.0));
    }
    loss_value = loss.item<double>();
    progress.set_status(fmt::format("loss {:.3f} lr {:.2e}", loss_value, learning_rate));
    progress.advance();

    // evaluation and checkpoints
    const int64_t done = step + 1;
    if ((config.eval_every > 0 && done % config.eval_every == 0) || done == o.steps) {
      auto [zero_shot, retrieval] = evaluate(clip, held_out);
      evaluations.push_back({done, loss_value, zero_shot, retrieval});
      log::info("step {}: loss {:.4f}, zero-shot {:.3f}, held-out retrieval {:.3f}", done, loss_value, zero_shot,
                retrieval);
      io::write_file_atomic(folder / "log.csv", log_csv(evaluations));
    }
    if (config.checkpoint_every > 0 && (done % config.checkpoint_every == 0 || done == o.steps)) {
      const auto checkpoint = folder / "checkpoints" / fmt::format("step-{:06d}", done);
      nlohmann::json state = {{"step", done}, {"samples_seen", done * o.batch_size}, {"evaluations", nlohmann::json::array()}};
      for (const auto& record : evaluations) {
        state["evaluations"].push_back({{"step", record.step},
                                        {"loss", record.loss},
                                        {"zero_shot_accuracy", record.zero_shot_accuracy},
                                        {"retrieval_accuracy", record.retrieval_accuracy}});
      }
      save_open_clip_folder(clip, checkpoint, folder, state);
      {
        // torch::save writes in place, so it goes to a temporary name renamed afterwards
        const auto temporary = checkpoint / "optimizer.pt.tmp";
        torch::save(optimizer, temporary.string());
        std::filesystem::rename(temporary, checkpoint / "optimizer.pt");
      }
      io::write_file_atomic(checkpoint / "train_state.json", state.dump(2) + "\n");
    }
  }
  progress.finish();

  save_open_clip_folder(clip, folder / "model", folder, {{"step", o.steps}, {"samples_seen", o.steps * o.batch_size}});
  TrainSummary summary;
  summary.model_folder = folder / "model";
  summary.steps = o.steps;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  summary.evaluations = evaluations;
  return summary;
}

double zero_shot_accuracy(const std::filesystem::path& model_folder, const SceneDistribution& data,
                          int64_t images_per_shape, uint64_t seed) {
  model::LoadedModel loaded = model::load_model(model_folder);
  const auto files = loaded.tokenizer;
  if (!files.found()) {
    fail(ErrorKind::kNotFound, "no tokenizer files next to '{}'; add vocab.json and merges.txt", model_folder.string());
  }
  const text::Tokenizer tokenizer = files.bpe_gz.empty() ? text::Tokenizer::from_vocab_and_merges(files.vocab_json, files.merges_txt)
                                                         : text::Tokenizer::from_bpe_gz(files.bpe_gz);
  TrainConfig config;
  config.model = loaded.config();
  config.data = data;
  config.eval_images = images_per_shape * static_cast<int64_t>(data.shapes.empty() ? 18 : data.shapes.size());
  config.seed = seed;
  HeldOut held_out = make_held_out(config, tokenizer);
  return evaluate(loaded.model, held_out).first;
}

}  // namespace clipscope::train
