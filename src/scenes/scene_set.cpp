#include "clipscope/scenes/scene_set.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "clipscope/error.h"
#include "clipscope/image/png_writer.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/log.h"
#include "clipscope/progress.h"
#include "clipscope/scenes/cutouts.h"
#include "clipscope/scenes/manifest.h"
#include "clipscope/scenes/shapes.h"
#include "random.h"

namespace clipscope::scenes {

namespace {

constexpr uint64_t kDesignStream = 0xde5170;
constexpr uint64_t kColorStream = 0xc0102;

std::string format_ratio(double ratio) { return fmt::format("{:g}", ratio); }

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    joined += (joined.empty() ? "" : "_") + name;
  }
  return joined;
}

struct Draft {
  std::vector<int> objects;  // indices into the vocabulary
  int large_slot = 0;
};

int parse_large_slot(const std::string& text, int object_count) {
  try {
    size_t used = 0;
    int slot = std::stoi(text, &used);
    if (used == text.size() && slot >= 0 && slot < object_count) {
      return slot;
    }
  } catch (const std::exception&) {
  }
  fail(ErrorKind::kInvalidArgument,
       "large slot '{}' is invalid with {} objects; use 'random', 'each' or 0 to {}", text,
       object_count, object_count - 1);
}

// Appends one draft per large slot choice for an object tuple.
void add_with_large_slots(std::vector<Draft>& drafts, const std::vector<int>& objects,
                          const std::string& large_slot, detail::Random& random) {
  int count = static_cast<int>(objects.size());
  if (large_slot == "each") {
    for (int slot = 0; slot < count; ++slot) {
      drafts.push_back({objects, slot});
    }
  } else if (large_slot == "random") {
    drafts.push_back({objects, random.below(count)});
  } else {
    drafts.push_back({objects, parse_large_slot(large_slot, count)});
  }
}

std::vector<Draft> sample_design(const SceneSetOptions& options, int vocabulary_size) {
  detail::Random random(options.seed ^ kDesignStream);
  std::vector<Draft> drafts;
  while (static_cast<int>(drafts.size()) < options.count) {
    std::vector<int> pool(vocabulary_size);
    for (int i = 0; i < vocabulary_size; ++i) {
      pool[i] = i;
    }
    for (int i = 0; i < options.object_count; ++i) {
      std::swap(pool[i], pool[i + random.below(vocabulary_size - i)]);
    }
    add_with_large_slots(drafts, {pool.begin(), pool.begin() + options.object_count},
                         options.large_slot, random);
  }
  drafts.resize(options.count);
  return drafts;
}

std::vector<Draft> all_design(const SceneSetOptions& options, int vocabulary_size) {
  detail::Random random(options.seed ^ kDesignStream);
  std::vector<Draft> drafts;
  std::vector<int> combination(options.object_count);
  for (int i = 0; i < options.object_count; ++i) {
    combination[i] = i;
  }
  while (true) {
    add_with_large_slots(drafts, combination, options.large_slot, random);
    if (options.count > 0 && static_cast<int>(drafts.size()) >= options.count) {
      drafts.resize(options.count);
      return drafts;
    }
    // next combination in lexicographic order
    int i = options.object_count - 1;
    while (i >= 0 && combination[i] == vocabulary_size - options.object_count + i) {
      --i;
    }
    if (i < 0) {
      return drafts;
    }
    ++combination[i];
    for (int j = i + 1; j < options.object_count; ++j) {
      combination[j] = combination[j - 1] + 1;
    }
  }
}

