#include "clipscope/io/coco.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "clipscope/error.h"
#include "test_support.h"

namespace clipscope::io {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::shared_path;

// coco-mini's polygon "area" field is the polygon's geometric (shoelace) area, not a pixel count,
// so the rasterised mask differs from it at the boundary. Measured over its 731 polygon
// annotations: at most 12.9% for small slivers, at most 1.25% for instances of 1000 pixels or
// more, and +0.011% summed over all instances (no systematic bias, as a shifted or off-by-one
// rasterisation would show).
constexpr double kPolygonAreaRelativeTolerance = 0.135;
constexpr double kLargePolygonAreaRelativeTolerance = 0.013;
constexpr double kLargePolygonMinArea = 1000;
constexpr double kTotalPolygonAreaRelativeTolerance = 0.0002;

std::filesystem::path coco_mini() { return shared_path("data/coco-mini"); }

std::filesystem::path write_text(const std::filesystem::path& folder, const std::string& name,
                                 const std::string& text) {
  std::ofstream(folder / name) << text;
  return folder / name;
}

// Runs `action` and returns the Error message it throws, or "" if it does not throw.
template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

std::string instances_with_annotation(const std::string& annotation) {
  return R"({"images": [{"id": 7, "file_name": "a.jpg", "width": 4, "height": 3}],
             "categories": [{"id": 1, "name": "dog", "supercategory": "animal"}],
             "annotations": [)" +
         annotation + "]}";
}

TEST(CocoRleString, DecodesHandEncodedCounts) {
  EXPECT_EQ(decode_rle_string("325"), (std::vector<uint32_t>{3, 2, 5}));
  // from the fourth run on, values are differences from the run two places back: 4 = 2 + 2
  EXPECT_EQ(decode_rle_string("3252"), (std::vector<uint32_t>{3, 2, 5, 4}));
  // 'L' is 28: a final chunk with bit 0x10 set is negative, -4, so 1 = 5 - 4
  EXPECT_EQ(decode_rle_string("355L"), (std::vector<uint32_t>{3, 5, 5, 1}));
  // 'T' is 36 = 0x20 | 4 (more chunks follow), '3' adds 3 << 5: 100
  EXPECT_EQ(decode_rle_string("T3"), (std::vector<uint32_t>{100}));
}

TEST(CocoRleString, RejectsMalformedStrings) {
  EXPECT_NE(error_of([] { decode_rle_string("3~"); }).find("character 1"), std::string::npos);
  EXPECT_NE(error_of([] { decode_rle_string("T"); }).find("ends inside a number"), std::string::npos);
  EXPECT_NE(error_of([] { decode_rle_string("3L"); }), "");  // run 1 would be negative
}

TEST(CocoPolygon, IntegerSquareCoversItsPixels) {
  CocoAnnotation annotation;
  annotation.segmentation.kind = CocoSegmentation::Kind::kPolygons;
  annotation.segmentation.polygons = {{2, 1, 2, 4, 6, 4, 6, 1}};
  std::vector<uint8_t> mask = decode_mask(annotation, 8, 6);
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 8; ++x) {
      bool inside = x >= 2 && x < 6 && y >= 1 && y < 4;
      EXPECT_EQ(mask[y * 8 + x], inside ? 1 : 0) << "x=" << x << " y=" << y;
    }
  }
}

TEST(CocoPolygon, ClipsToImageAndUnitesParts) {
  CocoAnnotation annotation;
  annotation.segmentation.kind = CocoSegmentation::Kind::kPolygons;
  annotation.segmentation.polygons = {{-3, -3, -3, 2, 2, 2, 2, -3}, {1, 1, 1, 3, 3, 3, 3, 1}};
  // first part: pixels x, y in [0, 2); second: [1, 3); the union has 4 + 4 - 1 pixels
  EXPECT_EQ(mask_area(annotation, 5, 5), 7);
}

TEST(CocoMask, UncompressedRleIsColumnMajor) {
  CocoAnnotation annotation;
  annotation.segmentation.kind = CocoSegmentation::Kind::kRle;
  // 3 rows x 2 columns: column 0 is (0, 1, 1), column 1 is (1, 0, 0)
  annotation.segmentation.rle = {3, 2, {1, 3, 2}};
  std::vector<uint8_t> mask = decode_mask(annotation, 2, 3);
  EXPECT_EQ(mask, (std::vector<uint8_t>{0, 1, 1, 0, 1, 0}));
}

TEST(CocoMask, RejectsRleOfAnotherSize) {
  CocoAnnotation annotation;
  annotation.id = 5;
  annotation.segmentation.kind = CocoSegmentation::Kind::kRle;
  annotation.segmentation.rle = {3, 2, {6}};
  EXPECT_NE(error_of([&] { decode_mask(annotation, 3, 3); }).find("annotation 5"), std::string::npos);
}

