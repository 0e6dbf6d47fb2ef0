// scenes render, scenes import and scenes preview: option parsing only; the work is in
// clipscope/scenes/*.h.
#include <cstdio>

#include "clipscope/log.h"
#include "clipscope/scenes/contact_sheet.h"
#include "clipscope/scenes/manifest.h"
#include "clipscope/scenes/scene_set.h"
#include "commands.h"

namespace clipscope::cli {

namespace {

struct RenderArguments {
  std::string kind = "simco";
  std::string coco;
  std::vector<std::string> names;
  std::string design = "sample";
  std::string out;
  int size = 512;
  std::vector<double> small_area = {0.015, 0.025};
  scenes::SceneSetOptions options;
};

void add_render(CLI::App& scenes_app) {
  auto arguments = std::make_shared<RenderArguments>();
  scenes::SceneSetOptions& options = arguments->options;
  CLI::App* render = scenes_app.add_subcommand("render", "Render a scene set with ground truth into a folder");
  render->add_option("--kind", arguments->kind, "Object source: simco (3D shapes) or comco (COCO cut-outs)")
      ->capture_default_str();
  render->add_option("--coco", arguments->coco, "COCO folder (images + annotations/instances_*.json) for --kind comco");
  render->add_option("--names", arguments->names,
                     "Objects to use, comma-separated (shape or COCO category names); default: all")
      ->delimiter(',');
  render->add_option("--objects", options.object_count, "Objects per image, 2 to 5")->capture_default_str();
  render->add_option("--count", options.count,
                     "Images: exact for sample; a cap for all (0 = every combination); rounded up "
                     "to full blocks for counterbalanced")
      ->capture_default_str();
  render->add_option("--seed", options.seed, "Seed of every random choice")->capture_default_str();
  render->add_option("--out", arguments->out, "Output folder; an existing set with the same options is resumed")
      ->required();
  render->add_option("--design", arguments->design, "Combinations: sample, all or counterbalanced")
      ->capture_default_str();
  render->add_option("--large-slot", options.large_slot,
                     "Slot of the large object: random, each (one image per slot) or an index from 0")
      ->capture_default_str();
  render->add_option("--size-ratio", options.size_ratios,
                     "Large / small image-box area ratios, comma-separated; each image is made once "
                     "per ratio (default: small boxes of 1.5% to 2.5% of the frame)")
      ->delimiter(',');
  render->add_option("--colors", options.colors,
                     "SimCO colours: one name, one per slot (comma-separated), or random")
      ->delimiter(',')
      ->capture_default_str();
  render->add_flag("--masks", options.masks, "Also write label masks (PNG, value = slot index + 1) under masks/");
  render->add_option("--size", arguments->size, "Image width and height in pixels")->capture_default_str();
  render->add_option("--supersampling", options.render.supersampling,
                     "Antialiasing samples per edge pixel side (odd, 1 = off)")
      ->capture_default_str();
  render->add_option("--elevation", options.render.elevation_degrees,
                     "Camera angle above the floor in degrees (90 = straight down)")
      ->capture_default_str();
  render->add_option("--large-area", options.layout.large_area,
                     "Image-box area of the large object as a fraction of the frame")
      ->capture_default_str();
  render->add_option("--small-area", arguments->small_area,
                     "Range of small objects' image-box areas as fractions of the frame: MIN,MAX")
      ->delimiter(',')
      ->expected(2);
  render->add_option("--min-area-ratio", options.layout.min_area_ratio,
                     "Small objects shrink until the large object covers this many times their pixels")
      ->capture_default_str();
  render->add_option("--jitter", options.layout.position_jitter,
                     "Largest random shift of a slot centre, as a fraction of the frame side")
      ->capture_default_str();
  render->add_option("--rotation", options.layout.rotation_jitter_degrees,
                     "Largest random turn of an object about the vertical axis, in degrees")
      ->capture_default_str();
  render->add_flag("--allow-overlap", options.layout.allow_overlap,
                   "Keep layouts whose object boxes overlap instead of failing");
  render->add_option("--min-cutout-area", options.min_cutout_area,
                     "COCO instances with fewer mask pixels are skipped as tiny")
      ->capture_default_str();

  render->callback([arguments] {
    scenes::SceneSetOptions options = arguments->options;
    options.kind = scenes::parse_scene_kind(arguments->kind);
    options.design = scenes::parse_design(arguments->design);
    options.coco_folder = arguments->coco;
    options.names = arguments->names;
    options.render.width = options.render.height = arguments->size;
    options.layout.small_area_min = arguments->small_area.at(0);
    options.layout.small_area_max = arguments->small_area.at(1);
    scenes::SceneSetSummary summary = scenes::render_scene_set(options, arguments->out);
    std::printf("%d images in %s (%d rendered, %d kept)\n", summary.planned, arguments->out.c_str(),
                summary.rendered, summary.kept);
  });
}

void add_import(CLI::App& scenes_app) {
  auto folder = std::make_shared<std::string>();
  auto options = std::make_shared<scenes::ImportOptions>();
  CLI::App* import = scenes_app.add_subcommand(
      "import",
      "Write manifest.jsonl for a folder of obj1_obj2.png images (e.g. published SimCO/ComCO). "
      "Every image is decoded first. Empty or broken files, files differing only in extension and "
      "names listing an object twice are rejected. The large slot of a scene comes from a "
      "large<k>/ folder or from --large-slot. Scenes without one are imported, but clipscope run "
      "--dataset rejects them.");
  import->add_option("folder", *folder, "Folder of scene images")->required();
  import->add_option(
      "--large-slot", options->large_slot,
      "Slot (from 0, in file-name order) of the large object in every scene not under a large<k>/ "
      "folder");
  import->callback([folder, options] {
    scenes::ImportSummary summary = scenes::import_scene_folder(*folder, *options);
    std::printf("imported %d images and %d references in %s\n", summary.images, summary.references,
                folder->c_str());
    if (summary.without_large_slot > 0) {
      log::warn(
          "{} images have no large slot, so clipscope run --dataset rejects this set; delete "
          "manifest.jsonl and import again with --large-slot K",
          summary.without_large_slot);
    }
  });
}

void add_preview(CLI::App& scenes_app) {
  struct PreviewArguments {
    std::string folder;
    std::string out;
    int columns = 6;
    int tile = 192;
    int limit = 24;
  };
  auto arguments = std::make_shared<PreviewArguments>();
  CLI::App* preview = scenes_app.add_subcommand("preview", "Write a contact sheet PNG of a scene set");
  preview->add_option("folder", arguments->folder, "Scene set folder or folder of images")->required();
  preview->add_option("--out", arguments->out, "Contact sheet PNG to write")->required();
  preview->add_option("--columns", arguments->columns, "Images per row")->capture_default_str();
  preview->add_option("--tile", arguments->tile, "Cell size in pixels")->capture_default_str();
  preview->add_option("--limit", arguments->limit, "Largest number of images shown (0 = all)")
      ->capture_default_str();
  preview->callback([arguments] {
    scenes::write_contact_sheet(arguments->folder, arguments->out, arguments->columns, arguments->tile,
                                arguments->limit);
  });
}

}  // namespace

void add_scenes_commands(CLI::App& app) {
  CLI::App* scenes_app = app.add_subcommand("scenes", "Generate, import and preview SimCO/ComCO scene sets");
  scenes_app->require_subcommand(1);
  add_render(*scenes_app);
  add_import(*scenes_app);
  add_preview(*scenes_app);
}

}  // namespace clipscope::cli
