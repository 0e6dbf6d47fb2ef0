#include "clipscope/experiments/attention_roles.h"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include <span>

#include "clipscope/error.h"
#include "clipscope/experiments/attention_heatmap.h"
#include "clipscope/image/decode.h"
#include "clipscope/model/clip_encoder.h"
#include "clipscope/scenes/scene_set.h"
#include "coco_fixture.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Shares and ratios are sums and quotients of a few doubles.
constexpr double kRoleTolerance = 1e-12;

// A 2 x 2 patch grid whose class token attends to one patch per block: block b looks at patch b.
class PeakedAttention : public AttentionModel {
 public:
  explicit PeakedAttention(int image_size) { preprocess_.image_size = image_size; }
  std::string name() const override { return "peaked"; }
  int64_t grid() const override { return 2; }
  int64_t blocks() const override { return 3; }
  const image::PreprocessConfig& preprocess() const override { return preprocess_; }
  torch::Tensor class_token_attention(const std::vector<fs::path>& images, int64_t block) override {
    torch::Tensor attention = torch::zeros({static_cast<int64_t>(images.size()), 5});
    attention.select(1, 0).fill_(0.5);  // the class token itself, ignored
    attention.select(1, 1 + block).fill_(0.5);
    return attention;
  }

 private:
  image::PreprocessConfig preprocess_;
};

ObjectMask rectangle(int side, int x0, int y0, int x1, int y1) {
  ObjectMask mask{side, side, std::vector<uint8_t>(static_cast<size_t>(side) * side, 0)};
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) mask.pixels[static_cast<size_t>(y) * side + x] = 1;
  }
  return mask;
}

json find_record(const MetricCollector& collector, const std::string& variant, const std::string& metric,
                 const std::string& role) {
  for (const json& record : collector.metrics()) {
    if (record["variant"] == variant && record["metric"] == metric && record["labels"]["size_role"] == role) return record;
  }
  ADD_FAILURE() << "no record " << variant << " " << metric << " " << role;
  return json::object();
}

TEST(RoleShares, HandComputedValues) {
  const RoleShares shares = role_shares({0.5, 0.3, 0.2}, {0.25, 0.25, 0.5}, 0);
  EXPECT_NEAR(shares.large_share, 0.5, kRoleTolerance);
  EXPECT_NEAR(shares.large_area, 0.25, kRoleTolerance);
  EXPECT_NEAR(shares.large_ratio, 2.0, kRoleTolerance);
  EXPECT_NEAR(shares.small_share, 0.25, kRoleTolerance);
  EXPECT_NEAR(shares.small_area, 0.375, kRoleTolerance);
  EXPECT_NEAR(shares.small_ratio, 0.5 / 0.75, kRoleTolerance);
}

TEST(RoleShares, RejectsBadInput) {
  EXPECT_THROW(role_shares({0.5}, {0.5}, 0), Error);
  EXPECT_THROW(role_shares({0.5, 0.5}, {0.5, 0.5}, 2), Error);
  EXPECT_THROW(role_shares({0.5, 0.5}, {0.5, 0.0}, 0), Error);
  EXPECT_THROW(role_shares({0.5, 0.5, 0.1}, {0.5, 0.5}, 0), Error);
}

TEST(MaskToModelFrame, FollowsResizeAndCentreCrop) {
  // a 448 x 224 image keeps its size under a shortest-side resize to 224 and loses 112 columns per side
  image::PreprocessConfig preprocess;
  ObjectMask wide{448, 224, std::vector<uint8_t>(448 * 224, 0)};
  for (int y = 0; y < 224; ++y) {
    for (int x = 0; x < 224; ++x) wide.pixels[static_cast<size_t>(y) * 448 + x] = 1;
  }
  const ObjectMask mapped = mask_to_model_frame(wide, preprocess);
  EXPECT_EQ(mapped.width, 224);
  EXPECT_EQ(mapped.height, 224);
  EXPECT_EQ(std::count(mapped.pixels.begin(), mapped.pixels.end(), 1), 112 * 224);
  EXPECT_EQ(mapped.pixels[0], 1);
  EXPECT_EQ(mapped.pixels[200], 0);
  EXPECT_THROW(mask_to_model_frame(ObjectMask{4, 4, std::vector<uint8_t>(3, 0)}, preprocess), Error);
}

