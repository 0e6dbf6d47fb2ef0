// The scene images an image experiment runs on: each image with its objects in slot order, the
// slot of the large object and one single-object reference image per object name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "clipscope/io/sha256.h"

namespace clipscope::experiments {

/// One scene image.
struct SceneImage {
  std::filesystem::path file;        ///< Absolute path.
  std::vector<std::string> objects;  ///< Object names in slot order.
  int64_t large_slot = 0;            ///< Slot of the largest object.
  std::vector<double> areas;         ///< Area fraction per slot; empty if unknown.
};

/// A scene dataset.
struct SceneSet {
  std::filesystem::path folder;
  std::string manifest_sha256;                                ///< SHA-256 of the manifest bytes.
  std::vector<std::string> objects;                           ///< Object vocabulary in manifest order.
  std::map<std::string, std::filesystem::path> references;   ///< Object name to its single-object image.
  std::vector<SceneImage> images;
};

/// Reads `folder`/manifest.json: {"objects": [names], "references": {name: file}, "images":
/// [{"file", "objects": [names], "large_slot", "areas"}]}, files relative to `folder`.
/// Throws Error(kNotFound) if the manifest is missing and Error(kInvalidArgument) naming the entry
/// for an unknown object, a bad large_slot or an image with fewer than 2 objects.
/// TODO(experiments): read the scenes area's manifest (scenes/manifest.h) once it exists; until then
/// this reads the format above.
SceneSet load_scene_set(const std::filesystem::path& folder);

/// Writes a SceneSet as `folder`/manifest.json in the format load_scene_set reads (for tests and imports).
void write_scene_set(const SceneSet& scenes, const std::filesystem::path& folder);

/// Returns the lowercase hex SHA-256 of `bytes` (see io/sha256.h). Experiments hash manifests
/// and vocabularies with it.
using io::sha256_hex;

}  // namespace clipscope::experiments
