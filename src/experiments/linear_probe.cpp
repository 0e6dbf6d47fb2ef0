#include "clipscope/experiments/linear_probe.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "clipscope/error.h"
#include "clipscope/log.h"
#include "similarity.h"

namespace clipscope::experiments {
namespace {

// Standard deviations below this are treated as constant features and left unscaled.
constexpr double kMinFeatureStd = 1e-6;

// Validation losses closer than this count as equal, so float noise does not reset early stopping.
constexpr double kLossTolerance = 1e-7;

torch::Tensor index_tensor(const std::vector<int64_t>& indices) {
  return torch::tensor(indices, torch::kLong);
}

double accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

void check_split(const std::vector<int64_t>& indices, const char* split_name, int64_t count,
                 const std::string& probe_name) {
  if (indices.empty()) {
    fail(ErrorKind::kInvalidArgument,
         "{}: the {} split is empty; use more samples or change the split fractions", probe_name,
         split_name);
  }
  for (int64_t index : indices) {
    if (index < 0 || index >= count) {
      fail(ErrorKind::kInvalidArgument, "{}: {} split index {} is outside the {} samples",
           probe_name, split_name, index, count);
    }
  }
}

void check_sample_count(int64_t count, int64_t classes, const std::string& probe_name) {
  if (count < classes) {
    fail(ErrorKind::kInvalidArgument,
         "{}: {} samples for {} classes; use at least as many samples as classes", probe_name,
         count, classes);
  }
}

// Returns the facts of one trained head that results.json records.
nlohmann::json head_summary(const ProbeHead& head, const ProbeSplit& split) {
  return {{"train_samples", split.train.size()},
          {"validation_samples", split.validation.size()},
          {"test_samples", split.test.size()},
          {"best_epoch", head.best_epoch},
          {"epochs_run", head.epochs_run},
          {"train_accuracy", head.train_accuracy},
          {"validation_accuracy", head.validation_accuracy}};
}

// Sets the number of intra-op threads for its lifetime and restores the previous number after.
class ScopedThreadCount {
 public:
  explicit ScopedThreadCount(int threads) : previous_(torch::get_num_threads()) {
    torch::set_num_threads(threads);
  }
  ~ScopedThreadCount() { torch::set_num_threads(previous_); }
  ScopedThreadCount(const ScopedThreadCount&) = delete;
  ScopedThreadCount& operator=(const ScopedThreadCount&) = delete;