TEST(RunAttention, SharesPerRoleAndBlock) {
  // large object: left half (8 of 16 pixels); small object: top-right quadrant (4 pixels)
  AttentionImage image;
  image.id = "scene";
  image.file = "unused.png";
  image.objects = {"cube", "ball"};
  image.masks = {rectangle(4, 0, 0, 2, 4), rectangle(4, 2, 0, 4, 2)};
  image.large = 0;
  PeakedAttention model(4);
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  AttentionOptions options;
  options.block = 1;
  options.figures = 0;
  const std::vector<AttentionFigure> figures = run_attention(model, {image, image}, options, collector, samples);
  EXPECT_TRUE(figures.empty());

  // last block (2) looks at the bottom-left patch, inside the large object
  const json large = find_record(collector, "last_block", "attention_share", "large");
  EXPECT_NEAR(large["value"], 1.0, kRoleTolerance);
  EXPECT_NEAR(large["chance"], 0.5, kRoleTolerance);
  EXPECT_EQ(large["n"], 2);
  EXPECT_NEAR(find_record(collector, "last_block", "attention_area_ratio", "large")["value"], 2.0, kRoleTolerance);
  EXPECT_NEAR(find_record(collector, "last_block", "attention_share", "small")["chance"], 0.25, kRoleTolerance);
  // block 1 looks at the top-right patch, the small object
  EXPECT_NEAR(find_record(collector, "block_1", "attention_share", "small")["value"], 1.0, kRoleTolerance);
  EXPECT_NEAR(find_record(collector, "block_1", "attention_area_ratio", "small")["value"], 4.0, kRoleTolerance);
  EXPECT_NEAR(find_record(collector, "block_1", "attention_area_ratio", "large")["value"], 0.0, kRoleTolerance);
  EXPECT_EQ(samples.rows.size(), 4u);
}

TEST(RunAttention, DrawsOverlayOfFirstImages) {
  const fs::path folder = testing::make_temp_dir();
  image::Image picture = image::Image::blank(8, 8, image::PixelMode::kRGB);
  image::write_png(folder / "scene.png", picture);
  AttentionImage image;
  image.id = "7";
  image.file = folder / "scene.png";
  image.objects = {"cube", "ball"};
  image.masks = {rectangle(8, 0, 0, 4, 8), rectangle(8, 4, 0, 8, 4)};
  PeakedAttention model(8);
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  AttentionImage scene = image;
  scene.id = "cube_ball.png";  // scene sets use the file name as the id
  const auto figures = run_attention(model, {image, scene, image}, {std::nullopt, 2}, collector, samples);
  ASSERT_EQ(figures.size(), 2u);
  EXPECT_EQ(figures[0].file, "attention_7.png");
  EXPECT_EQ(figures[1].file, "attention_cube_ball.png");
  EXPECT_NE(figures[0].caption.find("cube outlined"), std::string::npos) << figures[0].caption;
  const image::Image overlay =
      image::decode_image(std::span(reinterpret_cast<const uint8_t*>(figures[0].png.data()), figures[0].png.size()),
                          "overlay");
  EXPECT_EQ(overlay.width, 8);
  // (0, 0) is on the large object's outline; (6, 6) lies in an unattended patch of a black crop
  EXPECT_EQ(overlay.at(0, 0)[0], 255);
  const std::array<uint8_t, 3> cold = heat_color(0.0);
  EXPECT_EQ(overlay.at(6, 6)[2], static_cast<uint8_t>(std::lround(0.55 * cold[2])));
}

TEST(RunAttention, RejectsBadBlockAndEmptyInput) {
  PeakedAttention model(4);
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  AttentionImage image{"a", "a.png", {"x", "y"}, {rectangle(4, 0, 0, 2, 4), rectangle(4, 2, 0, 4, 2)}, 0};
  EXPECT_THROW(run_attention(model, {image}, {3, 0}, collector, samples), Error);
  EXPECT_THROW(run_attention(model, {}, {std::nullopt, 0}, collector, samples), Error);
  EXPECT_THROW(run_attention(model, {image}, {std::nullopt, -1}, collector, samples), Error);
}

TEST(HeatColor, EndsAndClamping) {
  EXPECT_EQ(heat_color(0.0), (std::array<uint8_t, 3>{13, 8, 135}));
  EXPECT_EQ(heat_color(1.0), (std::array<uint8_t, 3>{240, 249, 33}));
  EXPECT_EQ(heat_color(7.0), heat_color(1.0));
  EXPECT_EQ(heat_color(-1.0), heat_color(0.0));
}

