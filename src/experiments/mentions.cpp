#include "clipscope/experiments/mentions.h"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::experiments {

namespace {

bool is_word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// A word of a caption: its lowercase text and where it sits in the original.
struct Word {
  std::string text;
  size_t begin = 0;
  size_t end = 0;
};

std::vector<Word> split_words(std::string_view text) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    Word word;
    word.begin = i;
    while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) word.text += lower_ascii(text[i++]);
    word.end = i;
    words.push_back(std::move(word));
  }
  return words;
}

// Lowercases a phrase and joins its words with single spaces ("Teddy-Bear" -> "teddy bear").
std::string normalise(std::string_view phrase, size_t* word_count = nullptr) {
  std::vector<Word> words = split_words(phrase);
  std::string joined;
  for (const Word& word : words) {
    if (!joined.empty()) joined += ' ';
    joined += word.text;
  }
  if (word_count != nullptr) *word_count = words.size();
  return joined;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::filesystem::path default_synonyms_path() {
  return std::filesystem::path(CLIPSCOPE_SOURCE_DIR) / "data" / "coco_synonyms.tsv";
}

std::vector<Synonym> read_synonyms(const std::filesystem::path& path) {
  std::istringstream lines(io::read_file(path));
  std::vector<Synonym> synonyms;
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::string content = trim(line);
    if (content.empty() || content[0] == '#') continue;
    size_t tab = content.find('\t');
    std::string phrase = tab == std::string::npos ? "" : trim(content.substr(0, tab));
    std::string category = tab == std::string::npos ? "" : trim(content.substr(tab + 1));
    if (phrase.empty() || category.empty() || category.find('\t') != std::string::npos) {
      fail(ErrorKind::kInvalidArgument,
           "{}: line {}: expected \"phrase<TAB>category\", got '{}'; separate the two fields with one tab",
           path.string(), number, content);
    }
    synonyms.emplace_back(phrase, category);
  }
  return synonyms;
}

std::string regular_plural(std::string_view word) {
  std::string plural(word);
  auto ends_with = [&](std::string_view suffix) {
    return word.size() >= suffix.size() && word.substr(word.size() - suffix.size()) == suffix;
  };
  if (ends_with("s") || ends_with("x") || ends_with("z") || ends_with("ch") || ends_with("sh")) return plural + "es";
  if (word.size() >= 2 && word.back() == 'y' && std::string_view("aeiou").find(word[word.size() - 2]) == std::string_view::npos) {
    return plural.substr(0, plural.size() - 1) + "ies";
  }
  return plural + "s";
}

MentionMatcher::MentionMatcher(const std::vector<std::string>& categories, const std::vector<Synonym>& synonyms) {
  auto add = [&](const std::string& phrase, const std::string& category) {
    size_t word_count = 0;
    std::string key = normalise(phrase, &word_count);
    if (key.empty()) fail(ErrorKind::kInvalidArgument, "phrase '{}' for category '{}' has no words", phrase, category);
    auto [entry, inserted] = phrases_.emplace(key, category);
    if (!inserted && entry->second != category) {
      fail(ErrorKind::kInvalidArgument,
           "phrase '{}' maps to both '{}' and '{}'; remove one of the rows from the synonym table", phrase,
           entry->second, category);
    }
    max_words_ = std::max(max_words_, word_count);
  };
  // "hot dog" -> "hot dogs": only the last word takes the plural ending.
  auto add_with_plural = [&](const std::string& phrase, const std::string& category) {
    add(phrase, category);
    std::string key = normalise(phrase);
    size_t last_space = key.rfind(' ');
    std::string head = last_space == std::string::npos ? "" : key.substr(0, last_space + 1);
    std::string last = last_space == std::string::npos ? key : key.substr(last_space + 1);
    std::string plural = head + regular_plural(last);
    // A generated plural never overrides an explicit row ("glasses" stays with its own category).
    if (phrases_.count(plural) == 0) add(plural, category);
  };

  for (const std::string& category : categories) {
    if (normalise(category).empty()) fail(ErrorKind::kInvalidArgument, "category name '{}' has no words", category);
  }
  // Explicit phrases go in first, so add_with_plural skips a generated plural that one of them already has.
  for (const std::string& category : categories) add(category, category);
  for (const auto& [phrase, category] : synonyms) {
    if (std::find(categories.begin(), categories.end(), category) != categories.end()) add(phrase, category);
  }
  for (const std::string& category : categories) add_with_plural(category, category);
  for (const auto& [phrase, category] : synonyms) {
    if (std::find(categories.begin(), categories.end(), category) != categories.end()) {
      add_with_plural(phrase, category);
    }
  }
}