TEST(CocoMini, ReadsEveryRecord) {
  CocoDataset dataset = read_coco_folder(coco_mini(), true);
  EXPECT_EQ(dataset.images.size(), 80u);
  EXPECT_EQ(dataset.annotations.size(), 739u);
  EXPECT_EQ(dataset.captions.size(), 400u);
  EXPECT_EQ(dataset.categories.size(), 80u);
  EXPECT_EQ(dataset.images_dir, coco_mini() / "train2017");
  EXPECT_EQ(dataset.category(18).name, "dog");
}

TEST(CocoMini, RleMaskAreaIsSumOfForegroundRuns) {
  CocoDataset dataset = read_coco_folder(coco_mini(), false);
  int rle_count = 0;
  for (const CocoAnnotation& annotation : dataset.annotations) {
    if (annotation.segmentation.kind != CocoSegmentation::Kind::kRle) continue;
    const CocoImage& image = dataset.image(annotation.image_id);
    int64_t foreground = 0;
    const auto& counts = annotation.segmentation.rle.counts;
    for (size_t i = 1; i < counts.size(); i += 2) foreground += counts[i];
    EXPECT_EQ(mask_area(annotation, image.width, image.height), foreground) << "annotation " << annotation.id;
    ++rle_count;
  }
  EXPECT_EQ(rle_count, 8);
}

TEST(CocoMini, CrowdAreaFieldIsNotMaskArea) {
  // NOTE: COCO's crowd "area" values do not equal their RLE's pixel count (here 3119 vs 2442), so
  // analyses measure masks by decoding them, not from the field.
  CocoDataset dataset = read_coco_folder(coco_mini(), false);
  for (const CocoAnnotation& annotation : dataset.annotations) {
    if (annotation.id != 908400535506) continue;
    EXPECT_EQ(annotation.area, 3119);
    EXPECT_EQ(mask_area(annotation, 480, 640), 2442);
    return;
  }
  FAIL() << "annotation 908400535506 not found";
}

TEST(CocoMini, PolygonMaskAreasMatchAreaField) {
  CocoDataset dataset = read_coco_folder(coco_mini(), false);
  double worst = 0, worst_large = 0, total_mask = 0, total_field = 0;
  for (const CocoAnnotation& annotation : dataset.annotations) {
    if (annotation.segmentation.kind != CocoSegmentation::Kind::kPolygons) continue;
    const CocoImage& image = dataset.image(annotation.image_id);
    double area = static_cast<double>(mask_area(annotation, image.width, image.height));
    double relative = std::abs(area - annotation.area) / annotation.area;
    worst = std::max(worst, relative);
    total_mask += area;
    total_field += annotation.area;
    if (annotation.area >= kLargePolygonMinArea) worst_large = std::max(worst_large, relative);
  }
  EXPECT_LE(worst, kPolygonAreaRelativeTolerance);
  EXPECT_LE(worst_large, kLargePolygonAreaRelativeTolerance);
  EXPECT_LE(std::abs(total_mask - total_field) / total_field, kTotalPolygonAreaRelativeTolerance);
}

TEST(CocoErrors, MissingFileNamesPath) {
  auto folder = make_temp_dir();
  Error error(ErrorKind::kIo, "");
  try {
    read_coco_instances(folder / "instances_none.json");
    FAIL() << "no error";
  } catch (const Error& caught) {
    error = caught;
  }
  EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  EXPECT_NE(std::string(error.what()).find("instances_none.json"), std::string::npos);
}

TEST(CocoErrors, MissingFolderAndInstancesFile) {
  auto folder = make_temp_dir();
  EXPECT_NE(error_of([&] { read_coco_folder(folder / "nope", false); }).find("does not exist"), std::string::npos);
  EXPECT_NE(error_of([&] { read_coco_folder(folder, false); }).find("instances_*.json"), std::string::npos);
}

TEST(CocoErrors, JSONWithoutAnnotations) {
  auto folder = make_temp_dir();
  auto path = write_text(folder, "instances.json", R"({"images": [], "categories": []})");
  EXPECT_EQ(error_of([&] { read_coco_instances(path); }),
            "instances.json: top level: missing field \"annotations\"");
}

TEST(CocoErrors, InvalidJSON) {
  auto folder = make_temp_dir();
  auto path = write_text(folder, "instances.json", R"({"images": [)");
  EXPECT_NE(error_of([&] { read_coco_instances(path); }).find("instances.json: not valid JSON"), std::string::npos);
}

