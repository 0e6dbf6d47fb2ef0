// ComCO-style objects without 3D assets: objects cut out of COCO photos with their instance masks,
// and composited at planned boxes on the renderer's studio floor with a contact shadow.
// Layout planning is scenes/layout.h; SimCO shapes are drawn by scenes/renderer.h instead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "clipscope/image/image.h"
#include "clipscope/scenes/layout.h"
#include "clipscope/scenes/renderer.h"

namespace clipscope::scenes {

/// One object cut out of a photo.
struct Cutout {
  std::string name;           ///< COCO category name, the object name in file names.
  image::Image rgba;          ///< The instance's mask box, mode RGBA, alpha 255 inside the mask.
  int64_t annotation_id = 0;  ///< COCO annotation the cut-out comes from.
  std::string source_file;    ///< COCO image file name.
  double fill = 1;            ///< Fraction of the box inside the mask.
};

/// Settings for choosing instances.
struct CutoutOptions {
  int64_t min_area = 4096;          ///< Instances with fewer mask pixels are skipped as tiny.
  std::vector<std::string> names;   ///< Categories to keep; empty keeps every category with an instance.
};

/// Cut-outs of a COCO folder with counts of the instances left out.
struct CutoutLibrary {
  std::vector<Cutout> cutouts;  ///< One per category (its largest eligible instance), by name.
  int skipped_crowd = 0;        ///< iscrowd instances.
  int skipped_truncated = 0;    ///< Instances whose box touches the image border.
  int skipped_tiny = 0;         ///< Instances under CutoutOptions::min_area pixels.
  int skipped_no_mask = 0;      ///< Instances without segmentation.

  /// Returns the cut-out named `name`. Throws Error(kNotFound) listing the available names.
  const Cutout& find(const std::string& name) const;
};

/// Reads a COCO folder (see io::read_coco_folder) and cuts out, per category, its largest instance
/// that is not a crowd, not truncated and not tiny. Throws Error(kInvalidArgument) if the file has
/// no segmentation masks, Error(kNotFound) if a requested name has no eligible instance (listing
/// those that do), and the decoding errors of image/decode.h for an unreadable image.
CutoutLibrary load_cutouts(const std::filesystem::path& coco_folder, const CutoutOptions& options);

/// Returns the footprint (aspect and fill) of a cut-out for plan_boxes.
Footprint cutout_footprint(const Cutout& cutout);

/// One cut-out placed in a scene.
struct CutoutPlacement {
  const Cutout* cutout = nullptr;
  PlannedBox box;  ///< Where its mask box goes, in frame fractions.
};

/// Composites `objects` (in slot order) over the empty studio floor of `options`, nearer objects
/// (lower in the frame) over farther ones, each with a soft contact shadow. Labels are slot index
/// + 1 where the object's alpha is at least 128.
RenderedScene composite_scene(const std::vector<CutoutPlacement>& objects, const RenderOptions& options);

}  // namespace clipscope::scenes
