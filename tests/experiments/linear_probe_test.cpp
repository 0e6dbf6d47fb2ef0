#include "clipscope/experiments/linear_probe.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>
#include <set>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "stand_in_encoder.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

// A probe on labels that are linearly encoded with little noise should make at most a few test
// mistakes.
constexpr double kSeparableAccuracy = 0.97;
// Random labels: the test accuracy stays within about three standard errors of chance.
constexpr double kChanceMargin = 0.1;

const std::vector<std::string> kProbeShapes{"cube", "sphere", "cone", "torus", "prism", "ring"};

// Encodes a plain caption "a and b and c" as the concatenated one-hot vectors of its names, one
// block per caption position, so every position's object is linearly decodable. An "image" file
// "a,b,c" is encoded the same way, one block per slot.
class PositionalEncoder : public model::Encoder {
 public:
  explicit PositionalEncoder(std::vector<std::string> names, int64_t positions)
      : names_(std::move(names)), positions_(positions) {}

  nlohmann::json identity() const override {
    return {{"name", "positional"},
            {"weights_sha256", "positional"},
            {"activation", "none"},
            {"preprocess", "none"},
            {"embed_dim", dimension()}};
  }
  bool has_text_tower() const override { return true; }
  bool has_image_tower() const override { return true; }

  torch::Tensor encode_texts(const std::vector<std::string>& texts) override {
    std::vector<std::vector<std::string>> rows;
    for (const std::string& text : texts) {
      std::vector<std::string> names;
      size_t start = 0;
      for (size_t at = text.find(" and "); at != std::string::npos;
           at = text.find(" and ", start)) {
        names.push_back(text.substr(start, at - start));
        start = at + 5;
      }
      names.push_back(text.substr(start));
      rows.push_back(names);
    }
    return encode(rows);
  }

  torch::Tensor encode_images(const std::vector<std::filesystem::path>& images) override {
    std::vector<std::vector<std::string>> rows;
    for (const auto& file : images) {
      std::vector<std::string> names;
      std::istringstream parts(io::read_file(file));
      std::string part;
      while (std::getline(parts, part, ',')) names.push_back(part);
      rows.push_back(names);
    }
    return encode(rows);
  }

 private:
  int64_t dimension() const { return static_cast<int64_t>(names_.size()) * positions_ + 1; }

  torch::Tensor encode(const std::vector<std::vector<std::string>>& rows) const {
    torch::Tensor out = torch::zeros({static_cast<int64_t>(rows.size()), dimension()});
    for (size_t row = 0; row < rows.size(); ++row) {
      for (size_t position = 0; position < rows[row].size(); ++position) {
        const auto index =
            std::find(names_.begin(), names_.end(), rows[row][position]) - names_.begin();
        out[static_cast<int64_t>(row)][static_cast<int64_t>(position * names_.size()) + index] =
            1.0;
      }
      out[static_cast<int64_t>(row)][dimension() - 1] = 0.5;
    }
    return out;
  }

  std::vector<std::string> names_;
  int64_t positions_;
};

// Gaussian features and uniform labels from std generators, independent of torch's global seed.
struct SyntheticData {
  torch::Tensor features;  // [N, D]
  torch::Tensor labels;    // [N]
};

SyntheticData random_data(int64_t count, int64_t dimension, int64_t classes, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  SyntheticData data{torch::empty({count, dimension}), torch::empty({count}, torch::kLong)};
  auto features = data.features.accessor<float, 2>();
  auto labels = data.labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t d = 0; d < dimension; ++d) features[i][d] = normal(generator);
    labels[i] = static_cast<int64_t>(generator() % static_cast<uint64_t>(classes));
  }
  return data;
}

// Features of two positions: one-hot blocks of each position's label plus Gaussian noise.
SyntheticData encoded_data(int64_t count, int64_t classes, uint64_t seed,
                           torch::Tensor& second_labels) {
  SyntheticData data = random_data(count, 2 * classes, classes, seed);
  data.features *= 0.05;
  SyntheticData second = random_data(count, 1, classes, seed + 1);
  second_labels = second.labels;
  for (int64_t i = 0; i < count; ++i) {
    data.features[i][data.labels[i].item<int64_t>()] += 1.0;
    data.features[i][classes + second_labels[i].item<int64_t>()] += 1.0;
  }
  return data;
}