std::vector<Mention> MentionMatcher::find(std::string_view caption) const {
  std::vector<Word> words = split_words(caption);
  std::vector<Mention> mentions;
  size_t i = 0;
  while (i < words.size()) {
    bool matched = false;
    for (size_t length = std::min(max_words_, words.size() - i); length >= 1; --length) {
      std::string key = words[i].text;
      for (size_t k = 1; k < length; ++k) key += ' ' + words[i + k].text;
      auto found = phrases_.find(key);
      if (found == phrases_.end()) continue;

      Mention mention;
      mention.category = found->second;
      mention.char_offset = words[i].begin;
      mention.text = std::string(caption.substr(words[i].begin, words[i + length - 1].end - words[i].begin));
      mention.word_index = i;
      mentions.push_back(std::move(mention));
      i += length;
      matched = true;
      break;
    }
    if (!matched) ++i;
  }
  return mentions;
}

std::string MentionMatcher::category_of(std::string_view text) const {
  auto found = phrases_.find(normalise(text));
  return found == phrases_.end() ? "" : found->second;
}

io::CocoDataset read_lang_sam_detections(const std::filesystem::path& path, const MentionMatcher& matcher) {
  using nlohmann::json;
  std::string file = path.filename().string();
  json root = json::parse(io::read_file(path), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    fail(ErrorKind::kInvalidArgument, "{}: not valid JSON; check that the detector output was written completely", file);
  }
  const json* images = &root;
  if (root.is_object()) {
    if (!root.contains("images") || !root["images"].is_array()) {
      fail(ErrorKind::kInvalidArgument, "{}: top level: missing array \"images\" (see docs/captions.md)", file);
    }
    images = &root["images"];
  } else if (!root.is_array()) {
    fail(ErrorKind::kInvalidArgument, "{}: top level must be an object with \"images\" or an array of images", file);
  }

  io::CocoDataset dataset;
  std::unordered_map<std::string, int64_t> category_ids;
  std::unordered_set<int64_t> seen_images;
  int64_t next_annotation_id = 1;
  for (size_t image_index = 0; image_index < images->size(); ++image_index) {
    const json& entry = (*images)[image_index];
    std::string record = fmt::format("image {}", image_index);
    auto need = [&](bool condition, std::string_view problem) {
      if (!condition) fail(ErrorKind::kInvalidArgument, "{}: {}: {} (see docs/captions.md)", file, record, problem);
    };
    need(entry.is_object(), "must be an object");
    need(entry.contains("image_id") && entry["image_id"].is_number_integer(), "missing integer \"image_id\"");
    record = fmt::format("image {}", entry["image_id"].get<int64_t>());
    need(entry.contains("width") && entry["width"].is_number_integer() && entry["width"].get<int>() > 0 &&
             entry.contains("height") && entry["height"].is_number_integer() && entry["height"].get<int>() > 0,
         "missing positive integers \"width\" and \"height\"");
    need(entry.contains("objects") && entry["objects"].is_array(), "missing array \"objects\"");

    need(seen_images.insert(entry["image_id"].get<int64_t>()).second, "\"image_id\" appears twice");
    io::CocoImage image;
    image.id = entry["image_id"].get<int64_t>();
    image.file_name = entry.value("file_name", std::string());
    image.width = entry["width"].get<int>();
    image.height = entry["height"].get<int>();
    dataset.images.push_back(image);

    for (size_t object_index = 0; object_index < entry["objects"].size(); ++object_index) {
      const json& object = entry["objects"][object_index];
      record = fmt::format("image {}: object {}", image.id, object_index);
      need(object.is_object() && object.contains("label") && object["label"].is_string(), "missing string \"label\"");
      need(object.contains("box") && object["box"].is_array() && object["box"].size() == 4 &&
               std::all_of(object["box"].begin(), object["box"].end(), [](const json& v) { return v.is_number(); }),
           "\"box\" must be [x0, y0, x1, y1]");
      need(object.contains("mask_area") && object["mask_area"].is_number() && object["mask_area"].get<double>() >= 0,
           "missing non-negative number \"mask_area\"");

      std::string label = object["label"].get<std::string>();
      std::string category = matcher.category_of(label);
      if (category.empty()) category = normalise(label);
      need(!category.empty(), "\"label\" has no words");
      auto [found, inserted] = category_ids.emplace(category, static_cast<int64_t>(category_ids.size()) + 1);
      if (inserted) dataset.categories.push_back({found->second, category, ""});

      double x0 = object["box"][0].get<double>(), y0 = object["box"][1].get<double>();
      double x1 = object["box"][2].get<double>(), y1 = object["box"][3].get<double>();
      need(x1 >= x0 && y1 >= y0, "\"box\" must have x1 >= x0 and y1 >= y0");

      io::CocoAnnotation annotation;
      annotation.id = next_annotation_id++;
      annotation.image_id = image.id;
      annotation.category_id = found->second;
      annotation.bbox = {x0, y0, x1 - x0, y1 - y0};
      annotation.area = object["mask_area"].get<double>();
      dataset.annotations.push_back(std::move(annotation));
    }
  }
  if (dataset.images.empty()) fail(ErrorKind::kInvalidArgument, "{}: top level: no images", file);
  dataset.build_index();
  return dataset;
}

}  // namespace clipscope::experiments
