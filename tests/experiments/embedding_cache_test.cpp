#include "clipscope/experiments/embedding_cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "clipscope/error.h"
#include "clipscope/experiments/run_experiments.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/model/clip_encoder.h"
#include "stand_in_encoder.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kCacheShapes{"cube", "sphere", "cone", "torus"};

// A stand-in whose model fingerprint differs from StandInEncoder's only in the weights hash.
class RetrainedStandIn : public testing::StandInEncoder {
 public:
  using StandInEncoder::StandInEncoder;
  nlohmann::json identity() const override {
    nlohmann::json identity = StandInEncoder::identity();
    identity["weights_sha256"] = "retrained-weights";
    return identity;
  }
};

// Forwards to a stand-in and throws on every call after the first `calls_before_failure`, as a
// run killed part-way would stop.
class FailingEncoder : public model::Encoder {
 public:
  FailingEncoder(testing::StandInEncoder& inner, int calls_before_failure)
      : inner_(inner), calls_left_(calls_before_failure) {}
  nlohmann::json identity() const override { return inner_.identity(); }
  bool has_text_tower() const override { return true; }
  bool has_image_tower() const override { return true; }
  torch::Tensor encode_texts(const std::vector<std::string>& texts) override {
    if (calls_left_-- <= 0) fail(ErrorKind::kIo, "stand-in interrupted");
    return inner_.encode_texts(texts);
  }
  torch::Tensor encode_images(const std::vector<fs::path>& images) override {
    if (calls_left_-- <= 0) fail(ErrorKind::kIo, "stand-in interrupted");
    return inner_.encode_images(images);
  }

 private:
  testing::StandInEncoder& inner_;
  int calls_left_;
};

std::vector<std::string> numbered_texts(int count) {
  std::vector<std::string> texts;
  for (int i = 0; i < count; ++i)
    texts.push_back(kCacheShapes[i % 4] + " and " + kCacheShapes[(i / 4) % 4] + " " + std::to_string(i));
  return texts;
}

// Writes a scene set of stand-in "image" files, slot 1 large, as run_experiments_test.cpp does,
// but with three objects per image, enough images for the probes.
SceneSet make_scenes(const fs::path& folder) {
  SceneSet scenes;
  scenes.folder = folder;
  scenes.objects = kCacheShapes;
  for (const std::string& name : kCacheShapes) {
    io::write_file_atomic(folder / (name + ".ref"), name + ":1");
    scenes.references[name] = folder / (name + ".ref");
  }
  int counter = 0;
  for (const std::string& a : kCacheShapes) {
    for (const std::string& b : kCacheShapes) {
      for (const std::string& c : kCacheShapes) {
        if (a == b || b == c || a == c) continue;
        const auto file = folder / ("scene" + std::to_string(counter++) + ".img");
        io::write_file_atomic(file, a + ":0.2," + b + ":0.7," + c + ":0.1");
        scenes.images.push_back({file, {a, b, c}, 1, {0.2, 0.7, 0.1}});
      }
    }
  }
  write_scene_set(scenes, folder);
  return load_scene_set(folder);
}

ExperimentOptions all_experiments(const fs::path& vocabulary_file) {
  ExperimentOptions options;
  options.experiments = {"tor", "ior", "i2tor", "matching", "toc", "ioc"};
  options.bootstrap_resamples = 50;
  options.vocabulary = vocabulary_file.string();
  options.tor.object_counts = {2, 3};
  options.probe.epochs = 60;
  return options;
}