 private:
  int previous_;
};

// Per-count seeds, so each object count gets its own split from the one run seed.
uint64_t split_seed(uint64_t seed, int64_t n) {
  return seed + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(n);
}

}  // namespace

void validate_probe_options(const ProbeOptions& options) {
  if (options.epochs < 1)
    fail(ErrorKind::kInvalidArgument, "probe epochs {} must be at least 1", options.epochs);
  if (options.patience < 1)
    fail(ErrorKind::kInvalidArgument, "probe patience {} must be at least 1", options.patience);
  if (!(options.learning_rate > 0.0)) {
    fail(ErrorKind::kInvalidArgument, "probe learning rate {} must be positive",
         options.learning_rate);
  }
  if (!(options.weight_decay >= 0.0)) {
    fail(ErrorKind::kInvalidArgument, "probe weight decay {} must not be negative",
         options.weight_decay);
  }
  const double train = options.train_fraction;
  const double validation = options.validation_fraction;
  if (!(train > 0.0 && train < 1.0) || !(validation > 0.0 && validation < 1.0) ||
      !(train + validation < 1.0)) {
    fail(ErrorKind::kInvalidArgument,
         "probe split fractions train {} and validation {} must lie in (0, 1) and leave a test "
         "share",
         train, validation);
  }
}

ProbeSplit split_samples(int64_t count, const ProbeOptions& options, uint64_t seed,
                         const std::string& probe_name) {
  validate_probe_options(options);

  // Fisher-Yates with plain modulo draws, because std::shuffle and the std distributions differ
  // between standard libraries and the split must not. The modulo bias is count / 2^64.
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::mt19937_64 generator(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[generator() % i]);

  const auto train_count =
      static_cast<size_t>(std::llround(static_cast<double>(count) * options.train_fraction));
  const auto validation_count =
      static_cast<size_t>(std::llround(static_cast<double>(count) * options.validation_fraction));
  ProbeSplit split;
  const size_t train_end = std::min(order.size(), train_count);
  const size_t validation_end = std::min(order.size(), train_end + validation_count);
  split.train.assign(order.begin(), order.begin() + train_end);
  split.validation.assign(order.begin() + train_end, order.begin() + validation_end);
  split.test.assign(order.begin() + validation_end, order.end());
  for (auto* part : {&split.train, &split.validation, &split.test})
    std::sort(part->begin(), part->end());

  check_split(split.train, "training", count, probe_name);
  check_split(split.validation, "validation", count, probe_name);
  check_split(split.test, "test", count, probe_name);
  return split;
}

ProbeHead train_linear_probe(const torch::Tensor& features, const torch::Tensor& labels,
                             int64_t num_classes, const ProbeSplit& split,
                             const ProbeOptions& options, const std::string& probe_name) {
  validate_probe_options(options);
  if (features.dim() != 2 || labels.dim() != 1 || features.size(0) != labels.size(0)) {
    fail(ErrorKind::kInvalidArgument,
         "{}: features of shape [{}] and labels of shape [{}] do not match; need [N, D] and [N]",
         probe_name, fmt::join(features.sizes(), ", "), fmt::join(labels.sizes(), ", "));
  }
  const int64_t count = features.size(0);
  if (num_classes < 2) {
    fail(ErrorKind::kInvalidArgument, "{}: {} classes are too few; a probe needs at least 2",
         probe_name, num_classes);
  }
  check_sample_count(count, num_classes, probe_name);
  const torch::Tensor targets = labels.to(torch::kLong);
  const int64_t low = targets.min().item<int64_t>();
  const int64_t high = targets.max().item<int64_t>();
  if (low < 0 || high >= num_classes) {
    fail(ErrorKind::kInvalidArgument, "{}: label {} is outside the {} classes", probe_name,
         low < 0 ? low : high, num_classes);
  }
  check_split(split.train, "training", count, probe_name);
  check_split(split.validation, "validation", count, probe_name);
  check_split(split.test, "test", count, probe_name);

  // NOTE: the head's tensors are tiny, and with two OpenMP threads on busy cores each of the
  // thousands of small ops waits for a descheduled thread. Measured with LibTorch 1.13 on 2 cores
  // busy compiling: 300 epochs on 2000 samples of 64 floats took 0.2 s on one thread, 2.4 s on two.
  ScopedThreadCount one_thread(1);

  // unit rows, then standardised with the training statistics
  torch::AutoGradMode enable_grad(true);
  torch::Tensor x = detail::l2_normalize(features.detach()).to(torch::kFloat32);  // [N, D]
  const torch::Tensor train_index = index_tensor(split.train);
  const torch::Tensor train_rows = x.index_select(0, train_index);
  const torch::Tensor mean = train_rows.mean(0, true);                                   // [1, D]
  const torch::Tensor scale = train_rows.std(0, false, true).clamp_min(kMinFeatureStd);  // [1, D]
  x = (x - mean) / scale;

  const torch::Tensor x_train = x.index_select(0, train_index);
  const torch::Tensor y_train = targets.index_select(0, train_index);
  const torch::Tensor x_validation = x.index_select(0, index_tensor(split.validation));
  const torch::Tensor y_validation = targets.index_select(0, index_tensor(split.validation));

  // zero start: the problem is convex, so no random initialisation is needed
  torch::Tensor weight = torch::zeros({x.size(1), num_classes}, torch::requires_grad());  // [D, C]
  torch::Tensor bias = torch::zeros({num_classes}, torch::requires_grad());               // [C]
  torch::optim::Adam optimizer(
      {weight, bias},
      torch::optim::AdamOptions(options.learning_rate).weight_decay(options.weight_decay));

  ProbeHead head;
  double best_loss =
      std::log(static_cast<double>(num_classes));  // validation loss of the zero start
  torch::Tensor best_weight = weight.detach().clone();
  torch::Tensor best_bias = bias.detach().clone();
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    optimizer.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(x_train.mm(weight) + bias, y_train);
    loss.backward();
    optimizer.step();
    head.epochs_run = epoch;

    torch::NoGradGuard no_grad;
    const double validation_loss =
        torch::nn::functional::cross_entropy(x_validation.mm(weight) + bias, y_validation)
            .item<double>();
    if (validation_loss < best_loss - kLossTolerance) {
      best_loss = validation_loss;
      best_weight = weight.detach().clone();
      best_bias = bias.detach().clone();
      head.best_epoch = epoch;
    } else if (epoch - head.best_epoch >= options.patience) {
      break;
    }
  }

  torch::NoGradGuard no_grad;
  head.train_accuracy = accuracy(x_train.mm(best_weight) + best_bias, y_train);
  head.validation_accuracy = accuracy(x_validation.mm(best_weight) + best_bias, y_validation);
  const torch::Tensor test_logits =
      x.index_select(0, index_tensor(split.test)).mm(best_weight) + best_bias;  // [T, C]
  const torch::Tensor predictions = test_logits.argmax(1).contiguous();
  head.test_predictions.assign(predictions.data_ptr<int64_t>(),
                               predictions.data_ptr<int64_t>() + predictions.numel());
  return head;
}

