#include "clipscope/scenes/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/image/decode.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::scenes {

namespace {

using nlohmann::ordered_json;

ordered_json box_json(const Box& box) { return ordered_json::array({box.x0, box.y0, box.x1, box.y1}); }

Box box_from_json(const nlohmann::json& value) {
  if (!value.is_array() || value.size() != 4) {
    throw std::invalid_argument("a box must be [x0, y0, x1, y1]");
  }
  return {value[0].get<int>(), value[1].get<int>(), value[2].get<int>(), value[3].get<int>()};
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    lines.push_back(line);
  }
  return lines;
}

bool is_image_file(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}

// "large2" -> 2; anything else -> nullopt.
std::optional<int> large_slot_from_folder(const std::string& folder) {
  if (folder.size() <= 5 || folder.rfind("large", 0) != 0) {
    return std::nullopt;
  }
  std::string digits = folder.substr(5);
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stoi(digits);
}

// Throws if two files in one folder share a stem (such as cube_sphere.png and cube_sphere.jpg),
// because both would name the same scene or reference.
void reject_repeated_stems(const std::filesystem::path& folder,
                           const std::vector<std::filesystem::path>& files) {
  std::map<std::filesystem::path, std::filesystem::path> first_by_stem;
  for (const auto& file : files) {
    auto [found, inserted] = first_by_stem.emplace(file.parent_path() / file.stem(), file);
    if (!inserted) {
      fail(ErrorKind::kInvalidArgument,
           "'{}' and '{}' have the same name apart from the extension, so they name the same "
           "objects; keep one of them",
           (folder / found->second).string(), (folder / file).string());
    }
  }
}

// Runs `check`, adding `file` to the message of the Error it throws.
template <typename Check>
auto check_file_name(const std::filesystem::path& file, Check check) {
  try {
    return check();
  } catch (const Error& error) {
    fail(error.kind(), "file '{}': {}", file.string(), error.what());
  }
}

// Returns the objects a scene file names, each checked as an object name and named once.
std::vector<std::string> scene_objects(const std::filesystem::path& folder,
                                       const std::filesystem::path& relative) {
  const std::filesystem::path file = folder / relative;
  std::vector<std::string> objects =
      check_file_name(file, [&] { return object_names_from_stem(relative.stem().string()); });
  for (size_t i = 0; i < objects.size(); ++i) {
    check_file_name(file, [&] { validate_object_name(objects[i]); });
    if (std::find(objects.begin(), objects.begin() + i, objects[i]) != objects.begin() + i) {
      fail(ErrorKind::kInvalidArgument,
           "scene file '{}' names object '{}' twice; an object may appear once per scene, so "
           "rename or remove the file",
           file.string(), objects[i]);
    }
  }
  if (objects.size() < 2) {
    fail(ErrorKind::kInvalidArgument,
         "scene file '{}' names {} object; name scene files after 2 or more objects, like "
         "'cube_sphere.png'",
         file.string(), objects.size());
  }
  return objects;
}

// Returns the large slot of an imported scene: from a large<k>/ folder, else options.large_slot.
std::optional<int> import_large_slot(const std::filesystem::path& folder,
                                     const std::filesystem::path& relative, size_t object_count,
                                     const ImportOptions& options) {
  std::optional<int> slot;
  if (relative.has_parent_path()) {
    slot = large_slot_from_folder(relative.parent_path().filename().string());
    if (slot && *slot >= static_cast<int>(object_count)) slot.reset();
  }
  if (!slot && options.large_slot) {
    slot = options.large_slot;
    if (*slot >= static_cast<int>(object_count)) {
      fail(ErrorKind::kInvalidArgument,
           "large slot {} does not exist in scene file '{}', which has {} objects; pass a large "
           "slot from 0 to {}",
           *slot, (folder / relative).string(), object_count, object_count - 1);
    }
  }
  return slot;
}

}  // namespace

const std::filesystem::path& Manifest::reference_path(const std::string& name) const {
  auto found = references.find(name);
  if (found == references.end()) {
    fail(ErrorKind::kNotFound, "no reference image for object '{}' in '{}'; add references/{}.png "
         "or re-render the set", name, folder.string(), name);
  }
  return found->second.file;
}

