#include "clipscope/experiments/attention_roles.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "clipscope/error.h"
#include "clipscope/experiments/attention_heatmap.h"
#include "clipscope/image/decode.h"
#include "clipscope/image/png_writer.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/progress.h"
#include "similarity.h"

namespace clipscope::experiments {
namespace {

// Images per class_token_attention call.
constexpr size_t kAttentionBatch = 32;

class CLIPAttentionModel : public AttentionModel {
 public:
  explicit CLIPAttentionModel(model::CLIPEncoder& encoder) : encoder_(encoder) {}

  std::string name() const override { return encoder_.loaded().name; }
  int64_t grid() const override {
    const model::VisionConfig& vision = *encoder_.loaded().config().vision_cfg;
    return vision.image_size / *vision.patch_size;
  }
  int64_t blocks() const override { return encoder_.loaded().config().vision_cfg->layers.at(0); }
  const image::PreprocessConfig& preprocess() const override { return encoder_.preprocess_config(); }
  torch::Tensor class_token_attention(const std::vector<std::filesystem::path>& images, int64_t block) override {
    return encoder_.class_token_attention(images, block);
  }

 private:
  model::CLIPEncoder& encoder_;
};

int64_t count_inside(const ObjectMask& mask) {
  return std::count_if(mask.pixels.begin(), mask.pixels.end(), [](uint8_t value) { return value != 0; });
}

double area_share(const ObjectMask& mask) {
  return static_cast<double>(count_inside(mask)) / static_cast<double>(mask.pixels.size());
}

// Attention of every image in one block, in batches with a progress bar: [N, 1 + grid * grid].
torch::Tensor block_attention(AttentionModel& model, const std::vector<AttentionImage>& images, int64_t block,
                              const std::string& label) {
  Progress progress(label, static_cast<int64_t>(images.size()));
  std::vector<torch::Tensor> parts;
  for (size_t begin = 0; begin < images.size(); begin += kAttentionBatch) {
    std::vector<std::filesystem::path> files;
    for (size_t i = begin; i < std::min(images.size(), begin + kAttentionBatch); ++i) files.push_back(images[i].file);
    parts.push_back(model.class_token_attention(files, block));
    progress.advance(static_cast<int64_t>(files.size()));
  }
  torch::Tensor attention = torch::cat(parts, 0);  // [N, T]
  if (attention.dim() != 2 || attention.size(1) != 1 + model.grid() * model.grid()) {
    fail(ErrorKind::kInvalidArgument, "model \"{}\" returned attention of shape {} for a {}x{} patch grid",
         model.name(), attention.sizes().vec(), model.grid(), model.grid());
  }
  return attention;
}

std::string format_shares(const std::vector<double>& values) {
  std::vector<std::string> parts;
  for (double value : values) parts.push_back(fmt::format("{:.6f}", value));
  return detail::join(parts, "|");
}

}  // namespace

std::unique_ptr<AttentionModel> make_attention_model(model::Encoder& encoder) {
  auto* clip = dynamic_cast<model::CLIPEncoder*>(&encoder);
  const std::string name = encoder.identity().value("name", std::string("?"));
  if (clip == nullptr || !clip->loaded().model->visual_vit) {
    fail(ErrorKind::kUnsupported, "model \"{}\" has no ViT image tower, so the attention experiment cannot run; drop "
         "attention from --experiments or pass a ViT model", name);
  }
  return std::make_unique<CLIPAttentionModel>(*clip);
}

ObjectMask mask_to_model_frame(const ObjectMask& mask, const image::PreprocessConfig& preprocess) {
  if (mask.width <= 0 || mask.height <= 0 ||
      mask.pixels.size() != static_cast<size_t>(mask.width) * static_cast<size_t>(mask.height)) {
    fail(ErrorKind::kInvalidArgument, "mask has {} pixels for size {}x{}; expected width * height", mask.pixels.size(),
         mask.width, mask.height);
  }
  image::Image gray = image::Image::blank(mask.width, mask.height, image::PixelMode::kL);
  for (size_t i = 0; i < mask.pixels.size(); ++i) gray.pixels[i] = mask.pixels[i] != 0 ? 255 : 0;
  image::PreprocessConfig nearest = preprocess;
  nearest.interpolation = "nearest";
  nearest.fill_color = 0;
  const image::Image crop = image::preprocess_crop(gray, nearest);  // RGB, image_size square

  ObjectMask mapped{crop.width, crop.height, std::vector<uint8_t>(static_cast<size_t>(crop.width) * crop.height, 0)};
  for (size_t i = 0; i < mapped.pixels.size(); ++i) mapped.pixels[i] = crop.pixels[i * 3] >= 128 ? 1 : 0;
  return mapped;
}

std::vector<AttentionImage> coco_attention_images(const io::CocoDataset& dataset, const std::vector<ImageObjects>& images,
                                                  AreaSource area_source, const image::PreprocessConfig& preprocess) {
  std::vector<AttentionImage> result;
  for (const ImageObjects& objects : images) {
    const io::CocoImage& record = dataset.image(objects.image_id);
    AttentionImage entry;
    entry.id = std::to_string(objects.image_id);
    entry.file = objects.file;
    int64_t largest_area = -1;
    for (const ImageObject& object : objects.objects) {
      ObjectMask mask{record.width, record.height, category_mask(dataset, record, object.category_id, area_source)};
      ObjectMask mapped = mask_to_model_frame(mask, preprocess);
      const int64_t visible = count_inside(mapped);
      if (visible == 0) continue;
      if (visible > largest_area) {
        largest_area = visible;
        entry.large = entry.objects.size();
      }
      entry.objects.push_back(object.category);
      entry.masks.push_back(std::move(mapped));
    }
    if (entry.objects.size() >= 2) result.push_back(std::move(entry));
  }
  return result;
}

std::vector<AttentionImage> scene_attention_images(const scenes::Manifest& manifest,
                                                   const image::PreprocessConfig& preprocess) {
  const std::filesystem::path manifest_file = manifest.folder / "manifest.jsonl";
  std::vector<AttentionImage> result;
  for (const scenes::ManifestRow& row : manifest.rows) {
    if (row.mask.empty() || !row.large_slot) {
      fail(ErrorKind::kInvalidArgument, "image \"{}\" in \"{}\" has no {}; render the set with clipscope scenes render "
           "--masks", row.file.string(), manifest_file.string(), row.mask.empty() ? "label mask" : "large slot");
    }
    // read_manifest has already joined the manifest's folder to the mask path
    const std::filesystem::path& mask_file = row.mask;
    const image::Image labels = image::decode_image(mask_file);
    if (labels.mode != image::PixelMode::kL && labels.mode != image::PixelMode::kP) {
      fail(ErrorKind::kInvalidArgument, "label mask \"{}\" has mode {}, expected 8-bit gray with slot + 1 per pixel",
           mask_file.string(), image::mode_name(labels.mode));
    }

    AttentionImage entry;
    entry.id = row.file.filename().string();
    entry.file = row.file;
    bool large_visible = false;
    for (size_t slot = 0; slot < row.objects.size(); ++slot) {
      ObjectMask mask{labels.width, labels.height, std::vector<uint8_t>(labels.pixels.size(), 0)};
      for (size_t i = 0; i < labels.pixels.size(); ++i) mask.pixels[i] = labels.pixels[i] == slot + 1 ? 1 : 0;
      ObjectMask mapped = mask_to_model_frame(mask, preprocess);
      if (count_inside(mapped) == 0) continue;
      if (static_cast<int>(slot) == *row.large_slot) {
        entry.large = entry.objects.size();
        large_visible = true;
      }
      entry.objects.push_back(row.objects[slot]);
      entry.masks.push_back(std::move(mapped));
    }
    if (large_visible && entry.objects.size() >= 2) result.push_back(std::move(entry));
  }
  return result;
}

RoleShares role_shares(const std::vector<double>& attention_shares, const std::vector<double>& area_shares,
                       size_t large) {
  if (attention_shares.size() != area_shares.size() || attention_shares.size() < 2 || large >= area_shares.size()) {
    fail(ErrorKind::kInvalidArgument, "role shares need two or more objects with one area each and a large index "
         "among them; got {} attention shares, {} area shares, large index {}", attention_shares.size(),
         area_shares.size(), large);
  }
  for (double area : area_shares) {
    if (!(area > 0)) fail(ErrorKind::kInvalidArgument, "area share {} is not positive; drop hidden objects", area);
  }
  RoleShares shares;
  shares.large_share = attention_shares[large];
  shares.large_area = area_shares[large];
  shares.large_ratio = shares.large_share / shares.large_area;
  double small_attention = 0;
  double small_area = 0;
  for (size_t i = 0; i < area_shares.size(); ++i) {
    if (i == large) continue;
    small_attention += attention_shares[i];
    small_area += area_shares[i];
  }
  const auto others = static_cast<double>(area_shares.size() - 1);
  shares.small_share = small_attention / others;
  shares.small_area = small_area / others;
  shares.small_ratio = small_attention / small_area;
  return shares;
}

std::vector<AttentionFigure> run_attention(AttentionModel& model, const std::vector<AttentionImage>& images,
                                           const AttentionOptions& options, MetricCollector& collector,
                                           CsvTable& samples) {
  const int64_t last = model.blocks() - 1;
  if (options.block && (*options.block < 0 || *options.block > last)) {
    fail(ErrorKind::kInvalidArgument, "attention block {} is out of range for model \"{}\" with {} blocks; pass "
         "--attention-block 0..{}", *options.block, model.name(), model.blocks(), last);
  }
  if (options.figures < 0) {
    fail(ErrorKind::kInvalidArgument, "attention figure count {} is negative; pass 0 or more", options.figures);
  }
  if (images.empty()) {
    fail(ErrorKind::kInvalidArgument, "no image has two objects visible in the model's input, so the attention "
         "experiment has no sample");
  }

  std::vector<std::pair<std::string, int64_t>> variants{{"last_block", last}};
  if (options.block && *options.block != last) variants.emplace_back(fmt::format("block_{}", *options.block), *options.block);

  samples.header = {"image", "variant", "block", "objects", "large", "attention_shares", "area_shares",
                    "large_share", "large_area_share", "small_share", "small_area_share"};
  std::vector<AttentionFigure> figures;
  for (const auto& [variant, block] : variants) {
    const torch::Tensor attention = block_attention(model, images, block, "attention " + variant);  // [N, T]
    std::vector<RoleShares> per_image;
    for (size_t i = 0; i < images.size(); ++i) {
      const AttentionImage& image = images[i];
      const torch::Tensor patches = attention[static_cast<int64_t>(i)].narrow(0, 1, model.grid() * model.grid());
      const std::vector<double> shares = attention_object_shares(patches, model.grid(), image.masks);
      std::vector<double> areas;
      for (const ObjectMask& mask : image.masks) areas.push_back(area_share(mask));
      const RoleShares roles = role_shares(shares, areas, image.large);
      per_image.push_back(roles);
      samples.rows.push_back({image.id, variant, std::to_string(block), detail::join(image.objects, "|"),
                              image.objects[image.large], format_shares(shares), format_shares(areas),
                              fmt::format("{:.6f}", roles.large_share), fmt::format("{:.6f}", roles.large_area),
                              fmt::format("{:.6f}", roles.small_share), fmt::format("{:.6f}", roles.small_area)});

      if (block == last && static_cast<int64_t>(figures.size()) < options.figures) {
        const image::Image crop = image::preprocess_crop(image::decode_image(image.file), model.preprocess());
        const image::Image overlay = attention_overlay(crop, patches, model.grid(), &image.masks[image.large]);
        // scene ids are file names, so the figure takes the stem: attention_cube_sphere.png
        figures.push_back({fmt::format("attention_{}.png", std::filesystem::path(image.id).stem().string()),
                           fmt::format("{}: {} outlined; {:.1f}% of the attention on {:.1f}% of the area",
                                       image.file.filename().string(), image.objects[image.large],
                                       roles.large_share * 100, roles.large_area * 100),
                           image::encode_png(overlay)});
      }
    }

    // records per size role; chance of the share is what uniform attention gives
    auto collect = [&](auto value_of) {
      std::vector<double> values;
      for (const RoleShares& roles : per_image) values.push_back(value_of(roles));
      return values;
    };
    auto mean = [](const std::vector<double>& values) {
      return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    };
    const std::vector<double> large_area = collect([](const RoleShares& r) { return r.large_area; });
    const std::vector<double> small_area = collect([](const RoleShares& r) { return r.small_area; });
    collector.add("attention", variant, "attention_share", {{"size_role", "large"}},
                  collect([](const RoleShares& r) { return r.large_share; }), mean(large_area));
    collector.add("attention", variant, "attention_share", {{"size_role", "small"}},
                  collect([](const RoleShares& r) { return r.small_share; }), mean(small_area));
    collector.add("attention", variant, "area_share", {{"size_role", "large"}}, large_area, std::nullopt);
    collector.add("attention", variant, "area_share", {{"size_role", "small"}}, small_area, std::nullopt);
    collector.add("attention", variant, "attention_area_ratio", {{"size_role", "large"}},
                  collect([](const RoleShares& r) { return r.large_ratio; }), 1.0);
    collector.add("attention", variant, "attention_area_ratio", {{"size_role", "small"}},
                  collect([](const RoleShares& r) { return r.small_ratio; }), 1.0);
  }
  return figures;
}

}  // namespace clipscope::experiments