nlohmann::json probe_settings(const ProbeOptions& options) {
  const double test = 1.0 - options.train_fraction - options.validation_fraction;
  return {{"epochs", options.epochs},
          {"patience", options.patience},
          {"learning_rate", options.learning_rate},
          {"weight_decay", options.weight_decay},
          {"split",
           {{"train", options.train_fraction},
            {"validation", options.validation_fraction},
            {"test", test}}}};
}

nlohmann::json run_toc(model::Encoder& encoder, const Vocabulary& vocabulary, const TorOptions& tor,
                       const ProbeOptions& options, uint64_t seed, MetricCollector& collector,
                       CsvTable& samples) {
  if (!encoder.has_text_tower()) {
    fail(ErrorKind::kUnsupported,
         "model \"{}\" has no text tower, so TOC cannot run; drop toc from --experiments",
         encoder.identity().value("name", std::string("?")));
  }
  validate_probe_options(options);
  samples.header = {"n", "caption", "position", "true_object", "predicted_object", "correct"};
  const auto classes = static_cast<int64_t>(vocabulary.names.size());
  const double chance = 1.0 / static_cast<double>(classes);
  nlohmann::json heads = nlohmann::json::array();

  for (int64_t n : tor.object_counts) {
    // the plain TOR captions, so an embedding cache serves both experiments
    const std::vector<Caption> captions =
        make_captions(vocabulary, n, tor.max_captions, seed, CaptionStyle{tor.article, {}});
    std::vector<std::string> texts;
    for (const Caption& caption : captions) texts.push_back(caption.text);
    const std::string name = fmt::format("TOC n={}", n);
    check_sample_count(static_cast<int64_t>(captions.size()), classes, name);
    const ProbeSplit split =
        split_samples(static_cast<int64_t>(captions.size()), options, split_seed(seed, n), name);
    const torch::Tensor embeddings = detail::encode_texts_batched(encoder, texts, name);  // [C, D]

    for (int64_t position = 0; position < n; ++position) {
      std::vector<int64_t> labels;
      for (const Caption& caption : captions)
        labels.push_back(caption.objects[static_cast<size_t>(position)]);
      const ProbeHead head =
          train_linear_probe(embeddings, index_tensor(labels), classes, split, options,
                             fmt::format("{} position {}", name, position));

      std::vector<double> outcomes;
      for (size_t t = 0; t < split.test.size(); ++t) {
        const auto sample = static_cast<size_t>(split.test[t]);
        const int64_t predicted = head.test_predictions[t];
        const bool correct = predicted == labels[sample];
        outcomes.push_back(correct ? 1.0 : 0.0);
        samples.rows.push_back({std::to_string(n), captions[sample].text, std::to_string(position),
                                vocabulary.names[static_cast<size_t>(labels[sample])],
                                vocabulary.names[static_cast<size_t>(predicted)],
                                correct ? "1" : "0"});
      }
      collector.add("toc", "linear_probe", "probe_accuracy",
                    {{"n", n}, {"position", position}, {"split", "test"}}, outcomes, chance);
      nlohmann::json summary = head_summary(head, split);
      summary["n"] = n;
      summary["position"] = position;
      heads.push_back(std::move(summary));
      log::info("{} position {}: test accuracy {:.3f} (chance {:.3f})", name, position,
                collector.metrics().back()["value"].get<double>(), chance);
    }
  }
  return heads;
}