TEST(AttentionModel, RejectsStandInAndResNet) {
  testing::StandInEncoder stand_in({"a", "b"});
  EXPECT_THROW(make_attention_model(stand_in), Error);
  auto resnet = model::CLIPEncoder::load(testing::shared_path("fixtures/open_clip-2.30.0/rn-tiny-quickgelu"));
  try {
    make_attention_model(*resnet);
    ADD_FAILURE() << "a ModifiedResNet was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(error.what()).find("ViT"), std::string::npos) << error.what();
  }
}

TEST(AttentionModel, TinyViTGivesGridAndShares) {
  auto vit = model::CLIPEncoder::load(testing::shared_path("fixtures/open_clip-2.30.0/vit-tiny-quickgelu"));
  auto model = make_attention_model(*vit);
  EXPECT_EQ(model->grid(), 7);  // 224 / 32
  EXPECT_EQ(model->blocks(), 2);
  const fs::path folder = testing::make_temp_dir() / "coco";
  testing::write_synthetic_coco(folder, testing::default_synthetic_images());
  const io::CocoDataset dataset = io::read_coco_folder(folder, true);
  const auto images = coco_attention_images(dataset, collect_image_objects(dataset, AreaSource::kMask),
                                            AreaSource::kMask, model->preprocess());
  ASSERT_EQ(images.size(), 4u);
  EXPECT_EQ(images[0].objects[images[0].large], "bed");
  MetricCollector collector({10, 0.95, 0});
  CsvTable samples;
  run_attention(*model, images, {0, 1}, collector, samples);
  const json large = find_record(collector, "last_block", "attention_share", "large");
  EXPECT_GT(large["value"].get<double>(), 0.0);
  EXPECT_LT(large["value"].get<double>(), 1.0);
  find_record(collector, "block_0", "attention_share", "small");
}

TEST(SceneAttentionImages, ReadLabelMasksAndLargeSlot) {
  const fs::path folder = testing::make_temp_dir() / "scenes";
  scenes::SceneSetOptions options;
  options.object_count = 2;
  options.count = 3;
  options.seed = 5;
  options.masks = true;
  options.render.width = options.render.height = 64;
  options.render.supersampling = 1;
  scenes::render_scene_set(options, folder);
  const scenes::Manifest manifest = scenes::read_manifest(folder);

  image::PreprocessConfig preprocess;
  preprocess.image_size = 32;
  const std::vector<AttentionImage> images = scene_attention_images(manifest, preprocess);
  ASSERT_EQ(images.size(), manifest.rows.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const scenes::ManifestRow& row = manifest.rows[i];
    ASSERT_EQ(images[i].objects, row.objects);
    EXPECT_EQ(images[i].large, static_cast<size_t>(*row.large_slot));
    ASSERT_EQ(images[i].masks.size(), 2u);
    EXPECT_EQ(images[i].masks[0].width, 32);
    // the large object covers more of the frame than the small one
    const auto area = [](const ObjectMask& mask) { return std::count(mask.pixels.begin(), mask.pixels.end(), 1); };
    EXPECT_GT(area(images[i].masks[images[i].large]), area(images[i].masks[1 - images[i].large])) << row.file;
  }
}

TEST(SceneAttentionImages, ReadsSetGivenByRelativePath) {
  const fs::path parent = testing::make_temp_dir();
  scenes::SceneSetOptions options;
  options.object_count = 2;
  options.count = 1;
  options.masks = true;
  options.render.width = options.render.height = 32;
  options.render.supersampling = 1;
  scenes::render_scene_set(options, parent / "scenes");

  // the manifest's folder is relative, as in `clipscope eval --dataset scenes`
  const fs::path previous = fs::current_path();
  fs::current_path(parent);
  std::vector<AttentionImage> images;
  try {
    images = scene_attention_images(scenes::read_manifest("scenes"), image::PreprocessConfig{});
  } catch (...) {
    fs::current_path(previous);
    throw;
  }
  fs::current_path(previous);
  EXPECT_EQ(images.size(), 1u);
}

TEST(SceneAttentionImages, RejectSetWithoutMasks) {
  const fs::path folder = testing::make_temp_dir() / "scenes";
  scenes::SceneSetOptions options;
  options.object_count = 2;
  options.count = 1;
  options.render.width = options.render.height = 32;
  options.render.supersampling = 1;
  scenes::render_scene_set(options, folder);
  try {
    scene_attention_images(scenes::read_manifest(folder), image::PreprocessConfig{});
    ADD_FAILURE() << "a set without label masks was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("--masks"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace clipscope::experiments
