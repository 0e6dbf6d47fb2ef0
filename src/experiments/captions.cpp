#include "clipscope/experiments/captions.h"

#include <algorithm>
#include <random>
#include <set>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::experiments {
namespace {

const std::vector<std::string> kSimcoNames = {
    "cube",  "sphere", "cylinder", "mug",   "pentagon",  "heart", "cone",  "pyramid", "diamond",
    "moon",  "cross",  "snowflake", "leaf", "arrow",     "star",  "torus", "pot",     "cap"};

const std::vector<std::string> kCoco80Names = {
    "person",        "bicycle",      "car",        "motorcycle",   "airplane",     "bus",
    "train",         "truck",        "boat",       "traffic light", "fire hydrant", "stop sign",
    "parking meter", "bench",        "bird",       "cat",          "dog",          "horse",
    "sheep",         "cow",          "elephant",   "bear",         "zebra",        "giraffe",
    "backpack",      "umbrella",     "handbag",    "tie",          "suitcase",     "frisbee",
    "skis",          "snowboard",    "sports ball", "kite",        "baseball bat", "baseball glove",
    "skateboard",    "surfboard",    "tennis racket", "bottle",    "wine glass",   "cup",
    "fork",          "knife",        "spoon",      "bowl",         "banana",       "apple",
    "sandwich",      "orange",       "broccoli",   "carrot",       "hot dog",      "pizza",
    "donut",         "cake",         "chair",      "couch",        "potted plant", "bed",
    "dining table",  "toilet",       "tv",         "laptop",       "mouse",        "remote",
    "keyboard",      "cell phone",   "microwave",  "oven",         "toaster",      "sink",
    "refrigerator",  "book",         "clock",      "vase",         "scissors",     "teddy bear",
    "hair drier",    "toothbrush"};

// COCO category ids without instance annotations, with the id they take in the 1..90 list.
const std::vector<std::pair<int, std::string>> kCocoUnannotated = {
    {12, "street sign"}, {26, "hat"}, {29, "shoe"}, {30, "eye glasses"}, {45, "plate"},
    {66, "mirror"},      {68, "window"}, {69, "desk"}, {71, "door"},     {83, "blender"}};

const std::set<std::string, std::less<>> kLargeCoco = {
    "airplane", "bus",   "train", "truck", "boat",  "elephant", "bear", "zebra", "giraffe", "horse",
    "cow",      "couch", "bed",   "dining table", "refrigerator", "car"};

const std::set<std::string, std::less<>> kSmallCoco = {
    "fork",   "knife",  "spoon", "toothbrush", "scissors", "cell phone", "remote", "mouse",  "tie",
    "donut",  "apple",  "orange", "banana",    "cup",      "sports ball", "wine glass", "carrot",
    "book",   "clock",  "hair drier"};

std::vector<std::string> coco90_names() {
  std::vector<std::string> names = kCoco80Names;
  for (const auto& [id, name] : kCocoUnannotated) names.insert(names.begin() + (id - 1), name);
  return names;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

void enumerate(const std::vector<int64_t>& first_pool, const std::vector<int64_t>& rest_pool, int64_t n,
               int64_t limit, std::vector<int64_t>& prefix, std::vector<std::vector<int64_t>>& out) {
  if (static_cast<int64_t>(out.size()) > limit) return;
  if (static_cast<int64_t>(prefix.size()) == n) {
    out.push_back(prefix);
    return;
  }
  const std::vector<int64_t>& pool = prefix.empty() ? first_pool : rest_pool;
  for (int64_t candidate : pool) {
    if (std::find(prefix.begin(), prefix.end(), candidate) != prefix.end()) continue;
    prefix.push_back(candidate);
    enumerate(first_pool, rest_pool, n, limit, prefix, out);
    prefix.pop_back();
  }
}

}  // namespace

Vocabulary builtin_vocabulary(std::string_view name) {
  if (name == "simco") return {"simco", kSimcoNames};
  if (name == "coco80") return {"coco80", kCoco80Names};
  if (name == "coco90") return {"coco90", coco90_names()};
  fail(ErrorKind::kInvalidArgument,
       "unknown vocabulary \"{}\"; use simco, coco80, coco90 or a file with one name per line", name);
}

Vocabulary load_vocabulary(const std::string& spec) {
  if (spec == "simco" || spec == "coco80" || spec == "coco90") return builtin_vocabulary(spec);

  Vocabulary vocabulary{spec, {}};
  std::istringstream lines(io::read_file(spec));
  std::string line;
  std::set<std::string> seen;
  for (int line_number = 1; std::getline(lines, line); ++line_number) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (!seen.insert(line).second) {
      fail(ErrorKind::kInvalidArgument, "vocabulary file {} line {}: duplicate name \"{}\"; list each object once",
           spec, line_number, line);
    }
    vocabulary.names.push_back(line);
  }
  if (vocabulary.names.empty()) {
    fail(ErrorKind::kInvalidArgument, "vocabulary file {} has no names; write one object name per line", spec);
  }
  return vocabulary;
}