// Blocks of N * V images: in block b the large slot is b, and image i puts object
// order[(i + j) mod V] in slot j, so each object fills each slot once per block and is large once.
std::vector<Draft> counterbalanced_design(const SceneSetOptions& options, int vocabulary_size) {
  if (options.large_slot != "random" && options.large_slot != "each") {
    fail(ErrorKind::kInvalidArgument,
         "the counterbalanced design sets the large slot itself; drop the large slot '{}'",
         options.large_slot);
  }
  int n = options.object_count;
  int per_round = n * vocabulary_size;
  int rounds = std::max(1, (options.count + per_round - 1) / per_round);
  if (options.count > 0 && options.count % per_round != 0) {
    log::info("counterbalanced design: {} images rounded up to {} ({} rounds of {} objects x {} slots)",
              options.count, rounds * per_round, rounds, vocabulary_size, n);
  }
  detail::Random random(options.seed ^ kDesignStream);
  std::vector<Draft> drafts;
  for (int round = 0; round < rounds; ++round) {
    std::vector<int> order(vocabulary_size);
    for (int i = 0; i < vocabulary_size; ++i) {
      order[i] = i;
    }
    for (int i = vocabulary_size - 1; i > 0; --i) {
      std::swap(order[i], order[random.below(i + 1)]);
    }
    for (int block = 0; block < n; ++block) {
      for (int i = 0; i < vocabulary_size; ++i) {
        Draft draft;
        for (int j = 0; j < n; ++j) {
          draft.objects.push_back(order[(i + j) % vocabulary_size]);
        }
        draft.large_slot = block;
        drafts.push_back(draft);
      }
    }
  }
  return drafts;
}

std::vector<std::string> colors_for(const SceneSetOptions& options, int object_count,
                                    uint64_t image_seed) {
  if (options.kind == SceneKind::kComCO) {
    return {};
  }
  const auto& palette = color_names();
  std::vector<std::string> colors;
  if (options.colors.size() == 1 && options.colors[0] == "random") {
    detail::Random random(image_seed ^ kColorStream);
    for (int i = 0; i < object_count; ++i) {
      colors.push_back(palette[random.below(static_cast<int>(palette.size()))]);
    }
  } else if (options.colors.size() == 1) {
    colors.assign(object_count, options.colors[0]);
  } else {
    colors = options.colors;
  }
  return colors;
}

void check_set_options(const SceneSetOptions& options, const std::vector<std::string>& vocabulary) {
  slot_centers(options.object_count);
  for (const auto& name : vocabulary) {
    validate_object_name(name);
  }
  if (static_cast<int>(vocabulary.size()) < options.object_count) {
    fail(ErrorKind::kInvalidArgument,
         "{} objects per image need at least {} object names, got {}; add names or lower the "
         "object count",
         options.object_count, options.object_count, vocabulary.size());
  }
  if (options.count < 0 || (options.design == Design::kSample && options.count == 0)) {
    fail(ErrorKind::kInvalidArgument, "image count {} is invalid; use a positive count",
         options.count);
  }
  std::set<std::string> unique(vocabulary.begin(), vocabulary.end());
  if (unique.size() != vocabulary.size()) {
    fail(ErrorKind::kInvalidArgument, "object names repeat; list each object once");
  }
  for (double ratio : options.size_ratios) {
    if (!(ratio >= 1)) {
      fail(ErrorKind::kInvalidArgument, "size ratio {} is invalid; use ratios of at least 1", ratio);
    }
  }
  if (options.kind == SceneKind::kSimCO) {
    bool random_colors = options.colors.size() == 1 && options.colors[0] == "random";
    if (options.colors.empty() ||
        (options.colors.size() != 1 && static_cast<int>(options.colors.size()) != options.object_count)) {
      fail(ErrorKind::kInvalidArgument,
           "{} colours given for {} objects; give one colour, one per slot, or 'random'",
           options.colors.size(), options.object_count);
    }
    if (!random_colors) {
      for (const auto& color : options.colors) {
        named_color(color);
      }
    }
  }
}

}  // namespace

SceneKind parse_scene_kind(std::string_view text) {
  if (text == "simco") {
    return SceneKind::kSimCO;
  }
  if (text == "comco") {
    return SceneKind::kComCO;
  }
  fail(ErrorKind::kInvalidArgument, "unknown scene kind '{}'; use 'simco' or 'comco'", text);
}

Design parse_design(std::string_view text) {
  if (text == "sample") {
    return Design::kSample;
  }
  if (text == "all") {
    return Design::kAll;
  }
  if (text == "counterbalanced") {
    return Design::kCounterbalanced;
  }
  fail(ErrorKind::kInvalidArgument, "unknown design '{}'; use 'sample', 'all' or 'counterbalanced'",
       text);
}

