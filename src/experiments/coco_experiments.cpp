#include "clipscope/experiments/coco_experiments.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "clipscope/error.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/log.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool needs_coco(const std::string& id) { return id.rfind("coco-", 0) == 0; }
bool needs_captions(const std::string& id) { return id == "coco-tor" || id == "coco-matching"; }
bool coco_needs_text(const std::string& id) { return id == "coco-tor" || id == "coco-i2tor" || id == "coco-matching"; }
bool coco_needs_images(const std::string& id) { return id != "coco-tor"; }

bool requested(const RealDataOptions& options, const std::string& id) {
  return std::find(options.experiments.begin(), options.experiments.end(), id) != options.experiments.end();
}

// The instances file read_coco_folder reads: instances_*.json in DIR/annotations, else in DIR.
fs::path instances_file(const fs::path& folder) {
  for (const fs::path& candidate : {folder / "annotations", folder}) {
    std::error_code error;
    if (!fs::is_directory(candidate, error)) continue;
    for (const auto& entry : fs::directory_iterator(candidate)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("instances_", 0) == 0 && entry.path().extension() == ".json") return entry.path();
    }
  }
  return {};
}

void validate_options(const RealDataOptions& options) {
  if (options.experiments.empty()) {
    fail(ErrorKind::kInvalidArgument, "no real-data experiment requested; pass --experiments with some of "
         "coco-tor,coco-ior,coco-i2tor,coco-matching,attention");
  }
  std::set<std::string> seen;
  for (const std::string& id : options.experiments) {
    if (!is_real_data_experiment(id)) {
      fail(ErrorKind::kInvalidArgument, "unknown real-data experiment \"{}\"; choose from coco-tor,coco-ior,"
           "coco-i2tor,coco-matching,attention", id);
    }
    if (!seen.insert(id).second) fail(ErrorKind::kInvalidArgument, "experiment \"{}\" is listed twice", id);
    if (needs_coco(id) && options.coco.empty()) {
      fail(ErrorKind::kInvalidArgument, "experiment \"{}\" needs COCO annotations; pass --coco with a COCO folder", id);
    }
    if (id == "attention" && options.coco.empty() && options.scenes.empty()) {
      fail(ErrorKind::kInvalidArgument, "experiment \"attention\" needs object masks; pass --coco with a COCO folder "
           "or --dataset with a scene set rendered with --masks");
    }
  }
  if (options.bootstrap_resamples < 1) {
    fail(ErrorKind::kInvalidArgument, "bootstrap resamples {} must be at least 1", options.bootstrap_resamples);
  }
  if (!(options.confidence_level > 0.0 && options.confidence_level < 1.0)) {
    fail(ErrorKind::kInvalidArgument, "confidence level {} is outside (0, 1)", options.confidence_level);
  }
  if (options.retrieval.max_objects < 2) {
    fail(ErrorKind::kInvalidArgument, "max objects {} is below 2; pass --max-objects 2 or more",
         options.retrieval.max_objects);
  }
  if (options.distractors < 1) {
    fail(ErrorKind::kInvalidArgument, "distractor count {} is below 1; pass --matching-distractors 1 or more",
         options.distractors);
  }
  if (options.attention.figures < 0) {
    fail(ErrorKind::kInvalidArgument, "attention figure count {} is negative; pass 0 or more",
         options.attention.figures);
  }
  if (options.attention.block && *options.attention.block < 0) {
    fail(ErrorKind::kInvalidArgument, "attention block {} is negative; blocks count from 0", *options.attention.block);
  }
  if (requested(options, "coco-i2tor") && options.retrieval.text_template.find("{}") == std::string::npos) {
    fail(ErrorKind::kInvalidArgument, "coco-i2tor text template \"{}\" has no {{}} for the category name",
         options.retrieval.text_template);
  }
}

