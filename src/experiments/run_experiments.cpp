#include "clipscope/experiments/run_experiments.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "clipscope/error.h"
#include "clipscope/experiments/embedding_cache.h"
#include "clipscope/experiments/image_retrieval.h"
#include "clipscope/log.h"

namespace clipscope::experiments {
namespace {

const std::vector<std::string> kKnownExperiments{"tor", "ior", "i2tor", "matching", "toc", "ioc"};

bool needs_text(const std::string& id) { return id == "tor" || id == "i2tor" || id == "matching" || id == "toc"; }
bool needs_images(const std::string& id) { return id == "ior" || id == "i2tor" || id == "matching" || id == "ioc"; }

}  // namespace

void validate_experiment_ids(const std::vector<std::string>& experiments) {
  if (experiments.empty()) {
    fail(ErrorKind::kInvalidArgument, "no experiment requested; pass --experiments with some of tor,ior,i2tor,matching,toc,ioc");
  }
  std::set<std::string> seen;
  for (const std::string& id : experiments) {
    if (std::find(kKnownExperiments.begin(), kKnownExperiments.end(), id) == kKnownExperiments.end()) {
      fail(ErrorKind::kInvalidArgument, "unknown experiment \"{}\"; choose from tor,ior,i2tor,matching,toc,ioc", id);
    }
    if (!seen.insert(id).second) fail(ErrorKind::kInvalidArgument, "experiment \"{}\" is listed twice", id);
  }
}

void validate_request(const model::Encoder& encoder, const std::optional<SceneSet>& scenes,
                      const ExperimentOptions& options) {
  validate_experiment_ids(options.experiments);
  std::string name = encoder.identity().value("name", std::string("?"));
  for (const std::string& id : options.experiments) {
    if (needs_text(id) && !encoder.has_text_tower()) {
      fail(ErrorKind::kUnsupported, "model \"{}\" has no text tower, which experiment \"{}\" needs; drop it", name, id);
    }
    if (needs_images(id) && !encoder.has_image_tower()) {
      fail(ErrorKind::kUnsupported, "model \"{}\" has no image tower, which experiment \"{}\" needs; drop it", name, id);
    }
    if (needs_images(id) && !scenes) {
      fail(ErrorKind::kInvalidArgument, "experiment \"{}\" needs scene images; pass --dataset with a scene folder", id);
    }
  }
  if (options.bootstrap_resamples < 1) {
    fail(ErrorKind::kInvalidArgument, "bootstrap resamples {} must be at least 1", options.bootstrap_resamples);
  }
  if (!(options.confidence_level > 0.0 && options.confidence_level < 1.0)) {
    fail(ErrorKind::kInvalidArgument, "confidence level {} is outside (0, 1)", options.confidence_level);
  }
  for (int64_t n : options.tor.object_counts) {
    if (n < 1) fail(ErrorKind::kInvalidArgument, "object count {} must be at least 1", n);
  }
  if (options.tor.object_counts.empty()) fail(ErrorKind::kInvalidArgument, "TOR needs at least one object count");
  const auto& ids = options.experiments;
  if (std::find(ids.begin(), ids.end(), "toc") != ids.end() || std::find(ids.begin(), ids.end(), "ioc") != ids.end()) {
    validate_probe_options(options.probe);
  }
}

Results run_experiments(model::Encoder& model_encoder, const std::optional<SceneSet>& scenes,
                        const ExperimentOptions& options) {
  validate_request(model_encoder, scenes, options);
  auto run_start = std::chrono::steady_clock::now();
  Vocabulary vocabulary = load_vocabulary(options.vocabulary);

  // every experiment encodes through the cache, so shared inputs are encoded once
  std::unique_ptr<EmbeddingCache> cache;
  std::unique_ptr<CachingEncoder> caching_encoder;
  if (options.cache_folder) {
    cache = std::make_unique<EmbeddingCache>(*options.cache_folder / kEmbeddingCacheFileName);
    caching_encoder = std::make_unique<CachingEncoder>(model_encoder, *cache);
  }
  model::Encoder& encoder = caching_encoder ? *caching_encoder : model_encoder;

  Results results;
  MetricCollector collector({options.bootstrap_resamples, options.confidence_level, options.seed});
  nlohmann::json experiments = nlohmann::json::object();
  nlohmann::json timings = nlohmann::json::object();
  MatchingOptions matching = options.matching;
  if (!options.matching_distractors_set) {
    matching.distractors =
        options.compat == Compat::kReference ? DistractorStyle::kReference : DistractorStyle::kPaper;
  }

  for (const std::string& id : options.experiments) {
    auto start = std::chrono::steady_clock::now();
    CsvTable table;
    nlohmann::json settings;
    nlohmann::json heads;
    log::info("running experiment {}", id);
    if (id == "tor") {
      run_tor(encoder, vocabulary, options.tor, options.compat, options.seed, collector, table);
      settings = {{"object_counts", options.tor.object_counts}, {"max_captions", options.tor.max_captions},
                  {"article", options.tor.article}, {"template_variant", options.tor.template_variant},
                  {"sum_variant", options.tor.sum_variant}, {"size_variants", options.tor.size_variants}};
    } else if (id == "ior") {
      run_ior(encoder, *scenes, options.compat, collector, table);
    } else if (id == "i2tor") {
      run_i2tor(encoder, *scenes, options.i2tor_template, options.compat, collector, table);
      settings = {{"text_template", options.i2tor_template}};
    } else if (id == "matching") {
      run_matching(encoder, *scenes, matching, collector, table);
      settings = {{"distractors", matching.distractors == DistractorStyle::kPaper ? "paper" : "reference"},
                  {"aggregations", matching.aggregations}, {"article", matching.article}};
    } else if (id == "toc") {
      heads = run_toc(encoder, vocabulary, options.tor, options.probe, options.seed, collector, table);
      settings = probe_settings(options.probe);
      settings["object_counts"] = options.tor.object_counts;
      settings["max_captions"] = options.tor.max_captions;
      settings["article"] = options.tor.article;
    } else {
      heads = run_ioc(encoder, *scenes, options.probe, options.seed, collector, table);
      settings = probe_settings(options.probe);
    }
    std::set<std::string> variants;
    for (const auto& record : collector.metrics()) {
      if (record["experiment"] == id) variants.insert(record["variant"].get<std::string>());
    }
    std::string file_name = id + "_samples.csv";
    experiments[id] = {{"settings", settings.is_null() ? nlohmann::json::object() : settings},
                       {"samples_file", file_name},
                       {"sample_count", table.rows.size()},
                       {"variants", variants}};
    if (!heads.is_null()) experiments[id]["heads"] = heads;
    results.samples[file_name] = std::move(table);
    timings[id] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  nlohmann::json dataset = nullptr;
  if (scenes) {
    size_t per_image = scenes->images.empty() ? 0 : scenes->images.front().objects.size();
    dataset = {{"path", scenes->folder.string()}, {"manifest_sha256", scenes->manifest_sha256},
               {"images", scenes->images.size()}, {"objects", scenes->objects}, {"objects_per_image", per_image}};
  }
  std::string vocabulary_text;
  for (const std::string& name : vocabulary.names) vocabulary_text += name + "\n";
  nlohmann::json document;
  document["schema"] = "clipscope.results";
  document["schema_version"] = kResultsSchemaVersion;
  document["clipscope_version"] = CLIPSCOPE_VERSION;
  document["created_utc"] = utc_timestamp();
  document["model"] = encoder.identity();
  document["dataset"] = dataset;
  document["options"] = {{"experiments", options.experiments},
                         {"compat", compat_name(options.compat)},
                         {"seed", options.seed},
                         {"bootstrap_resamples", options.bootstrap_resamples},
                         {"confidence_level", options.confidence_level},
                         {"vocabulary",
                          {{"name", vocabulary.name}, {"size", vocabulary.names.size()},
                           {"sha256", sha256_hex(vocabulary_text)}}},
                         {"template", options.tor.templates.empty() ? nlohmann::json(builtin_long_template())
                                                                     : nlohmann::json(options.tor.templates)}};
  document["experiments"] = experiments;
  document["metrics"] = collector.metrics();
  document["comparisons"] = collector.comparisons();
  document["embedding_cache"] = nullptr;
  if (caching_encoder) {
    const auto& cached = caching_encoder->cached_rows();
    const auto& encoded = caching_encoder->encoded_rows();
    auto count = [](const std::map<std::string, int64_t>& rows, const char* tower) {
      const auto found = rows.find(tower);
      return found == rows.end() ? int64_t{0} : found->second;
    };
    document["embedding_cache"] = {{"file", cache->file().string()},
                                   {"texts_cached", count(cached, "text")},
                                   {"texts_encoded", count(encoded, "text")},
                                   {"images_cached", count(cached, "image")},
                                   {"images_encoded", count(encoded, "image")}};
    log::info("embedding cache \"{}\": {} texts and {} images reused, {} texts and {} images encoded",
              cache->file().string(), count(cached, "text"), count(cached, "image"), count(encoded, "text"),
              count(encoded, "image"));
  }
  document["timings"] = {
      {"total_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count()},
      {"experiments", timings}};
  results.document = std::move(document);
  return results;
}

Results run_and_write(model::Encoder& encoder, const std::optional<std::filesystem::path>& dataset_folder,
                      const ExperimentOptions& options, const std::filesystem::path& output_folder) {
  std::optional<SceneSet> scenes;
  if (dataset_folder) scenes = load_scene_set(*dataset_folder);
  Results results = run_experiments(encoder, scenes, options);
  try {
    write_results(results, output_folder);
  } catch (const std::filesystem::filesystem_error& error) {
    fail(ErrorKind::kIo, "cannot write results into {}: {}", output_folder.string(), error.what());
  }
  return results;
}

}  // namespace clipscope::experiments