std::vector<ScenePlan> plan_scene_set(const SceneSetOptions& options,
                                      const std::vector<std::string>& vocabulary) {
  check_set_options(options, vocabulary);
  int vocabulary_size = static_cast<int>(vocabulary.size());
  std::vector<Draft> drafts;
  switch (options.design) {
    case Design::kSample:
      drafts = sample_design(options, vocabulary_size);
      break;
    case Design::kAll:
      drafts = all_design(options, vocabulary_size);
      break;
    case Design::kCounterbalanced:
      drafts = counterbalanced_design(options, vocabulary_size);
      break;
  }

  std::vector<std::optional<double>> ratios;
  if (options.size_ratios.empty()) {
    ratios.push_back(std::nullopt);
  }
  for (double ratio : options.size_ratios) {
    ratios.push_back(ratio);
  }

  std::vector<ScenePlan> plans;
  for (const auto& draft : drafts) {
    for (const auto& ratio : ratios) {
      ScenePlan plan;
      for (int index : draft.objects) {
        plan.objects.push_back(vocabulary[index]);
      }
      plan.large_slot = draft.large_slot;
      plan.size_ratio = ratio;
      plan.seed = detail::mix_seed(options.seed ^ detail::mix_seed(plans.size()));
      plan.colors = colors_for(options, options.object_count, plan.seed);
      plans.push_back(plan);
    }
  }

  // file names: subfolders only where plain names would repeat
  std::map<std::string, int> name_uses;
  std::map<std::string, std::set<int>> large_slots_per_name;
  for (const auto& plan : plans) {
    std::string name = join_names(plan.objects);
    ++name_uses[name];
    large_slots_per_name[name].insert(plan.large_slot);
  }
  bool split_by_large = false;
  for (const auto& [name, slots] : large_slots_per_name) {
    split_by_large = split_by_large || slots.size() > 1;
  }
  std::map<std::string, int> seen;
  for (auto& plan : plans) {
    std::filesystem::path folder;
    if (ratios.size() > 1) {
      folder /= "ratio" + format_ratio(*plan.size_ratio);
    }
    if (split_by_large) {
      folder /= "large" + std::to_string(plan.large_slot);
    }
    std::string key = (folder / join_names(plan.objects)).string();
    int repeat = seen[key]++;
    if (repeat > 0) {
      folder /= "rep" + std::to_string(repeat);
    }
    plan.file = folder / (join_names(plan.objects) + ".png");
  }
  return plans;
}

