// Ground truth of a scene set and how it is stored. A set folder contains:
//   <objects joined by '_'>.png     scene images, objects in slot order (optionally in subfolders
//                                   such as large<k>/ or ratio<r>/ when names would repeat);
//   manifest.jsonl                  one JSON object per image (see ManifestRow for the keys);
//   masks/<same path>.png           optional label masks: 0 floor, slot index + 1 per object;
//   references/<name>.png           one single-object reference image per object name;
//   references.jsonl                one JSON object per reference: name, file, bbox, area.
// Paths inside the files are relative to the set folder. scenes/scene_set.h writes such sets.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clipscope::scenes {

/// A pixel box [x0, x1) x [y0, y1).
struct Box {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
};

/// One image of a set. JSON keys equal the field names; unknown fields of an imported set are
/// empty (vectors), absent (optionals) or "" (strings).
struct ManifestRow {
  std::filesystem::path file;                ///< Image path; relative in the file, absolute after read_manifest.
  std::string kind;                          ///< "simco", "comco", or "" when imported.
  int width = 0;                             ///< Image width in pixels; 0 if unknown.
  int height = 0;                            ///< Image height in pixels; 0 if unknown.
  std::vector<std::string> objects;          ///< Object names in slot order.
  std::vector<std::array<double, 2>> slots;  ///< Box centres (x, y) as fractions of the frame, slot order.
  std::optional<int> large_slot;             ///< Slot index of the large object.
  std::vector<Box> boxes;                    ///< Visible pixel box per object (empty box if hidden).
  std::vector<int64_t> areas;                ///< Visible pixels per object, counted from the label mask.
  std::vector<std::string> colors;           ///< Colour name per object (SimCO only).
  std::filesystem::path mask;                ///< Label mask path, empty if none.
  std::optional<uint64_t> seed;              ///< Seed this image was drawn from.
  std::string renderer;                      ///< Renderer version tag, "" when imported.
};

/// The single-object reference image of one object name.
struct Reference {
  std::string name;
  std::filesystem::path file;  ///< Relative in references.jsonl, absolute after read_manifest.
  std::optional<Box> box;      ///< Visible box, absent when imported.
  std::optional<int64_t> area; ///< Visible pixels, absent when imported.
};

/// A whole set as read from its folder.
struct Manifest {
  std::filesystem::path folder;
  std::vector<ManifestRow> rows;
  std::map<std::string, Reference> references;  ///< By object name.

  /// Returns the reference image path of `name`. Throws Error(kNotFound) naming the set folder.
  const std::filesystem::path& reference_path(const std::string& name) const;
};

/// Checks that `name` can be an object name in file names: non-empty, no '_', '/', '\\' or
/// control characters, and not "." or "..". Throws Error(kInvalidArgument) naming the value and
/// the fix.
void validate_object_name(std::string_view name);

/// Splits a scene file stem such as "cube_sphere" into object names. Throws Error(kInvalidArgument)
/// for an empty part.
std::vector<std::string> object_names_from_stem(std::string_view stem);

/// Returns `row` as one JSON line without the trailing newline; keys are written in a fixed order.
std::string manifest_row_json(const ManifestRow& row);

/// Parses one manifest line. `source` and `line_number` name the place in error messages.
/// Throws Error(kInvalidArgument) for malformed JSON or missing "file"/"objects".
ManifestRow parse_manifest_row(std::string_view line, const std::filesystem::path& source,
                               int line_number);

/// Returns `reference` as one JSON line without the trailing newline.
std::string reference_json(const Reference& reference);

/// Reads `folder`/manifest.jsonl and, if present, `folder`/references.jsonl, making every path
/// absolute. Throws Error(kNotFound) if there is no manifest (with the import command as the fix)
/// and Error(kInvalidArgument) naming the file and line of a malformed row.
Manifest read_manifest(const std::filesystem::path& folder);

/// Result of import_scene_folder.
struct ImportSummary {
  int images = 0;      ///< Rows written.
  int references = 0;  ///< Reference images found in references/.
  int without_large_slot =
      0;  ///< Rows without a large slot, which `clipscope run --dataset` rejects.
};

/// Choices of import_scene_folder.
struct ImportOptions {
  /// Slot of the large object in every scene that is not under a large<k>/ folder; unset leaves
  /// those rows without a large slot.
  std::optional<int> large_slot;
};

/// Builds manifest.jsonl (and references.jsonl if references/<name>.png exist) for a folder of
/// images named like obj1_obj2.png, such as the published SimCO and ComCO folders. Rows list the
/// objects from the file name, the image size, and the large slot: k for files under a large<k>/
/// folder, else options.large_slot. Boxes, areas and the other fields stay empty. Files under
/// masks/ are not scenes. Every file is decoded and every name checked before anything is
/// written. Throws Error(kNotFound) if the folder does not exist or holds no PNG or JPEG image,
/// and Error(kInvalidArgument) naming the file if it already has a manifest (delete it to import
/// again), if an image is empty or not a PNG or JPEG (decode_image's errors), if a scene names
/// fewer than 2 objects or one object twice, if two files differ only in their extension, or if
/// options.large_slot is not a slot of a scene.
ImportSummary import_scene_folder(const std::filesystem::path& folder,
                                  const ImportOptions& options = {});

}  // namespace clipscope::scenes
