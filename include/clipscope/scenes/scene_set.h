// Whole benchmark sets: designs (seeded samples, all combinations, counterbalanced), rendering
// with SimCO shapes or COCO cut-outs, and the files described in scenes/manifest.h. Rendering is
// resumable: finished images are kept and manifest rows are appended one complete line at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clipscope/scenes/layout.h"
#include "clipscope/scenes/renderer.h"

namespace clipscope::scenes {

/// Where the objects come from.
enum class SceneKind {
  kSimCO,  ///< Rendered 3D shapes (scenes/shapes.h).
  kComCO,  ///< Objects cut out of COCO photos (scenes/cutouts.h).
};

/// How object combinations are chosen.
enum class Design {
  kSample,           ///< `count` images, each with distinct objects drawn at random.
  kAll,              ///< Every combination of distinct objects, in name order within the slots.
  kCounterbalanced,  ///< Every object equally often in every slot and in the large role.
};

/// Parses "simco" or "comco". Throws Error(kInvalidArgument) otherwise.
SceneKind parse_scene_kind(std::string_view text);

/// Parses "sample", "all" or "counterbalanced". Throws Error(kInvalidArgument) otherwise.
Design parse_design(std::string_view text);

/// Settings of a set. Every field is stored in the set's scenes.json; resuming requires equal settings.
struct SceneSetOptions {
  SceneKind kind = SceneKind::kSimCO;
  std::filesystem::path coco_folder;  ///< COCO folder for kComCO (images + annotations).
  std::vector<std::string> names;     ///< Objects to use; empty uses every shape or COCO category.
  int object_count = 3;               ///< Objects per image, 2 to 5.
  int count = 100;                    ///< Images for kSample; for the other designs 0 means the whole design,
                                      ///< kAll stops after `count` and kCounterbalanced rounds up to full blocks.
  uint64_t seed = 0;                  ///< Seed of every random choice.
  Design design = Design::kSample;
  std::string large_slot = "random";  ///< "random", "each" (one image per slot) or a slot index.
  std::vector<double> size_ratios;    ///< Large / small box-area ratios; each design image is made once
                                      ///< per ratio. Empty uses the layout's small-area range.
  std::vector<std::string> colors = {"blue"};  ///< One colour, one per slot, or "random" (SimCO only).
  bool masks = false;                 ///< Also write label masks under masks/.
  int64_t min_cutout_area = 4096;     ///< COCO instances with fewer mask pixels are skipped.
  RenderOptions render;
  LayoutOptions layout;
};

/// One image of a set before rendering.
struct ScenePlan {
  std::vector<std::string> objects;  ///< In slot order.
  std::vector<std::string> colors;   ///< Per object; empty for kComCO.
  int large_slot = 0;
  std::optional<double> size_ratio;
  uint64_t seed = 0;                 ///< Seed of this image's layout.
  std::filesystem::path file;        ///< Relative image path.
};

/// Returns the images of a set over `vocabulary` (object names) in rendering order, with file
/// names obj1_obj2.png placed under large<k>/, ratio<r>/ or rep<n>/ only when names would repeat.
/// Throws Error(kInvalidArgument) for an object count outside 2..5, a vocabulary smaller than the
/// object count, an invalid large slot, colour or count, or a name containing '_'.
std::vector<ScenePlan> plan_scene_set(const SceneSetOptions& options,
                                      const std::vector<std::string>& vocabulary);

/// Counts of a render_scene_set call.
struct SceneSetSummary {
  int planned = 0;   ///< Images in the design.
  int rendered = 0;  ///< Images drawn by this call.
  int kept = 0;      ///< Images already finished by an earlier call.
};

/// Renders the set into `folder` (see scenes/manifest.h for the files). Every input is checked
/// and every layout planned before the first file is written, so bad input leaves no files.
/// Output bytes depend only on the options, not on the thread count. Throws Error(kInvalidArgument)
/// if `folder` holds a set made with other options or if the image size leaves an object fewer
/// than 16 expected visible pixels (box area times fill; the message gives the smallest size that
/// would do), plus the errors of plan_scene_set, plan_boxes, load_cutouts and render_scene.
SceneSetSummary render_scene_set(const SceneSetOptions& options, const std::filesystem::path& folder);

}  // namespace clipscope::scenes