void read_coco_inputs(const RealDataOptions& options, RealDataInputs& inputs) {
  const bool captions = std::any_of(options.experiments.begin(), options.experiments.end(), needs_captions);
  inputs.coco = io::read_coco_folder(options.coco, captions);
  inputs.instances_sha256 = sha256_hex(io::read_file(instances_file(options.coco)));
  for (const io::CocoCategory& category : inputs.coco->categories) inputs.categories.push_back(category.name);

  const fs::path synonyms = options.synonyms.empty() ? default_synonyms_path() : options.synonyms;
  inputs.matcher.emplace(inputs.categories, read_synonyms(synonyms));
  inputs.images = multi_object_images(collect_image_objects(*inputs.coco, options.area_source));
  if (inputs.images.empty()) {
    fail(ErrorKind::kInvalidArgument, "COCO folder \"{}\" has no image with two or more annotated categories; pass a "
         "folder with multi-object images", options.coco.string());
  }
  if (captions) {
    inputs.captions = multi_object_captions(collect_caption_objects(*inputs.coco, *inputs.matcher, options.area_source));
    if (inputs.captions.empty()) {
      fail(ErrorKind::kInvalidArgument, "no caption in COCO folder \"{}\" mentions two annotated categories; check the "
           "captions file or extend the synonym table", options.coco.string());
    }
  }
}

json coco_dataset_json(const RealDataOptions& options, const RealDataInputs& inputs) {
  return {{"kind", "coco"},
          {"path", options.coco.string()},
          {"manifest_sha256", inputs.instances_sha256},
          {"images", inputs.images.size()},
          {"captions", inputs.captions.size()},
          {"objects", inputs.categories},
          {"objects_per_image", nullptr},
          {"area_source", area_source_name(options.area_source)}};
}

json scene_dataset_json(const RealDataOptions& options, const RealDataInputs& inputs) {
  std::set<std::string> names;
  for (const scenes::ManifestRow& row : inputs.scenes->rows) names.insert(row.objects.begin(), row.objects.end());
  const size_t per_image = inputs.scenes->rows.empty() ? 0 : inputs.scenes->rows.front().objects.size();
  return {{"kind", "scenes"},
          {"path", options.scenes.string()},
          {"manifest_sha256", inputs.manifest_sha256},
          {"images", inputs.scenes->rows.size()},
          {"objects", names},
          {"objects_per_image", per_image}};
}

// Checks every requested experiment against the encoder before anything is computed.
void validate_encoder(model::Encoder& encoder, const RealDataOptions& options) {
  const std::string name = encoder.identity().value("name", std::string("?"));
  for (const std::string& id : options.experiments) {
    if (coco_needs_text(id) && !encoder.has_text_tower()) {
      fail(ErrorKind::kUnsupported, "model \"{}\" has no text tower, which experiment \"{}\" needs; drop it", name, id);
    }
    if (coco_needs_images(id) && !encoder.has_image_tower()) {
      fail(ErrorKind::kUnsupported, "model \"{}\" has no image tower, which experiment \"{}\" needs; drop it", name, id);
    }
  }
  if (requested(options, "attention")) make_attention_model(encoder);
}

}  // namespace

const std::vector<std::string>& real_data_experiment_ids() {
  static const std::vector<std::string> ids{"coco-tor", "coco-ior", "coco-i2tor", "coco-matching", "attention"};
  return ids;
}

bool is_real_data_experiment(std::string_view id) {
  const auto& ids = real_data_experiment_ids();
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

ExperimentSplit split_experiment_ids(const std::vector<std::string>& ids) {
  if (ids.empty()) {
    fail(ErrorKind::kInvalidArgument, "no experiment requested; pass --experiments with some of tor,ior,i2tor,matching,"
         "toc,ioc,coco-tor,coco-ior,coco-i2tor,coco-matching,attention");
  }
  ExperimentSplit split;
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) fail(ErrorKind::kInvalidArgument, "experiment \"{}\" is listed twice", id);
    if (is_real_data_experiment(id)) {
      split.real_data.push_back(id);
      continue;
    }
    try {
      validate_experiment_ids({id});
    } catch (const Error&) {
      fail(ErrorKind::kInvalidArgument, "unknown experiment \"{}\"; choose from tor,ior,i2tor,matching,toc,ioc,"
           "coco-tor,coco-ior,coco-i2tor,coco-matching,attention", id);
    }
    split.scene.push_back(id);
  }
  return split;
}