nlohmann::json run_ioc(model::Encoder& encoder, const SceneSet& scenes, const ProbeOptions& options,
                       uint64_t seed, MetricCollector& collector, CsvTable& samples) {
  if (!encoder.has_image_tower()) {
    fail(ErrorKind::kUnsupported,
         "model \"{}\" has no image tower, so IOC cannot run; drop ioc from --experiments",
         encoder.identity().value("name", std::string("?")));
  }
  validate_probe_options(options);
  samples.header = {"n",      "image", "slot", "size_role", "true_object", "predicted_object",
                    "correct"};
  std::map<std::string, int64_t> class_of;
  for (size_t i = 0; i < scenes.objects.size(); ++i)
    class_of[scenes.objects[i]] = static_cast<int64_t>(i);
  const auto classes = static_cast<int64_t>(scenes.objects.size());
  const double chance = 1.0 / static_cast<double>(classes);

  // images grouped by their number of objects: a slot head needs the same slots in every sample
  std::map<int64_t, std::vector<int64_t>> images_by_count;
  std::vector<std::filesystem::path> files;
  for (size_t i = 0; i < scenes.images.size(); ++i) {
    const SceneImage& image = scenes.images[i];
    if (image.large_slot < 0 || image.large_slot >= static_cast<int64_t>(image.objects.size())) {
      fail(ErrorKind::kInvalidArgument,
           "image \"{}\" has large slot {} but {} objects; fix the manifest", image.file.string(),
           image.large_slot, image.objects.size());
    }
    for (const std::string& object : image.objects) {
      if (!class_of.count(object)) {
        fail(ErrorKind::kInvalidArgument,
             "image \"{}\" names object \"{}\", which is not among the dataset objects; "
             "fix the manifest",
             image.file.string(), object);
      }
    }
    images_by_count[static_cast<int64_t>(image.objects.size())].push_back(static_cast<int64_t>(i));
    files.push_back(image.file);
  }

  // splits first, so too few images fail before anything is encoded
  std::map<int64_t, ProbeSplit> splits;
  for (const auto& [n, image_indices] : images_by_count) {
    const std::string name = fmt::format("IOC n={}", n);
    check_sample_count(static_cast<int64_t>(image_indices.size()), classes, name);
    splits[n] = split_samples(static_cast<int64_t>(image_indices.size()), options,
                              split_seed(seed, n), name);
  }
  const torch::Tensor embeddings =
      detail::encode_images_batched(encoder, files, "IOC images");  // [I, D]
  nlohmann::json heads = nlohmann::json::array();

  for (const auto& [n, image_indices] : images_by_count) {
    const std::string name = fmt::format("IOC n={}", n);
    const ProbeSplit& split = splits.at(n);
    const torch::Tensor features =
        embeddings.index_select(0, index_tensor(image_indices));  // [I_n, D]

    // correct[t][slot]: whether the slot head got test image t right
    std::vector<std::vector<bool>> correct(split.test.size(),
                                           std::vector<bool>(static_cast<size_t>(n)));
    for (int64_t slot = 0; slot < n; ++slot) {
      std::vector<int64_t> labels;
      for (int64_t index : image_indices) {
        labels.push_back(class_of.at(
            scenes.images[static_cast<size_t>(index)].objects[static_cast<size_t>(slot)]));
      }
      const ProbeHead head = train_linear_probe(features, index_tensor(labels), classes, split,
                                                options, fmt::format("{} slot {}", name, slot));
      std::vector<double> outcomes;
      for (size_t t = 0; t < split.test.size(); ++t) {
        const auto sample = static_cast<size_t>(split.test[t]);
        const SceneImage& image = scenes.images[static_cast<size_t>(image_indices[sample])];
        const int64_t predicted = head.test_predictions[t];
        correct[t][static_cast<size_t>(slot)] = predicted == labels[sample];
        outcomes.push_back(correct[t][static_cast<size_t>(slot)] ? 1.0 : 0.0);
        samples.rows.push_back({std::to_string(n), image.file.string(), std::to_string(slot),
                                slot == image.large_slot ? "large" : "small",
                                scenes.objects[static_cast<size_t>(labels[sample])],
                                scenes.objects[static_cast<size_t>(predicted)],
                                correct[t][static_cast<size_t>(slot)] ? "1" : "0"});
      }
      collector.add("ioc", "linear_probe", "probe_accuracy",
                    {{"n", n}, {"slot", slot}, {"split", "test"}}, outcomes, chance);
      nlohmann::json summary = head_summary(head, split);
      summary["n"] = n;
      summary["slot"] = slot;
      heads.push_back(std::move(summary));
    }

    // Size roles: one outcome per test image, so the bootstrap resamples images. For the small role
    // it is the share of the image's small slots predicted right.
    std::vector<double> large_outcomes;
    std::vector<double> small_outcomes;
    for (size_t t = 0; t < split.test.size(); ++t) {
      const SceneImage& image =
          scenes.images[static_cast<size_t>(image_indices[static_cast<size_t>(split.test[t])])];
      double small_correct = 0;
      for (int64_t slot = 0; slot < n; ++slot) {
        if (slot == image.large_slot) {
          large_outcomes.push_back(correct[t][static_cast<size_t>(slot)] ? 1.0 : 0.0);
        } else {
          small_correct += correct[t][static_cast<size_t>(slot)] ? 1.0 : 0.0;
        }
      }
      if (n > 1) small_outcomes.push_back(small_correct / static_cast<double>(n - 1));
    }
    collector.add("ioc", "linear_probe", "probe_accuracy",
                  {{"n", n}, {"size_role", "large"}, {"split", "test"}}, large_outcomes, chance);
    if (n > 1) {
      collector.add("ioc", "linear_probe", "probe_accuracy",
                    {{"n", n}, {"size_role", "small"}, {"split", "test"}}, small_outcomes, chance);
    }
  }
  return heads;
}

}  // namespace clipscope::experiments