double test_accuracy(const ProbeHead& head, const ProbeSplit& split, const torch::Tensor& labels) {
  int64_t correct = 0;
  for (size_t t = 0; t < split.test.size(); ++t)
    correct += head.test_predictions[t] == labels[split.test[t]].item<int64_t>();
  return static_cast<double>(correct) / static_cast<double>(split.test.size());
}

template <typename Function>
std::string error_message(Function&& function) {
  try {
    function();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "expected an Error";
  return {};
}

const nlohmann::json* find_probe_metric(const nlohmann::json& metrics, const std::string& experiment,
                                  const nlohmann::json& labels) {
  for (const auto& record : metrics) {
    if (record["experiment"] == experiment && record["metric"] == "probe_accuracy" &&
        record["labels"] == labels) {
      return &record;
    }
  }
  return nullptr;
}

// Writes one "image" per ordered triple of distinct shapes. Content "name,name,name" for the
// positional encoder, or "name:weight,..." for the stand-in. The large object is in slot 1 for the
// stand-in, because a slot head cannot tell which slot a vector coordinate came from, and in slot
// (index mod 3) otherwise.
SceneSet triple_scenes(const std::filesystem::path& folder, bool weighted) {
  SceneSet scenes;
  scenes.folder = folder;
  scenes.objects = kProbeShapes;
  int index = 0;
  for (const std::string& a : kProbeShapes) {
    for (const std::string& b : kProbeShapes) {
      for (const std::string& c : kProbeShapes) {
        if (a == b || b == c || a == c) continue;
        const std::vector<std::string> objects{a, b, c};
        const int64_t large = weighted ? 1 : index % 3;
        std::string content;
        for (size_t slot = 0; slot < 3; ++slot) {
          if (slot > 0) content += ",";
          content += objects[slot];
          if (weighted) content += static_cast<int64_t>(slot) == large ? ":0.8" : ":0.2";
        }
        const auto file = folder / ("scene" + std::to_string(index++) + ".img");
        io::write_file_atomic(file, content);
        scenes.images.push_back({file, objects, large, {}});
      }
    }
  }
  return scenes;
}

TEST(SplitSamples, SizesAndDisjointCover) {
  ProbeSplit split = split_samples(100, ProbeOptions{}, 7);
  EXPECT_EQ(split.train.size(), 60u);
  EXPECT_EQ(split.validation.size(), 20u);
  EXPECT_EQ(split.test.size(), 20u);
  std::set<int64_t> all;
  for (const auto* part : {&split.train, &split.validation, &split.test}) {
    EXPECT_TRUE(std::is_sorted(part->begin(), part->end()));
    all.insert(part->begin(), part->end());
  }
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), 99);
}

TEST(SplitSamples, SeedDecidesTheSplit) {
  ProbeSplit first = split_samples(50, ProbeOptions{}, 3);
  ProbeSplit again = split_samples(50, ProbeOptions{}, 3);
  ProbeSplit other = split_samples(50, ProbeOptions{}, 4);
  EXPECT_EQ(first.train, again.train);
  EXPECT_EQ(first.test, again.test);
  EXPECT_NE(first.test, other.test);
}