RealDataInputs load_real_data_inputs(const RealDataOptions& options) {
  validate_options(options);
  RealDataInputs inputs;
  if (!options.coco.empty()) {
    read_coco_inputs(options, inputs);
  } else {
    inputs.scenes = scenes::read_manifest(options.scenes);
    inputs.manifest_sha256 = sha256_hex(io::read_file(options.scenes / "manifest.jsonl"));
    if (inputs.scenes->rows.empty()) {
      fail(ErrorKind::kInvalidArgument, "scene set \"{}\" has no image; render some with clipscope scenes render",
           options.scenes.string());
    }
  }
  return inputs;
}

RealDataResults run_real_data_experiments(model::Encoder& encoder, const RealDataInputs& inputs,
                                          const RealDataOptions& options) {
  validate_options(options);
  validate_encoder(encoder, options);
  std::unique_ptr<AttentionModel> attention_model;
  if (requested(options, "attention")) attention_model = make_attention_model(encoder);

  const auto run_start = std::chrono::steady_clock::now();
  RealDataResults output;
  Results& results = output.results;
  MetricCollector collector({options.bootstrap_resamples, options.confidence_level, options.seed});
  json experiments = json::object();
  json timings = json::object();
  const json area = area_source_name(options.area_source);

  for (const std::string& id : options.experiments) {
    const auto start = std::chrono::steady_clock::now();
    CsvTable table;
    json settings = json::object();
    json figures = json::array();
    log::info("running experiment {}", id);
    if (id == "coco-tor") {
      run_coco_tor(encoder, inputs.captions, inputs.categories, options.retrieval, collector, table);
      settings = {{"area_source", area}, {"max_objects", options.retrieval.max_objects}, {"names", "bare"}};
    } else if (id == "coco-i2tor") {
      run_coco_i2tor(encoder, inputs.images, inputs.categories, options.retrieval, collector, table);
      settings = {{"area_source", area}, {"max_objects", options.retrieval.max_objects},
                  {"text_template", options.retrieval.text_template}};
    } else if (id == "coco-ior") {
      run_coco_ior(encoder, *inputs.coco, inputs.images, options.area_source, options.retrieval, collector, table);
      settings = {{"area_source", area}, {"max_objects", options.retrieval.max_objects},
                  {"references", "largest instance of the category in another image, masked, padded to a square"}};
    } else if (id == "coco-matching") {
      const CocoMatchingOptions matching{options.distractors, options.seed};
      const std::vector<CocoMatchingCaption> captions =
          build_matching_captions(inputs.captions, *inputs.matcher, inputs.images, inputs.categories, matching);
      run_coco_matching(encoder, captions, collector, table);
      settings = {{"area_source", area}, {"distractors", options.distractors}};
    } else {
      std::vector<AttentionImage> images =
          inputs.coco ? coco_attention_images(*inputs.coco, inputs.images, options.area_source,
                                              attention_model->preprocess())
                      : scene_attention_images(*inputs.scenes, attention_model->preprocess());
      std::vector<AttentionFigure> drawn = run_attention(*attention_model, images, options.attention, collector, table);
      settings = {{"source", inputs.coco ? "coco" : "scenes"},
                  {"block", options.attention.block ? json(*options.attention.block) : json(nullptr)},
                  {"blocks", attention_model->blocks()},
                  {"grid", attention_model->grid()}};
      if (inputs.coco) settings["area_source"] = area;
      for (const AttentionFigure& figure : drawn) figures.push_back({{"file", figure.file}, {"caption", figure.caption}});
      output.figures.insert(output.figures.end(), drawn.begin(), drawn.end());
    }

    std::set<std::string> variants;
    for (const json& record : collector.metrics()) {
      if (record["experiment"] == id) variants.insert(record["variant"].get<std::string>());
    }
    const std::string file_name = id + "_samples.csv";
    experiments[id] = {{"settings", settings},
                       {"samples_file", file_name},
                       {"sample_count", table.rows.size()},
                       {"variants", variants}};
    if (!figures.empty()) experiments[id]["figures"] = figures;
    results.samples[file_name] = std::move(table);
    timings[id] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  // document in the results.json layout of the scene-set runs
  std::string vocabulary_text;
  for (const std::string& name : inputs.categories) vocabulary_text += name + "\n";
  json document;
  document["schema"] = "clipscope.results";
  document["schema_version"] = kResultsSchemaVersion;
  document["clipscope_version"] = CLIPSCOPE_VERSION;
  document["created_utc"] = utc_timestamp();
  document["model"] = encoder.identity();
  document["dataset"] = inputs.coco ? coco_dataset_json(options, inputs) : scene_dataset_json(options, inputs);
  document["options"] = {{"experiments", options.experiments},
                         {"compat", "paper"},
                         {"seed", options.seed},
                         {"bootstrap_resamples", options.bootstrap_resamples},
                         {"confidence_level", options.confidence_level},
                         {"vocabulary",
                          {{"name", inputs.coco ? "coco categories" : "none"},
                           {"size", inputs.categories.size()},
                           {"sha256", sha256_hex(vocabulary_text)}}}};
  document["experiments"] = experiments;
  document["metrics"] = collector.metrics();
  document["comparisons"] = collector.comparisons();
  document["timings"] = {
      {"total_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count()},
      {"experiments", timings}};
  results.document = std::move(document);
  return output;
}

RealDataResults merge_results(Results scene_results, RealDataResults real, const std::vector<std::string>& order) {
  json& merged = scene_results.document;
  const json& extra = real.results.document;
  for (const auto& [id, entry] : extra["experiments"].items()) merged["experiments"][id] = entry;
  for (const json& record : extra["metrics"]) merged["metrics"].push_back(record);
  for (const json& record : extra["comparisons"]) merged["comparisons"].push_back(record);
  for (const auto& [id, seconds] : extra["timings"]["experiments"].items()) merged["timings"]["experiments"][id] = seconds;
  merged["timings"]["total_seconds"] =
      merged["timings"].value("total_seconds", 0.0) + extra["timings"].value("total_seconds", 0.0);
  merged["options"]["experiments"] = order;
  if (merged["dataset"].is_null()) {
    merged["dataset"] = extra["dataset"];
  } else if (extra["dataset"].value("kind", std::string()) == "coco") {
    merged["coco_dataset"] = extra["dataset"];
  }
  for (auto& [file_name, table] : real.results.samples) scene_results.samples[file_name] = std::move(table);
  real.results = std::move(scene_results);
  return real;
}

RealDataResults run_split_request(model::Encoder& encoder, const ExperimentSplit& split,
                                  const std::optional<SceneSet>& scenes, ExperimentOptions scene_options,
                                  const RealDataInputs& inputs, const RealDataOptions& real_options,
                                  const std::vector<std::string>& order) {
  if (split.scene.empty()) return run_real_data_experiments(encoder, inputs, real_options);
  scene_options.experiments = split.scene;
  // check both requests before either runs
  validate_request(encoder, scenes, scene_options);
  if (!split.real_data.empty()) {
    validate_options(real_options);
    validate_encoder(encoder, real_options);
  }
  Results scene_results = run_experiments(encoder, scenes, scene_options);
  if (split.real_data.empty()) return {std::move(scene_results), {}};
  return merge_results(std::move(scene_results), run_real_data_experiments(encoder, inputs, real_options), order);
}

void write_real_data_results(const RealDataResults& results, const fs::path& folder) {
  try {
    fs::create_directories(folder);
  } catch (const fs::filesystem_error& error) {
    fail(ErrorKind::kIo, "cannot create results folder \"{}\": {}", folder.string(), error.code().message());
  }
  for (const AttentionFigure& figure : results.figures) io::write_file_atomic(folder / figure.file, figure.png);
  write_results(results.results, folder);
}

}  // namespace clipscope::experiments