SizeCategory coco_size_category(std::string_view name) {
  if (kLargeCoco.find(name) != kLargeCoco.end()) return SizeCategory::kLarge;
  if (kSmallCoco.find(name) != kSmallCoco.end()) return SizeCategory::kSmall;
  return SizeCategory::kMedium;
}

std::string object_phrase(const std::string& name, bool article) {
  if (!article || name.empty()) return name;
  bool vowel = std::string_view("aeiouAEIOU").find(name.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + name;
}

std::string caption_text(const Vocabulary& vocabulary, const std::vector<int64_t>& objects,
                         const CaptionStyle& style, size_t caption_index) {
  std::vector<std::string> phrases;
  std::string joined;
  for (int64_t index : objects) {
    phrases.push_back(object_phrase(vocabulary.names.at(static_cast<size_t>(index)), style.article));
    joined += (joined.empty() ? "" : " and ") + phrases.back();
  }
  if (style.templates.empty()) return joined;

  std::string text = style.templates[caption_index % style.templates.size()];
  replace_all(text, "{objects}", joined);
  for (size_t slot = 0; slot < 9; ++slot) {
    std::string marker = "{" + std::to_string(slot + 1) + "}";
    if (text.find(marker) == std::string::npos) continue;
    if (slot >= phrases.size()) {
      fail(ErrorKind::kInvalidArgument, "caption template \"{}\" uses slot {} but captions have {} objects",
           style.templates[caption_index % style.templates.size()], marker, phrases.size());
    }
    replace_all(text, marker, phrases[slot]);
  }
  return text;
}

std::vector<std::vector<int64_t>> object_tuples(const std::vector<int64_t>& first_pool,
                                                const std::vector<int64_t>& rest_pool, int64_t n,
                                                int64_t max_count, uint64_t seed) {
  if (n < 1) fail(ErrorKind::kInvalidArgument, "captions need at least 1 object, got {}", n);
  if (max_count < 1) fail(ErrorKind::kInvalidArgument, "maximum caption count must be at least 1, got {}", max_count);

  std::vector<std::vector<int64_t>> all;
  std::vector<int64_t> prefix;
  enumerate(first_pool, rest_pool, n, max_count, prefix, all);
  if (static_cast<int64_t>(all.size()) <= max_count) return all;

  // more tuples than requested: draw distinct ones uniformly (rejection of repeats and of reused objects)
  std::mt19937_64 generator(seed);
  std::set<std::vector<int64_t>> chosen;
  while (static_cast<int64_t>(chosen.size()) < max_count) {
    std::vector<int64_t> tuple;
    tuple.push_back(first_pool[std::uniform_int_distribution<size_t>(0, first_pool.size() - 1)(generator)]);
    while (static_cast<int64_t>(tuple.size()) < n) {
      int64_t candidate = rest_pool[std::uniform_int_distribution<size_t>(0, rest_pool.size() - 1)(generator)];
      if (std::find(tuple.begin(), tuple.end(), candidate) == tuple.end()) tuple.push_back(candidate);
    }
    chosen.insert(std::move(tuple));
  }
  return {chosen.begin(), chosen.end()};
}

std::vector<Caption> make_captions(const Vocabulary& vocabulary, int64_t n, int64_t max_count, uint64_t seed,
                                   const CaptionStyle& style) {
  if (static_cast<int64_t>(vocabulary.names.size()) < n) {
    fail(ErrorKind::kInvalidArgument, "vocabulary \"{}\" has {} names, fewer than the {} objects per caption",
         vocabulary.name, vocabulary.names.size(), n);
  }
  std::vector<int64_t> pool(vocabulary.names.size());
  for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<int64_t>(i);

  std::vector<Caption> captions;
  for (auto& tuple : object_tuples(pool, pool, n, max_count, seed)) {
    std::string text = caption_text(vocabulary, tuple, style, captions.size());
    captions.push_back({std::move(tuple), std::move(text)});
  }
  return captions;
}

std::string builtin_long_template() {
  return "A photograph of a quiet room in soft afternoon light, where {objects} rest together on a "
         "wooden table near an open window.";
}

std::vector<std::string> read_templates(const std::filesystem::path& path) {
  std::istringstream lines(io::read_file(path));
  std::vector<std::string> templates;
  std::string line;
  for (int line_number = 1; std::getline(lines, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line.find("{objects}") == std::string::npos && line.find("{1}") == std::string::npos) {
      fail(ErrorKind::kInvalidArgument,
           "template file {} line {} has no object slot; write {{objects}} or {{1}}..{{n}} where the objects go",
           path.string(), line_number);
    }
    templates.push_back(line);
  }
  if (templates.empty()) {
    fail(ErrorKind::kInvalidArgument, "template file {} has no templates; write one per line", path.string());
  }
  return templates;
}

}  // namespace clipscope::experiments