TEST(SplitSamples, EmptySplitIsAnError) {
  // 3 samples: 2 train, 1 validation, no test sample
  const std::string message = error_message([] { split_samples(3, ProbeOptions{}, 0, "TOC n=2"); });
  EXPECT_NE(message.find("TOC n=2"), std::string::npos) << message;
  EXPECT_NE(message.find("test split is empty"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_NO_THROW(split_samples(5, ProbeOptions{}, 0));
}

TEST(ProbeOptions, BadSettingsAreErrors) {
  ProbeOptions epochs;
  epochs.epochs = 0;
  EXPECT_NE(error_message([&] { validate_probe_options(epochs); }).find("epochs 0"),
            std::string::npos);
  ProbeOptions rate;
  rate.learning_rate = -1;
  EXPECT_NE(error_message([&] { validate_probe_options(rate); }).find("learning rate"),
            std::string::npos);
  ProbeOptions fractions;
  fractions.train_fraction = 0.8;
  fractions.validation_fraction = 0.2;
  EXPECT_NE(error_message([&] { validate_probe_options(fractions); }).find("test share"),
            std::string::npos);
}

TEST(TrainLinearProbe, LinearlyEncodedLabelsAreLearned) {
  torch::Tensor second_labels;
  SyntheticData data = encoded_data(400, 8, 11, second_labels);
  ProbeSplit split = split_samples(400, ProbeOptions{}, 5);
  for (const torch::Tensor& labels : {data.labels, second_labels}) {
    ProbeHead head = train_linear_probe(data.features, labels, 8, split, ProbeOptions{});
    ASSERT_EQ(head.test_predictions.size(), split.test.size());
    EXPECT_GE(test_accuracy(head, split, labels), kSeparableAccuracy);
    EXPECT_GE(head.train_accuracy, kSeparableAccuracy);
    EXPECT_GT(head.best_epoch, 0);
    EXPECT_LE(head.best_epoch, head.epochs_run);
  }
}

TEST(TrainLinearProbe, RandomLabelsStayNearChance) {
  SyntheticData data = random_data(1000, 16, 4, 21);
  ProbeSplit split = split_samples(1000, ProbeOptions{}, 2);
  ProbeHead head = train_linear_probe(data.features, data.labels, 4, split, ProbeOptions{});
  EXPECT_NEAR(test_accuracy(head, split, data.labels), 0.25, kChanceMargin);
}

TEST(TrainLinearProbe, SameInputGivesSamePredictions) {
  SyntheticData data = random_data(200, 8, 5, 4);
  ProbeSplit split = split_samples(200, ProbeOptions{}, 9);
  ProbeHead first = train_linear_probe(data.features, data.labels, 5, split, ProbeOptions{});
  ProbeHead second = train_linear_probe(data.features, data.labels, 5, split, ProbeOptions{});
  EXPECT_EQ(first.test_predictions, second.test_predictions);
  EXPECT_EQ(first.best_epoch, second.best_epoch);
  EXPECT_EQ(first.validation_accuracy, second.validation_accuracy);
}

TEST(TrainLinearProbe, BadInputIsAnError) {
  SyntheticData data = random_data(20, 4, 3, 1);
  ProbeSplit split = split_samples(20, ProbeOptions{}, 1);

  std::string message = error_message([&] {
    train_linear_probe(data.features, data.labels, 30, split, ProbeOptions{}, "IOC n=3 slot 0");
  });
  EXPECT_NE(message.find("IOC n=3 slot 0: 20 samples for 30 classes"), std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);

  ProbeSplit empty = split;
  empty.validation.clear();
  message = error_message(
      [&] { train_linear_probe(data.features, data.labels, 3, empty, ProbeOptions{}); });
  EXPECT_NE(message.find("validation split is empty"), std::string::npos) << message;

  message = error_message(
      [&] { train_linear_probe(data.features, data.labels + 3, 3, split, ProbeOptions{}); });
  EXPECT_NE(message.find("outside the 3 classes"), std::string::npos) << message;

  message = error_message([&] {
    train_linear_probe(data.features, data.labels.narrow(0, 0, 10), 3, split, ProbeOptions{});
  });
  EXPECT_NE(message.find("[20, 4]"), std::string::npos) << message;

  ProbeSplit outside = split;
  outside.test.push_back(20);
  message = error_message(
      [&] { train_linear_probe(data.features, data.labels, 3, outside, ProbeOptions{}); });
  EXPECT_NE(message.find("index 20"), std::string::npos) << message;
}

TEST(Toc, LinearlyEncodedPositionsAreLearned) {
  Vocabulary vocabulary{"shapes", kProbeShapes};
  PositionalEncoder encoder(kProbeShapes, 3);
  TorOptions tor;
  tor.object_counts = {2, 3};
  MetricCollector collector({50, 0.95, 1});
  CsvTable samples;
  nlohmann::json heads = run_toc(encoder, vocabulary, tor, ProbeOptions{}, 3, collector, samples);
  ASSERT_EQ(heads.size(), 5u);  // 2 + 3 positions

  for (int64_t n : {2, 3}) {
    for (int64_t position = 0; position < n; ++position) {
      const nlohmann::json* record = find_probe_metric(
          collector.metrics(), "toc", {{"n", n}, {"position", position}, {"split", "test"}});
      ASSERT_NE(record, nullptr) << n << " " << position;
      EXPECT_GE((*record)["value"].get<double>(), kSeparableAccuracy) << n << " " << position;
      EXPECT_NEAR((*record)["chance"].get<double>(), 1.0 / 6, 1e-12);
      EXPECT_LE((*record)["ci_low"].get<double>(), (*record)["value"].get<double>());
      EXPECT_EQ((*record)["variant"], "linear_probe");
    }
  }
  // 30 and 120 captions: test splits of 6 and 24 captions, one row per position
  EXPECT_EQ(samples.rows.size(), 6u * 2 + 24u * 3);
  EXPECT_EQ(samples.header.size(), samples.rows.front().size());
  EXPECT_EQ(heads[0]["test_samples"], 6);
}

TEST(Toc, StandInFirstPositionIsDecodable) {
  Vocabulary vocabulary{"shapes", kProbeShapes};
  testing::StandInEncoder encoder(kProbeShapes);
  TorOptions tor;
  tor.object_counts = {3};
  MetricCollector collector({50, 0.95, 1});
  CsvTable samples;
  run_toc(encoder, vocabulary, tor, ProbeOptions{}, 3, collector, samples);
  const nlohmann::json* first =
      find_probe_metric(collector.metrics(), "toc", {{"n", 3}, {"position", 0}, {"split", "test"}});
  ASSERT_NE(first, nullptr);
  EXPECT_GE((*first)["value"].get<double>(), 0.9);
}

TEST(Toc, SameSeedGivesIdenticalNumbers) {
  Vocabulary vocabulary{"shapes", kProbeShapes};
  testing::StandInEncoder encoder(kProbeShapes);
  TorOptions tor;
  tor.object_counts = {3};
  auto run = [&](uint64_t seed, CsvTable& samples) {
    MetricCollector collector({50, 0.95, seed});
    run_toc(encoder, vocabulary, tor, ProbeOptions{}, seed, collector, samples);
    return collector.metrics();
  };
  CsvTable first_samples;
  CsvTable second_samples;
  CsvTable other_samples;
  EXPECT_EQ(run(8, first_samples), run(8, second_samples));
  EXPECT_EQ(first_samples.rows, second_samples.rows);
  run(9, other_samples);
  EXPECT_NE(first_samples.rows, other_samples.rows);
}

TEST(Ioc, LinearlyEncodedSlotsAreLearned) {
  SceneSet scenes = triple_scenes(testing::make_temp_dir(), false);
  PositionalEncoder encoder(kProbeShapes, 3);
  MetricCollector collector({50, 0.95, 1});
  CsvTable samples;
  nlohmann::json heads = run_ioc(encoder, scenes, ProbeOptions{}, 4, collector, samples);
  ASSERT_EQ(heads.size(), 3u);
  for (int64_t slot = 0; slot < 3; ++slot) {
    const nlohmann::json* record =
        find_probe_metric(collector.metrics(), "ioc", {{"n", 3}, {"slot", slot}, {"split", "test"}});
    ASSERT_NE(record, nullptr) << slot;
    EXPECT_GE((*record)["value"].get<double>(), kSeparableAccuracy) << slot;
  }
  for (const char* role : {"large", "small"}) {
    const nlohmann::json* record =
        find_probe_metric(collector.metrics(), "ioc", {{"n", 3}, {"size_role", role}, {"split", "test"}});
    ASSERT_NE(record, nullptr) << role;
    EXPECT_GE((*record)["value"].get<double>(), kSeparableAccuracy) << role;
    EXPECT_EQ((*record)["n"], 24) << role;  // 120 images, 20% test
  }
  EXPECT_EQ(samples.rows.size(), 24u * 3);
}

TEST(Ioc, StandInFavoursTheLargeObject) {
  SceneSet scenes = triple_scenes(testing::make_temp_dir(), true);
  testing::StandInEncoder encoder(kProbeShapes);
  MetricCollector collector({50, 0.95, 1});
  CsvTable samples;
  run_ioc(encoder, scenes, ProbeOptions{}, 4, collector, samples);
  const nlohmann::json* large = find_probe_metric(collector.metrics(), "ioc",
                                            {{"n", 3}, {"size_role", "large"}, {"split", "test"}});
  const nlohmann::json* small = find_probe_metric(collector.metrics(), "ioc",
                                            {{"n", 3}, {"size_role", "small"}, {"split", "test"}});
  ASSERT_NE(large, nullptr);
  ASSERT_NE(small, nullptr);
  EXPECT_GT((*large)["value"].get<double>(), (*small)["value"].get<double>() + 0.3);
}

TEST(Ioc, TooFewImagesIsAnError) {
  SceneSet scenes = triple_scenes(testing::make_temp_dir(), false);
  scenes.images.resize(4);  // 4 images for 6 classes
  PositionalEncoder encoder(kProbeShapes, 3);
  MetricCollector collector({50, 0.95, 1});
  CsvTable samples;
  const std::string message =
      error_message([&] { run_ioc(encoder, scenes, ProbeOptions{}, 4, collector, samples); });
  EXPECT_NE(message.find("4 samples for 6 classes"), std::string::npos) << message;
}

// The CLI program links every area; while another area fails to link it is absent.
TEST(ProbeCli, RunWithProbesThenEval) {
  if (testing::cli_missing()) GTEST_SKIP() << "clipscope CLI not built: " << CLIPSCOPE_CLI_PATH;
  namespace fs = std::filesystem;
  const fs::path folder = testing::make_temp_dir();
  const std::string model =
      testing::shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu").string();
  const std::string vocabulary =
      testing::shared_path("vocab/bpe_simple_vocab_16e6.txt.gz").string();
  setenv("CLIPSCOPE_BPE_PATH", vocabulary.c_str(), 1);
  const std::string cache = " --cache " + testing::shell_quote((folder / "cache").string());

  // 24 scenes: enough images for the 18 SimCO classes
  testing::CommandResult result =
      testing::run_cli("--log-level warn run --model " + testing::shell_quote(model) +
                       " --experiments ior --probes --scenes 24 --scene-size 64 --out " +
                       testing::shell_quote((folder / "run").string()) + cache);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json run =
      nlohmann::json::parse(io::read_file(folder / "run" / "results" / "results.json"));
  EXPECT_EQ(run["options"]["experiments"], nlohmann::json({"ior", "toc", "ioc"}));
  EXPECT_NE(find_probe_metric(run["metrics"], "toc", {{"n", 2}, {"position", 0}, {"split", "test"}}),
            nullptr);
  EXPECT_NE(
      find_probe_metric(run["metrics"], "ioc", {{"n", 3}, {"size_role", "large"}, {"split", "test"}}),
      nullptr);
  EXPECT_TRUE(fs::exists(folder / "run" / "results" / "toc_samples.csv"));
  const std::string report = io::read_file(folder / "run" / "report.md");
  EXPECT_NE(report.find("Text-based object classification (TOC)"), std::string::npos);
  EXPECT_NE(report.find("Probe accuracy by size role"), std::string::npos);

  // eval on the scenes the run rendered, with the cache the run filled
  fs::path scenes;
  for (const auto& entry : fs::directory_iterator(folder / "run" / "cache")) scenes = entry.path();
  ASSERT_FALSE(scenes.empty());
  result = testing::run_cli("--log-level warn eval --model " + testing::shell_quote(model) +
                            " --experiments toc,ioc --object-counts 2 --bootstrap 50 --dataset " +
                            testing::shell_quote(scenes.string()) + " --out " +
                            testing::shell_quote((folder / "eval").string()) + cache);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json eval =
      nlohmann::json::parse(io::read_file(folder / "eval" / "results.json"));
  EXPECT_EQ(eval["embedding_cache"]["texts_encoded"], 0);
  EXPECT_EQ(eval["embedding_cache"]["images_encoded"], 0);
  EXPECT_GT(eval["embedding_cache"]["texts_cached"].get<int64_t>(), 0);
  EXPECT_EQ(eval["experiments"]["toc"]["heads"].size(), 2u);
  EXPECT_EQ(eval["experiments"]["ioc"]["heads"].size(), 3u);
}

}  // namespace
}  // namespace clipscope::experiments