void validate_object_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") {
    fail(ErrorKind::kInvalidArgument, "invalid object name '{}'; use a non-empty word such as 'cube'",
         name);
  }
  for (char c : name) {
    if (c == '_') {
      fail(ErrorKind::kInvalidArgument,
           "object name '{}' contains '_', which separates objects in scene file names; use a space "
           "or '-' instead",
           name);
    }
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      fail(ErrorKind::kInvalidArgument,
           "object name '{}' contains a path separator or control character; use letters, digits, "
           "spaces or '-'",
           name);
    }
  }
}

std::vector<std::string> object_names_from_stem(std::string_view stem) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    size_t end = stem.find('_', start);
    std::string_view part = stem.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.empty()) {
      fail(ErrorKind::kInvalidArgument,
           "scene file name '{}' has an empty object name; name files like 'cube_sphere.png'", stem);
    }
    names.emplace_back(part);
    if (end == std::string_view::npos) {
      return names;
    }
    start = end + 1;
  }
}

std::string manifest_row_json(const ManifestRow& row) {
  ordered_json json;
  json["file"] = row.file.generic_string();
  json["kind"] = row.kind;
  json["width"] = row.width;
  json["height"] = row.height;
  json["objects"] = row.objects;
  ordered_json slots = ordered_json::array();
  for (const auto& slot : row.slots) {
    slots.push_back(ordered_json::array({slot[0], slot[1]}));
  }
  json["slots"] = slots;
  json["large_slot"] = row.large_slot ? ordered_json(*row.large_slot) : ordered_json(nullptr);
  ordered_json boxes = ordered_json::array();
  for (const auto& box : row.boxes) {
    boxes.push_back(box_json(box));
  }
  json["boxes"] = boxes;
  json["areas"] = row.areas;
  json["colors"] = row.colors;
  json["mask"] = row.mask.generic_string();
  json["seed"] = row.seed ? ordered_json(*row.seed) : ordered_json(nullptr);
  json["renderer"] = row.renderer;
  return json.dump();
}

ManifestRow parse_manifest_row(std::string_view line, const std::filesystem::path& source,
                               int line_number) {
  try {
    nlohmann::json json = nlohmann::json::parse(line);
    if (!json.contains("file") || !json.contains("objects")) {
      throw std::invalid_argument("the row has no \"file\" or no \"objects\"");
    }
    ManifestRow row;
    row.file = json.at("file").get<std::string>();
    row.objects = json.at("objects").get<std::vector<std::string>>();
    row.kind = json.value("kind", "");
    row.width = json.value("width", 0);
    row.height = json.value("height", 0);
    for (const auto& slot : json.value("slots", nlohmann::json::array())) {
      row.slots.push_back({slot.at(0).get<double>(), slot.at(1).get<double>()});
    }
    if (json.contains("large_slot") && !json["large_slot"].is_null()) {
      row.large_slot = json["large_slot"].get<int>();
    }
    for (const auto& box : json.value("boxes", nlohmann::json::array())) {
      row.boxes.push_back(box_from_json(box));
    }
    row.areas = json.value("areas", std::vector<int64_t>{});
    row.colors = json.value("colors", std::vector<std::string>{});
    row.mask = json.value("mask", "");
    if (json.contains("seed") && !json["seed"].is_null()) {
      row.seed = json["seed"].get<uint64_t>();
    }
    row.renderer = json.value("renderer", "");
    return row;
  } catch (const nlohmann::json::exception& error) {
    fail(ErrorKind::kInvalidArgument, "{}:{}: invalid manifest row: {}; re-render or re-import the set",
         source.string(), line_number, error.what());
  } catch (const std::invalid_argument& error) {
    fail(ErrorKind::kInvalidArgument, "{}:{}: invalid manifest row: {}; re-render or re-import the set",
         source.string(), line_number, error.what());
  }
}

std::string reference_json(const Reference& reference) {
  ordered_json json;
  json["name"] = reference.name;
  json["file"] = reference.file.generic_string();
  json["bbox"] = reference.box ? box_json(*reference.box) : ordered_json(nullptr);
  json["area"] = reference.area ? ordered_json(*reference.area) : ordered_json(nullptr);
  return json.dump();
}