namespace {

nlohmann::ordered_json options_json(const SceneSetOptions& options,
                                    const std::vector<std::string>& vocabulary) {
  nlohmann::ordered_json json;
  json["kind"] = options.kind == SceneKind::kSimCO ? "simco" : "comco";
  json["coco"] = options.coco_folder.string();
  json["names"] = vocabulary;
  json["objects"] = options.object_count;
  json["count"] = options.count;
  json["seed"] = options.seed;
  json["design"] = options.design == Design::kSample ? "sample"
                   : options.design == Design::kAll  ? "all"
                                                     : "counterbalanced";
  json["large_slot"] = options.large_slot;
  json["size_ratios"] = options.size_ratios;
  json["colors"] = options.colors;
  json["masks"] = options.masks;
  json["min_cutout_area"] = options.min_cutout_area;
  json["width"] = options.render.width;
  json["height"] = options.render.height;
  json["elevation"] = options.render.elevation_degrees;
  json["supersampling"] = options.render.supersampling;
  json["large_area"] = options.layout.large_area;
  json["small_area"] = {options.layout.small_area_min, options.layout.small_area_max};
  json["min_area_ratio"] = options.layout.min_area_ratio;
  json["position_jitter"] = options.layout.position_jitter;
  json["rotation_jitter"] = options.layout.rotation_jitter_degrees;
  json["margin"] = options.layout.margin;
  json["allow_overlap"] = options.layout.allow_overlap;
  json["renderer"] = kRendererVersion;
  return json;
}

LayoutOptions layout_for(const SceneSetOptions& options, const ScenePlan& plan) {
  LayoutOptions layout = options.layout;
  layout.large_slot = plan.large_slot;
  if (plan.size_ratio) {
    layout.small_area_min = layout.small_area_max = layout.large_area / *plan.size_ratio;
    layout.min_area_ratio = 0;
  }
  return layout;
}

// Visible boxes and pixel counts per slot from a label image.
void measure_labels(const image::Image& labels, int object_count, ManifestRow& row) {
  row.boxes.assign(object_count, Box{labels.width, labels.height, 0, 0});
  row.areas.assign(object_count, 0);
  for (int y = 0; y < labels.height; ++y) {
    for (int x = 0; x < labels.width; ++x) {
      int label = *labels.at(x, y);
      if (label == 0 || label > object_count) {
        continue;
      }
      Box& box = row.boxes[label - 1];
      box.x0 = std::min(box.x0, x), box.y0 = std::min(box.y0, y);
      box.x1 = std::max(box.x1, x + 1), box.y1 = std::max(box.y1, y + 1);
      ++row.areas[label - 1];
    }
  }
  for (int i = 0; i < object_count; ++i) {
    if (row.areas[i] == 0) {
      row.boxes[i] = Box{};
    }
  }
}

// Appends one complete line with a single write, so an interruption never leaves half a row.
void append_line(const std::filesystem::path& path, const std::string& line) {
  std::string text = line + "\n";
  int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (descriptor < 0) {
    fail(ErrorKind::kIo, "cannot open '{}' for appending: {}", path.string(), std::strerror(errno));
  }
  ssize_t written = ::write(descriptor, text.data(), text.size());
  int write_error = errno;
  ::close(descriptor);
  if (written != static_cast<ssize_t>(text.size())) {
    fail(ErrorKind::kIo, "failed to append to '{}': {}", path.string(), std::strerror(write_error));
  }
}

// Files listed in an existing manifest whose outputs exist; drops a trailing partial line.
std::set<std::string> finished_files(const std::filesystem::path& folder, bool masks) {
  std::set<std::string> finished;
  auto manifest_path = folder / "manifest.jsonl";
  if (!std::filesystem::exists(manifest_path)) {
    return finished;
  }
  std::string text = io::read_file(manifest_path);
  if (!text.empty() && text.back() != '\n') {
    text.erase(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    io::write_file_atomic(manifest_path, text);
  }
  std::string kept;
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    ManifestRow row = parse_manifest_row(line, manifest_path, line_number);
    bool complete = std::filesystem::exists(folder / row.file) &&
                    (!masks || std::filesystem::exists(folder / row.mask));
    if (complete) {
      finished.insert(row.file.generic_string());
      kept += line + "\n";
    }
  }
  if (kept != text) {
    io::write_file_atomic(manifest_path, kept);
  }
  return finished;
}

struct Source {
  SceneKind kind;
  CutoutLibrary cutouts;
};

Footprint footprint_of(const Source& source, const std::string& name, double rotation,
                       const RenderOptions& render, std::map<std::pair<std::string, int>, Footprint>& cache) {
  if (source.kind == SceneKind::kComCO) {
    return cutout_footprint(source.cutouts.find(name));
  }
  auto key = std::make_pair(name, static_cast<int>(std::lround(rotation)));
  auto found = cache.find(key);
  if (found != cache.end()) {
    return found->second;
  }
  Silhouette silhouette = measure_silhouette(shape_from_name(name), rotation, 1.0, render);
  double aspect = silhouette.width * render.width / (silhouette.height * render.height);
  Footprint footprint{aspect, silhouette.fill};
  cache[key] = footprint;
  return footprint;
}

RenderedScene draw(const Source& source, const std::vector<std::string>& objects,
                   const std::vector<std::string>& colors, const std::vector<PlannedBox>& boxes,
                   const RenderOptions& render) {
  if (source.kind == SceneKind::kComCO) {
    std::vector<CutoutPlacement> placements;
    for (size_t i = 0; i < objects.size(); ++i) {
      placements.push_back({&source.cutouts.find(objects[i]), boxes[i]});
    }
    return composite_scene(placements, render);
  }
  std::vector<ObjectPlacement> placements;
  for (size_t i = 0; i < objects.size(); ++i) {
    ObjectPlacement placement;
    placement.shape = shape_from_name(objects[i]);
    placement.color = named_color(colors[i]);
    placement.center_x = boxes[i].center_x;
    placement.center_y = boxes[i].center_y;
    placement.box_area = boxes[i].area;
    placement.rotation_degrees = boxes[i].rotation_degrees;
    placements.push_back(placement);
  }
  return render_scene(placements, render);
}

void write_references(const Source& source, const std::vector<std::string>& vocabulary,
                      const SceneSetOptions& options, const std::filesystem::path& folder) {
  if (std::filesystem::exists(folder / "references.jsonl")) {
    return;
  }
  std::string color = options.colors.empty() || options.colors[0] == "random" ? "blue" : options.colors[0];
  std::string lines;
  for (const auto& name : vocabulary) {
    PlannedBox box;
    Footprint footprint = source.kind == SceneKind::kComCO
                              ? cutout_footprint(source.cutouts.find(name))
                              : Footprint{};
    if (source.kind == SceneKind::kSimCO) {
      Silhouette silhouette = measure_silhouette(shape_from_name(name), 0, 1.0, options.render);
      footprint.aspect = silhouette.width * options.render.width / (silhouette.height * options.render.height);
    }
    double frame_aspect = static_cast<double>(options.render.width) / options.render.height;
    box.area = options.layout.large_area;
    box.width = std::sqrt(box.area * footprint.aspect / frame_aspect);
    box.height = box.area / box.width;
    RenderedScene scene = draw(source, {name}, {color}, {box}, options.render);

    ManifestRow measured;
    measure_labels(scene.labels, 1, measured);
    Reference reference;
    reference.name = name;
    reference.file = std::filesystem::path("references") / (name + ".png");
    reference.box = measured.boxes[0];
    reference.area = measured.areas[0];
    image::write_png(folder / reference.file, scene.rgb);
    lines += reference_json(reference) + "\n";
  }
  io::write_file_atomic(folder / "references.jsonl", lines);
}

// Objects expected to cover fewer pixels are rejected, because the label mask may lose them
// entirely (area 0). NOTE: 16 is a chosen floor, not a measured limit of what CLIP can see.
constexpr double kMinObjectPixels = 16;

// The object with the fewest expected visible pixels (box area times fill) in a set.
struct SmallestObject {
  double pixels = std::numeric_limits<double>::infinity();
  std::string name;
  std::filesystem::path file;
};

void reject_tiny_objects(const SmallestObject& smallest, const RenderOptions& render) {
  if (smallest.pixels >= kMinObjectPixels) return;
  // pixel counts grow with the square of the image side
  const double scale = std::sqrt(kMinObjectPixels / std::max(smallest.pixels, 1e-9));
  const int minimum_size =
      static_cast<int>(std::ceil(std::max(render.width, render.height) * scale));
  fail(ErrorKind::kInvalidArgument,
       "image size {}x{} leaves object '{}' in '{}' about {:.1f} visible pixels, fewer than the {} "
       "an object needs; render at {} pixels per side or more, raise the small-object area or "
       "lower the size ratio",
       render.width, render.height, smallest.name, smallest.file.generic_string(), smallest.pixels,
       kMinObjectPixels, minimum_size);
}

}  // namespace

