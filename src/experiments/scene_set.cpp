#include "clipscope/experiments/scene_set.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"

namespace clipscope::experiments {
SceneSet load_scene_set(const std::filesystem::path& folder) {
  std::filesystem::path manifest = folder / "manifest.json";
  if (!std::filesystem::exists(manifest)) {
    fail(ErrorKind::kNotFound, "dataset folder {} has no manifest.json; pass a folder made by clipscope scenes",
         folder.string());
  }
  std::string bytes = io::read_file(manifest);
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception& error) {
    fail(ErrorKind::kInvalidArgument, "{} is not valid JSON: {}", manifest.string(), error.what());
  }

  SceneSet scenes;
  scenes.folder = folder;
  scenes.manifest_sha256 = sha256_hex(bytes);
  try {
    scenes.objects = document.at("objects").get<std::vector<std::string>>();
    for (const auto& [name, file] : document.at("references").items()) {
      scenes.references[name] = folder / file.get<std::string>();
    }
    for (size_t i = 0; i < document.at("images").size(); ++i) {
      const nlohmann::json& entry = document["images"][i];
      SceneImage image;
      image.file = folder / entry.at("file").get<std::string>();
      image.objects = entry.at("objects").get<std::vector<std::string>>();
      image.large_slot = entry.at("large_slot").get<int64_t>();
      if (entry.contains("areas")) image.areas = entry["areas"].get<std::vector<double>>();
      if (image.objects.size() < 2 || image.large_slot < 0 ||
          image.large_slot >= static_cast<int64_t>(image.objects.size())) {
        fail(ErrorKind::kInvalidArgument, "{} image {} (\"{}\"): needs at least 2 objects and a large_slot among them",
             manifest.string(), i, image.file.string());
      }
      for (const std::string& name : image.objects) {
        if (std::find(scenes.objects.begin(), scenes.objects.end(), name) == scenes.objects.end()) {
          fail(ErrorKind::kInvalidArgument, "{} image {}: object \"{}\" is not in \"objects\"", manifest.string(), i,
               name);
        }
      }
      scenes.images.push_back(std::move(image));
    }
  } catch (const nlohmann::json::exception& error) {
    fail(ErrorKind::kInvalidArgument, "{} does not match the scene manifest layout: {}", manifest.string(),
         error.what());
  }
  if (scenes.images.empty()) fail(ErrorKind::kInvalidArgument, "{} lists no images", manifest.string());
  return scenes;
}

void write_scene_set(const SceneSet& scenes, const std::filesystem::path& folder) {
  nlohmann::json document{{"objects", scenes.objects}, {"references", nlohmann::json::object()},
                          {"images", nlohmann::json::array()}};
  for (const auto& [name, file] : scenes.references) {
    document["references"][name] = std::filesystem::relative(file, folder).string();
  }
  for (const SceneImage& image : scenes.images) {
    document["images"].push_back({{"file", std::filesystem::relative(image.file, folder).string()},
                                  {"objects", image.objects},
                                  {"large_slot", image.large_slot},
                                  {"areas", image.areas}});
  }
  io::write_file_atomic(folder / "manifest.json", document.dump(2) + "\n");
}

}  // namespace clipscope::experiments