Manifest read_manifest(const std::filesystem::path& folder) {
  auto manifest_path = folder / "manifest.jsonl";
  if (!std::filesystem::exists(manifest_path)) {
    fail(ErrorKind::kNotFound,
         "no manifest.jsonl in '{}'; render a set there or run 'clipscope scenes import {}'",
         folder.string(), folder.string());
  }
  Manifest manifest;
  manifest.folder = folder;
  int line_number = 0;
  for (const auto& line : split_lines(io::read_file(manifest_path))) {
    ++line_number;
    if (line.empty()) {
      continue;
    }
    ManifestRow row = parse_manifest_row(line, manifest_path, line_number);
    row.file = folder / row.file;
    if (!row.mask.empty()) {
      row.mask = folder / row.mask;
    }
    manifest.rows.push_back(std::move(row));
  }

  auto references_path = folder / "references.jsonl";
  if (std::filesystem::exists(references_path)) {
    line_number = 0;
    for (const auto& line : split_lines(io::read_file(references_path))) {
      ++line_number;
      if (line.empty()) {
        continue;
      }
      try {
        nlohmann::json json = nlohmann::json::parse(line);
        Reference reference;
        reference.name = json.at("name").get<std::string>();
        reference.file = folder / json.at("file").get<std::string>();
        if (json.contains("bbox") && !json["bbox"].is_null()) {
          reference.box = box_from_json(json["bbox"]);
        }
        if (json.contains("area") && !json["area"].is_null()) {
          reference.area = json["area"].get<int64_t>();
        }
        manifest.references[reference.name] = reference;
      } catch (const std::exception& error) {
        fail(ErrorKind::kInvalidArgument, "{}:{}: invalid reference row: {}; re-render the set",
             references_path.string(), line_number, error.what());
      }
    }
  }
  return manifest;
}

ImportSummary import_scene_folder(const std::filesystem::path& folder,
                                  const ImportOptions& options) {
  if (!std::filesystem::is_directory(folder)) {
    fail(ErrorKind::kNotFound, "scene folder '{}' does not exist; pass a folder of obj1_obj2.png images",
         folder.string());
  }
  if (std::filesystem::exists(folder / "manifest.jsonl")) {
    fail(ErrorKind::kInvalidArgument,
         "'{}' already has a manifest.jsonl; delete it to import the folder again", folder.string());
  }
  if (options.large_slot && *options.large_slot < 0) {
    fail(ErrorKind::kInvalidArgument, "large slot {} is invalid; use a slot index from 0",
         *options.large_slot);
  }

  std::vector<std::filesystem::path> images;
  std::vector<std::filesystem::path> references;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file() || !is_image_file(entry.path())) {
      continue;
    }
    auto relative = std::filesystem::relative(entry.path(), folder);
    std::string top = relative.begin()->string();
    if (top == "masks") {
      continue;
    }
    if (top == "references") {
      references.push_back(relative);
    } else {
      images.push_back(relative);
    }
  }
  if (images.empty()) {
    fail(ErrorKind::kNotFound, "no PNG or JPEG images in '{}'; pass a folder of obj1_obj2.png images",
         folder.string());
  }
  std::sort(images.begin(), images.end());
  std::sort(references.begin(), references.end());
  reject_repeated_stems(folder, images);
  reject_repeated_stems(folder, references);

  // every file is checked before the manifest is written
  ImportSummary summary;
  std::string manifest;
  for (const auto& relative : images) {
    ManifestRow row;
    row.file = relative;
    row.objects = scene_objects(folder, relative);
    row.large_slot = import_large_slot(folder, relative, row.objects.size(), options);
    const image::Image picture = image::decode_image(folder / relative);
    row.width = picture.width;
    row.height = picture.height;
    if (!row.large_slot) ++summary.without_large_slot;
    manifest += manifest_row_json(row) + "\n";
  }
  std::string reference_lines;
  for (const auto& relative : references) {
    Reference reference;
    reference.name = relative.stem().string();
    reference.file = relative;
    check_file_name(folder / relative, [&] { validate_object_name(reference.name); });
    image::decode_image(folder / relative);
    reference_lines += reference_json(reference) + "\n";
  }

  if (!references.empty()) {
    io::write_file_atomic(folder / "references.jsonl", reference_lines);
  }
  io::write_file_atomic(folder / "manifest.jsonl", manifest);
  summary.images = static_cast<int>(images.size());
  summary.references = static_cast<int>(references.size());
  return summary;
}

}  // namespace clipscope::scenes