SceneSetSummary render_scene_set(const SceneSetOptions& options, const std::filesystem::path& folder) {
  // inputs: objects, then the design
  Source source{options.kind, {}};
  std::vector<std::string> vocabulary = options.names;
  if (options.kind == SceneKind::kSimCO) {
    if (!options.coco_folder.empty()) {
      fail(ErrorKind::kInvalidArgument, "a COCO folder is only used with kind 'comco'; drop it or use --kind comco");
    }
    if (vocabulary.empty()) {
      vocabulary = shape_names();
    }
    for (const auto& name : vocabulary) {
      validate_object_name(name);
      shape_from_name(name);
    }
  } else {
    if (options.coco_folder.empty()) {
      fail(ErrorKind::kInvalidArgument, "kind 'comco' needs a COCO folder with images and instances; pass --coco DIR");
    }
    CutoutOptions cutout_options;
    cutout_options.min_area = options.min_cutout_area;
    cutout_options.names = options.names;
    source.cutouts = load_cutouts(options.coco_folder, cutout_options);
    if (vocabulary.empty()) {
      for (const auto& cutout : source.cutouts.cutouts) {
        vocabulary.push_back(cutout.name);
      }
    }
  }
  std::vector<ScenePlan> plans = plan_scene_set(options, vocabulary);

  // every layout, before any file is written
  std::map<std::pair<std::string, int>, Footprint> footprint_cache;
  double frame_aspect = static_cast<double>(options.render.width) / options.render.height;
  std::vector<std::vector<PlannedBox>> layouts;
  SmallestObject smallest;
  for (const auto& plan : plans) {
    LayoutOptions layout = layout_for(options, plan);
    std::vector<double> fills(options.object_count, 1.0);
    auto footprint = [&](int i, double rotation) {
      Footprint found =
          footprint_of(source, plan.objects[i], rotation, options.render, footprint_cache);
      fills[i] = found.fill;
      return found;
    };
    layouts.push_back(plan_layout(options.object_count, footprint, layout, frame_aspect, plan.seed));
    for (int i = 0; i < options.object_count; ++i) {
      const double pixels =
          layouts.back()[i].area * fills[i] * options.render.width * options.render.height;
      if (pixels < smallest.pixels) smallest = {pixels, plan.objects[i], plan.file};
    }
  }
  reject_tiny_objects(smallest, options.render);

  // the folder: same options as before, or a new set
  std::string settings = options_json(options, vocabulary).dump(2) + "\n";
  auto settings_path = folder / "scenes.json";
  if (std::filesystem::exists(settings_path)) {
    if (io::read_file(settings_path) != settings) {
      fail(ErrorKind::kInvalidArgument,
           "'{}' holds a set made with other options (see its scenes.json); use another output "
           "folder or the same options to resume",
           folder.string());
    }
  } else {
    io::write_file_atomic(settings_path, settings);
  }
  std::set<std::string> finished = finished_files(folder, options.masks);
  write_references(source, vocabulary, options, folder);

  SceneSetSummary summary;
  summary.planned = static_cast<int>(plans.size());
  Progress progress("scenes", summary.planned);
  auto manifest_path = folder / "manifest.jsonl";
  for (size_t index = 0; index < plans.size(); ++index) {
    const ScenePlan& plan = plans[index];
    if (finished.count(plan.file.generic_string())) {
      ++summary.kept;
      progress.advance();
      continue;
    }
    RenderedScene scene = draw(source, plan.objects, plan.colors, layouts[index], options.render);

    ManifestRow row;
    row.file = plan.file;
    row.kind = options.kind == SceneKind::kSimCO ? "simco" : "comco";
    row.width = options.render.width;
    row.height = options.render.height;
    row.objects = plan.objects;
    for (const auto& box : layouts[index]) {
      row.slots.push_back({box.center_x, box.center_y});
    }
    row.large_slot = plan.large_slot;
    measure_labels(scene.labels, options.object_count, row);
    row.colors = plan.colors;
    if (options.masks) {
      row.mask = std::filesystem::path("masks") / plan.file;
    }
    row.seed = plan.seed;
    row.renderer = kRendererVersion;

    image::write_png(folder / plan.file, scene.rgb);
    if (options.masks) {
      image::write_png(folder / row.mask, scene.labels);
    }
    append_line(manifest_path, manifest_row_json(row));
    ++summary.rendered;
    progress.advance();
  }
  progress.finish();
  return summary;
}

}  // namespace clipscope::scenes