TEST(CocoErrors, AnnotationWithMissingImage) {
  auto folder = make_temp_dir();
  auto path = write_text(folder, "instances.json",
                         instances_with_annotation(R"({"id": 1234, "image_id": 99, "category_id": 1, "area": 1,
                                                       "bbox": [0, 0, 1, 1], "segmentation": [[0, 0, 1, 0, 1, 1]]})"));
  EXPECT_EQ(error_of([&] { read_coco_instances(path); }),
            "instances.json: annotation 1234: refers to image 99, which is not in \"images\"");
}

TEST(CocoErrors, AnnotationWithMissingCategory) {
  auto folder = make_temp_dir();
  auto path = write_text(folder, "instances.json",
                         instances_with_annotation(R"({"id": 3, "image_id": 7, "category_id": 42, "area": 1,
                                                       "bbox": [0, 0, 1, 1]})"));
  EXPECT_NE(error_of([&] { read_coco_instances(path); }).find("annotation 3: refers to category 42"),
            std::string::npos);
}

TEST(CocoErrors, SegmentationOfUnknownShape) {
  auto folder = make_temp_dir();
  auto path = write_text(folder, "instances.json",
                         instances_with_annotation(R"({"id": 1234, "image_id": 7, "category_id": 1, "area": 1,
                                                       "bbox": [0, 0, 1, 1], "segmentation": {"size": [3, 4]}})"));
  EXPECT_EQ(error_of([&] { read_coco_instances(path); }),
            "instances.json: annotation 1234: segmentation is neither a polygon list nor RLE");
}

TEST(CocoErrors, MalformedRle) {
  auto folder = make_temp_dir();
  auto wrong_sum = write_text(
      folder, "sum.json",
      instances_with_annotation(R"({"id": 8, "image_id": 7, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1],
                                    "segmentation": {"size": [3, 4], "counts": [5, 2]}})"));
  EXPECT_EQ(error_of([&] { read_coco_instances(wrong_sum); }),
            "sum.json: annotation 8: malformed RLE: counts sum to 7 but size 3x4 has 12 pixels");

  auto bad_string = write_text(
      folder, "string.json",
      instances_with_annotation(R"({"id": 9, "image_id": 7, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1],
                                    "segmentation": {"size": [3, 4], "counts": "3 "}})"));
  EXPECT_NE(error_of([&] { read_coco_instances(bad_string); }).find("string.json: annotation 9: malformed compressed RLE"),
            std::string::npos);

  auto wrong_size = write_text(
      folder, "size.json",
      instances_with_annotation(R"({"id": 10, "image_id": 7, "category_id": 1, "area": 1, "bbox": [0, 0, 1, 1],
                                    "segmentation": {"size": [4, 3], "counts": [12]}})"));
  EXPECT_NE(error_of([&] { read_coco_instances(wrong_size); }).find("annotation 10: RLE size [4, 3] differs"),
            std::string::npos);
}

TEST(CocoErrors, OddPolygon) {
  auto folder = make_temp_dir();
  auto path = write_text(folder, "instances.json",
                         instances_with_annotation(R"({"id": 11, "image_id": 7, "category_id": 1, "area": 1,
                                                       "bbox": [0, 0, 1, 1], "segmentation": [[0, 0, 1, 0, 1]]})"));
  EXPECT_NE(error_of([&] { read_coco_instances(path); }).find("annotation 11: a polygon needs"), std::string::npos);
}

TEST(CocoErrors, CaptionWithMissingImage) {
  auto folder = make_temp_dir();
  auto instances = write_text(folder, "instances.json", instances_with_annotation(""));
  auto captions = write_text(folder, "captions.json",
                             R"({"annotations": [{"id": 3, "image_id": 8, "caption": "A dog."}]})");
  CocoDataset dataset = read_coco_instances(instances);
  EXPECT_EQ(error_of([&] { read_coco_captions(captions, dataset); }),
            "captions.json: caption 3: refers to image 8, which is not in the instances file");
}

TEST(CocoInstances, ReadsCompressedRle) {
  auto folder = make_temp_dir();
  // 12 pixels: 3 off, 2 on, 5 off, 2 on ("3252" decodes to 3, 2, 5, 4; here the last run is 2 = 2 + 0)
  auto path = write_text(folder, "instances.json",
                         instances_with_annotation(R"({"id": 12, "image_id": 7, "category_id": 1, "area": 4,
                                                       "bbox": [0, 0, 1, 1],
                                                       "segmentation": {"size": [3, 4], "counts": "3250"}})"));
  CocoDataset dataset = read_coco_instances(path);
  EXPECT_EQ(mask_area(dataset.annotations[0], 4, 3), 4);
}

}  // namespace
}  // namespace clipscope::io
