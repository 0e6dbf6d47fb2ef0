// A small synthetic COCO folder for the real-data experiment tests. Its PNG images show flat-coloured
// rectangles on grey, one colour per category, with polygon annotations and captions. The encoder
// here embeds an image as the pixel fraction of each category colour, so the largest object dominates.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/image/decode.h"
#include "clipscope/image/image.h"
#include "clipscope/image/png_writer.h"
#include "clipscope/io/atomic_file.h"
#include "stand_in_encoder.h"

namespace clipscope::testing {

/// An axis-aligned filled rectangle [x0, x1) x [y0, y1) of one category.
struct SyntheticObject {
  std::string category;
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
};

/// One image of the synthetic folder.
struct SyntheticImage {
  int64_t id = 0;
  std::string file;
  std::vector<SyntheticObject> objects;
  std::vector<std::string> captions;
};

inline constexpr int kSyntheticSide = 64;
inline constexpr uint8_t kBackgroundGray = 128;

/// Category names (ids 1..6 in this order) and their colours.
inline const std::vector<std::pair<std::string, std::array<uint8_t, 3>>>& synthetic_categories() {
  static const std::vector<std::pair<std::string, std::array<uint8_t, 3>>> categories = {
      {"dog", {255, 0, 0}},   {"cat", {0, 255, 0}},     {"bed", {0, 0, 255}},
      {"car", {255, 255, 0}}, {"apple", {255, 0, 255}}, {"kite", {0, 255, 255}}};
  return categories;
}

inline std::vector<std::string> synthetic_names() {
  std::vector<std::string> names;
  for (const auto& [name, color] : synthetic_categories()) names.push_back(name);
  return names;
}

/// Five images: three with distinct largest objects, one with a single object, and one whose kite
/// appears nowhere else (so coco-ior has no reference for it from another image).
inline std::vector<SyntheticImage> default_synthetic_images() {
  return {
      {1, "one.png", {{"bed", 4, 4, 44, 44}, {"dog", 46, 4, 62, 20}, {"cat", 46, 30, 56, 40}},
       {"A dog and a cat on a bed.", "A bed with a cat."}},
      {2, "two.png", {{"cat", 2, 2, 42, 42}, {"dog", 44, 44, 60, 60}}, {"A cat next to a dog."}},
      {3, "three.png", {{"dog", 2, 2, 40, 40}, {"bed", 42, 2, 62, 22}, {"car", 42, 30, 58, 46}},
       {"Two dogs near a red car and a bed."}},
      {4, "four.png", {{"car", 8, 8, 56, 56}}, {"A car."}},
      {5, "five.png", {{"kite", 2, 2, 30, 30}, {"dog", 34, 34, 44, 44}}, {"A kite above a dog."}},
  };
}

/// Writes `folder`/annotations/instances_val.json and captions_val.json and the images under
/// `folder`/val/. With `captions` false no captions file is written.
inline void write_synthetic_coco(const std::filesystem::path& folder, const std::vector<SyntheticImage>& images,
                                 bool captions = true) {
  std::filesystem::create_directories(folder / "annotations");
  std::filesystem::create_directories(folder / "val");
  nlohmann::json instances = {{"images", nlohmann::json::array()},
                              {"annotations", nlohmann::json::array()},
                              {"categories", nlohmann::json::array()}};
  nlohmann::json caption_file = {{"images", nlohmann::json::array()}, {"annotations", nlohmann::json::array()}};
  const auto& categories = synthetic_categories();
  for (size_t c = 0; c < categories.size(); ++c) {
    instances["categories"].push_back({{"id", c + 1}, {"name", categories[c].first}, {"supercategory", "thing"}});
  }

  int64_t annotation_id = 100;
  int64_t caption_id = 500;
  for (const SyntheticImage& synthetic : images) {
    image::Image picture = image::Image::blank(kSyntheticSide, kSyntheticSide, image::PixelMode::kRGB);
    std::fill(picture.pixels.begin(), picture.pixels.end(), kBackgroundGray);
    const nlohmann::json record = {
        {"id", synthetic.id}, {"file_name", synthetic.file}, {"width", kSyntheticSide}, {"height", kSyntheticSide}};
    instances["images"].push_back(record);
    caption_file["images"].push_back(record);
    for (const SyntheticObject& object : synthetic.objects) {
      size_t c = 0;
      while (categories[c].first != object.category) ++c;
      for (int y = object.y0; y < object.y1; ++y) {
        for (int x = object.x0; x < object.x1; ++x) std::copy_n(categories[c].second.begin(), 3, picture.at(x, y));
      }
      const double width = object.x1 - object.x0;
      const double height = object.y1 - object.y0;
      instances["annotations"].push_back(
          {{"id", annotation_id++},
           {"image_id", synthetic.id},
           {"category_id", c + 1},
           {"bbox", {object.x0, object.y0, width, height}},
           {"area", width * height},
           {"iscrowd", 0},
           {"segmentation", {{object.x0, object.y0, object.x1, object.y0, object.x1, object.y1, object.x0, object.y1}}}});
    }
    image::write_png(folder / "val" / synthetic.file, picture);
    for (const std::string& text : synthetic.captions) {
      caption_file["annotations"].push_back({{"id", caption_id++}, {"image_id", synthetic.id}, {"caption", text}});
    }
  }
  io::write_file_atomic(folder / "annotations" / "instances_val.json", instances.dump());
  if (captions) io::write_file_atomic(folder / "annotations" / "captions_val.json", caption_file.dump());
}

/// StandInEncoder for texts. An image embeds as the fraction of its pixels in each category colour
/// (other colours count for nothing), plus 0.01 in the last dimension.
class ColourStandInEncoder : public StandInEncoder {
 public:
  explicit ColourStandInEncoder(double decay = 0.5) : StandInEncoder(synthetic_names(), decay) {}

  torch::Tensor encode_images(const std::vector<std::filesystem::path>& images) override {
    image_calls += static_cast<int64_t>(images.size());
    const auto& categories = synthetic_categories();
    torch::Tensor out = torch::zeros({static_cast<int64_t>(images.size()), dimension()});
    for (size_t row = 0; row < images.size(); ++row) {
      const image::Image picture = image::decode_image(images[row]);
      std::vector<int64_t> counts(categories.size(), 0);
      for (int y = 0; y < picture.height; ++y) {
        for (int x = 0; x < picture.width; ++x) {
          const uint8_t* rgb = picture.at(x, y);
          for (size_t c = 0; c < categories.size(); ++c) {
            if (std::equal(rgb, rgb + 3, categories[c].second.begin())) ++counts[c];
          }
        }
      }
      const double pixels = static_cast<double>(picture.width) * picture.height;
      for (size_t c = 0; c < categories.size(); ++c) {
        out[static_cast<int64_t>(row)][static_cast<int64_t>(c)] = static_cast<double>(counts[c]) / pixels;
      }
      out[static_cast<int64_t>(row)][dimension() - 1] = 0.01;
    }
    return out;
  }
};

}  // namespace clipscope::testing