template <typename Function>
Error expect_error(Function&& function) {
  try {
    function();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "expected an Error";
  return Error(ErrorKind::kIo, "none");
}

TEST(EmbeddingCache, SecondEncodeReadsTheCache) {
  const fs::path file = testing::make_temp_dir() / "cache" / kEmbeddingCacheFileName;
  EmbeddingCache cache(file);
  testing::StandInEncoder stand_in(kCacheShapes);
  CachingEncoder encoder(stand_in, cache, {3});
  const std::vector<std::string> texts = numbered_texts(10);

  const torch::Tensor first = encoder.encode_texts(texts);
  EXPECT_EQ(stand_in.text_calls, 10);
  const torch::Tensor second = encoder.encode_texts(texts);
  EXPECT_EQ(stand_in.text_calls, 10);
  EXPECT_TRUE(torch::equal(first, second));
  EXPECT_TRUE(torch::equal(first, stand_in.encode_texts(texts)));
  EXPECT_EQ(encoder.cached_rows().at("text"), 10);
  EXPECT_EQ(encoder.encoded_rows().at("text"), 10);
  EXPECT_EQ(cache.size(), 10);
}

TEST(EmbeddingCache, RepeatedInputsAreEncodedOnce) {
  EmbeddingCache cache(testing::make_temp_dir() / kEmbeddingCacheFileName);
  testing::StandInEncoder stand_in(kCacheShapes);
  CachingEncoder encoder(stand_in, cache, {2});
  const torch::Tensor rows = encoder.encode_texts({"cube", "sphere", "cube", "cube", "cone"});
  EXPECT_EQ(stand_in.text_calls, 3);
  ASSERT_EQ(rows.size(0), 5);
  EXPECT_TRUE(torch::equal(rows[0], rows[2]));
  EXPECT_TRUE(torch::equal(rows[0], rows[3]));
  EXPECT_TRUE(
      torch::equal(rows, stand_in.encode_texts({"cube", "sphere", "cube", "cube", "cone"})));
}

TEST(EmbeddingCache, InterruptedEncodeKeepsFinishedBatches) {
  const fs::path file = testing::make_temp_dir() / kEmbeddingCacheFileName;
  const std::vector<std::string> texts = numbered_texts(10);
  {
    EmbeddingCache cache(file);
    testing::StandInEncoder stand_in(kCacheShapes);
    FailingEncoder failing(stand_in, 2);
    CachingEncoder encoder(failing, cache, {3});
    EXPECT_THROW(encoder.encode_texts(texts), Error);
    EXPECT_EQ(stand_in.text_calls, 6);  // two batches of 3
  }

  // a new process: the two finished batches are read back, the rest is encoded
  EmbeddingCache cache(file);
  EXPECT_EQ(cache.size(), 6);
  testing::StandInEncoder stand_in(kCacheShapes);
  CachingEncoder encoder(stand_in, cache, {3});
  const torch::Tensor rows = encoder.encode_texts(texts);
  EXPECT_EQ(stand_in.text_calls, 4);
  EXPECT_TRUE(torch::equal(rows, stand_in.encode_texts(texts)));
}

TEST(EmbeddingCache, OtherModelDoesNotReuseEntries) {
  EmbeddingCache cache(testing::make_temp_dir() / kEmbeddingCacheFileName);
  const std::vector<std::string> texts = numbered_texts(5);
  testing::StandInEncoder original(kCacheShapes);
  CachingEncoder(original, cache).encode_texts(texts);
  EXPECT_EQ(original.text_calls, 5);

  RetrainedStandIn retrained(kCacheShapes);
  CachingEncoder(retrained, cache).encode_texts(texts);
  EXPECT_EQ(retrained.text_calls, 5);
  EXPECT_EQ(cache.size(), 10);
  EXPECT_NE(embedding_source(encoder_fingerprint(original), "text").model,
            embedding_source(encoder_fingerprint(retrained), "text").model);
}

TEST(EmbeddingCache, ImagesAreKeyedByContent) {
  const fs::path folder = testing::make_temp_dir();
  io::write_file_atomic(folder / "a.img", "cube:0.7,cone:0.3");
  io::write_file_atomic(folder / "copy.img", "cube:0.7,cone:0.3");
  io::write_file_atomic(folder / "b.img", "torus:1");
  EmbeddingCache cache(folder / kEmbeddingCacheFileName);
  testing::StandInEncoder stand_in(kCacheShapes);
  CachingEncoder encoder(stand_in, cache);

  encoder.encode_images({folder / "a.img", folder / "b.img"});
  EXPECT_EQ(stand_in.image_calls, 2);
  const torch::Tensor copy = encoder.encode_images({folder / "copy.img"});
  EXPECT_EQ(stand_in.image_calls, 2);
  EXPECT_TRUE(torch::equal(copy, stand_in.encode_images({folder / "a.img"})));

  // new content under an old name is a new input
  const int64_t before = stand_in.image_calls;
  io::write_file_atomic(folder / "b.img", "sphere:1,cube:0.5");
  const torch::Tensor changed = encoder.encode_images({folder / "b.img"});
  EXPECT_EQ(stand_in.image_calls, before + 1);
  EXPECT_TRUE(torch::equal(changed, stand_in.encode_images({folder / "b.img"})));

  const Error missing = expect_error([&] { encoder.encode_images({folder / "missing.img"}); });
  EXPECT_EQ(missing.kind(), ErrorKind::kNotFound);
  EXPECT_NE(std::string(missing.what()).find("missing.img"), std::string::npos) << missing.what();
}

TEST(EmbeddingCache, GarbageFileIsRejected) {
  const fs::path file = testing::make_temp_dir() / kEmbeddingCacheFileName;
  io::write_file_atomic(file, std::string(4096, 'x'));
  const Error error = expect_error([&] { EmbeddingCache cache(file); });
  const std::string message = error.what();
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("delete the file"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(io::read_file(file), std::string(4096, 'x'));  // left as it was
}

TEST(EmbeddingCache, ForeignDatabaseIsRejected) {
  const fs::path file = testing::make_temp_dir() / kEmbeddingCacheFileName;
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &database), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(database, "CREATE TABLE photos(id INTEGER PRIMARY KEY)", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(database);

  const Error error = expect_error([&] { EmbeddingCache cache(file); });
  const std::string message = error.what();
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("another program"), std::string::npos) << message;
  EXPECT_NE(message.find("delete it"), std::string::npos) << message;
}

TEST(EmbeddingCache, OtherLayoutVersionIsRejected) {
  const fs::path file = testing::make_temp_dir() / kEmbeddingCacheFileName;
  { EmbeddingCache cache(file); }
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &database), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(database, "UPDATE clipscope_cache SET value = '99' WHERE key = 'version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(database);

  const Error error = expect_error([&] { EmbeddingCache cache(file); });
  EXPECT_NE(std::string(error.what()).find("layout version 99"), std::string::npos) << error.what();
}

TEST(EmbeddingCache, UnwritableFolderIsAnIoError) {
  const fs::path blocker = testing::make_temp_dir() / "not-a-folder";
  io::write_file_atomic(blocker, "a file");
  const Error error =
      expect_error([&] { EmbeddingCache cache(blocker / "sub" / kEmbeddingCacheFileName); });
  EXPECT_EQ(error.kind(), ErrorKind::kIo);
  EXPECT_NE(std::string(error.what()).find("--no-cache"), std::string::npos) << error.what();
}

TEST(EmbeddingCache, DefaultFolderFollowsXdg) {
  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  const char* old_home = std::getenv("HOME");
  const std::optional<std::string> saved_xdg =
      old_xdg ? std::optional<std::string>(old_xdg) : std::nullopt;
  const std::optional<std::string> saved_home =
      old_home ? std::optional<std::string>(old_home) : std::nullopt;

  setenv("XDG_CACHE_HOME", "/var/cache-test", 1);
  setenv("HOME", "/home/tester", 1);
  EXPECT_EQ(default_cache_folder(), fs::path("/var/cache-test/clipscope"));
  setenv("XDG_CACHE_HOME", "relative/path", 1);  // the XDG spec says to ignore relative paths
  EXPECT_EQ(default_cache_folder(), fs::path("/home/tester/.cache/clipscope"));
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  const Error error = expect_error([] { default_cache_folder(); });
  EXPECT_NE(std::string(error.what()).find("--cache"), std::string::npos) << error.what();

  if (saved_xdg) setenv("XDG_CACHE_HOME", saved_xdg->c_str(), 1);
  if (saved_home) setenv("HOME", saved_home->c_str(), 1);
}

TEST(EmbeddingCache, ClipFingerprintCoversTokenizerAndPreprocessing) {
  model::LoadOptions load;
  load.tokenizer = testing::shared_path("vocab/bpe_simple_vocab_16e6.txt.gz");
  auto encoder = model::CLIPEncoder::load(
      testing::shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu"), load);
  const EncoderFingerprint fingerprint = encoder_fingerprint(*encoder);
  EXPECT_FALSE(fingerprint.model.contains("weights"));
  EXPECT_EQ(fingerprint.model["weights_sha256"], encoder->identity()["weights_sha256"]);
  EXPECT_TRUE(fingerprint.model.contains("architecture"));
  EXPECT_EQ(fingerprint.text["bpe_sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(fingerprint.text.contains("context_length"));
  EXPECT_EQ(fingerprint.image["image_size"], encoder->preprocess_config().image_size);
  EXPECT_EQ(fingerprint.image["interpolation"], encoder->preprocess_config().interpolation);
}

// ---------------------------------------------------------------- through run_experiments

struct RunFixture {
  fs::path folder = testing::make_temp_dir();
  std::optional<SceneSet> scenes = make_scenes(folder / "scenes");
  ExperimentOptions options = all_experiments(write_vocabulary());

  fs::path write_vocabulary() const {
    io::write_file_atomic(folder / "vocab.txt", "cube\nsphere\ncone\ntorus\n");
    return folder / "vocab.txt";
  }
};

TEST(RunExperimentsCache, SecondRunEncodesNothing) {
  RunFixture fixture;
  fixture.options.cache_folder = fixture.folder / "cache";
  testing::StandInEncoder first(kCacheShapes);
  Results cold = run_experiments(first, fixture.scenes, fixture.options);
  // inputs shared by experiments are encoded once: 24 scenes and 4 references
  EXPECT_EQ(first.image_calls, 28);
  EXPECT_EQ(cold.document["embedding_cache"]["images_encoded"], 28);

  testing::StandInEncoder second(kCacheShapes);
  Results warm = run_experiments(second, fixture.scenes, fixture.options);
  EXPECT_EQ(second.text_calls, 0);
  EXPECT_EQ(second.image_calls, 0);
  EXPECT_EQ(warm.document["embedding_cache"]["texts_encoded"], 0);
  EXPECT_EQ(warm.document["embedding_cache"]["file"],
            (fixture.folder / "cache" / kEmbeddingCacheFileName).string());
}

TEST(RunExperimentsCache, ResultsMatchRunWithoutCache) {
  RunFixture fixture;
  testing::StandInEncoder plain_encoder(kCacheShapes);
  Results plain = run_experiments(plain_encoder, fixture.scenes, fixture.options);
  EXPECT_TRUE(plain.document["embedding_cache"].is_null());

  fixture.options.cache_folder = fixture.folder / "cache";
  for (const char* pass : {"cold", "warm"}) {
    testing::StandInEncoder encoder(kCacheShapes);
    Results cached = run_experiments(encoder, fixture.scenes, fixture.options);
    EXPECT_EQ(cached.document["metrics"], plain.document["metrics"]) << pass;
    EXPECT_EQ(cached.document["comparisons"], plain.document["comparisons"]) << pass;
    ASSERT_EQ(cached.samples.size(), plain.samples.size()) << pass;
    for (const auto& [name, table] : plain.samples) {
      EXPECT_EQ(cached.samples.at(name).to_csv(), table.to_csv()) << pass << " " << name;
    }
  }
}

TEST(RunExperimentsCache, InterruptedRunResumes) {
  RunFixture fixture;
  fixture.options.cache_folder = fixture.folder / "uninterrupted-cache";
  testing::StandInEncoder uninterrupted(kCacheShapes);
  run_experiments(uninterrupted, fixture.scenes, fixture.options);

  fixture.options.cache_folder = fixture.folder / "cache";
  testing::StandInEncoder before(kCacheShapes);
  FailingEncoder failing(before, 3);
  EXPECT_THROW(run_experiments(failing, fixture.scenes, fixture.options), Error);
  EXPECT_GT(before.text_calls, 0);

  // the resumed run encodes exactly what the interrupted one did not finish
  testing::StandInEncoder after(kCacheShapes);
  run_experiments(after, fixture.scenes, fixture.options);
  EXPECT_GT(after.text_calls, 0);
  EXPECT_EQ(before.text_calls + after.text_calls, uninterrupted.text_calls);
  EXPECT_EQ(before.image_calls + after.image_calls, uninterrupted.image_calls);
}

TEST(RunExperimentsCache, CorruptCacheFailsBeforeEncoding) {
  RunFixture fixture;
  fixture.options.cache_folder = fixture.folder / "cache";
  io::write_file_atomic(fixture.folder / "cache" / kEmbeddingCacheFileName,
                        std::string(2048, '\x01'));
  testing::StandInEncoder encoder(kCacheShapes);
  const Error error =
      expect_error([&] { run_experiments(encoder, fixture.scenes, fixture.options); });
  EXPECT_NE(std::string(error.what()).find(kEmbeddingCacheFileName), std::string::npos)
      << error.what();
  EXPECT_EQ(encoder.text_calls, 0);
}

// The CLI program links every area; while another area fails to link it is absent.
TEST(EvalCliCache, CorruptCacheIsOneErrorLine) {
  if (testing::cli_missing()) GTEST_SKIP() << "clipscope CLI not built: " << CLIPSCOPE_CLI_PATH;
  const fs::path folder = testing::make_temp_dir();
  io::write_file_atomic(folder / "cache" / kEmbeddingCacheFileName, std::string(4096, 'x'));
  const std::string model =
      testing::shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu").string();
  const std::string vocabulary =
      testing::shared_path("vocab/bpe_simple_vocab_16e6.txt.gz").string();
  setenv("CLIPSCOPE_BPE_PATH", vocabulary.c_str(), 1);
  const std::string command = "--log-level error eval --model " + testing::shell_quote(model) +
                              " --experiments tor --object-counts 2 " + "--bootstrap 20 --out " +
                              testing::shell_quote((folder / "out").string());

  testing::CommandResult result =
      testing::run_cli(command + " --cache " + testing::shell_quote((folder / "cache").string()));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find((folder / "cache" / kEmbeddingCacheFileName).string()),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("delete the file"), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(fs::exists(folder / "out" / "results.json"));

  result = testing::run_cli(command + " --no-cache");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(folder / "out" / "results.json"));
}

}  // namespace
}  // namespace clipscope::experiments
