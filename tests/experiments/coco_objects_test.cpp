#include "clipscope/experiments/coco_objects.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/image/decode.h"
#include "coco_fixture.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;

io::CocoDataset synthetic_dataset() {
  const fs::path folder = testing::make_temp_dir() / "coco";
  testing::write_synthetic_coco(folder, testing::default_synthetic_images());
  return io::read_coco_folder(folder, true);
}

const ImageObjects& image_with_id(const std::vector<ImageObjects>& images, int64_t id) {
  return *std::find_if(images.begin(), images.end(), [&](const ImageObjects& image) { return image.image_id == id; });
}

TEST(ImageObjects, RanksCategoriesByArea) {
  const io::CocoDataset dataset = synthetic_dataset();
  const std::vector<ImageObjects> images = collect_image_objects(dataset, AreaSource::kBox);
  ASSERT_EQ(images.size(), 5u);
  const ImageObjects& one = image_with_id(images, 1);
  ASSERT_EQ(one.objects.size(), 3u);
  EXPECT_EQ(one.objects[0].category, "bed");
  EXPECT_EQ(one.objects[1].category, "dog");
  EXPECT_EQ(one.objects[2].category, "cat");
  // box areas: 40 x 40, 16 x 16, 10 x 10 pixels
  EXPECT_EQ(one.objects[0].area, 1600);
  EXPECT_EQ(one.objects[1].area, 256);
  EXPECT_EQ(one.objects[2].area, 100);
  EXPECT_EQ(one.file.filename(), "one.png");
  EXPECT_TRUE(fs::exists(one.file));
}

TEST(ImageObjects, MaskAreaMatchesDecodedPolygon) {
  const io::CocoDataset dataset = synthetic_dataset();
  const std::vector<ImageObjects> images = collect_image_objects(dataset, AreaSource::kMask);
  const ImageObjects& three = image_with_id(images, 3);
  const io::CocoImage& record = dataset.image(3);
  for (const ImageObject& object : three.objects) {
    int64_t expected = 0;
    for (size_t index : dataset.annotations_of(3)) {
      if (dataset.annotations[index].category_id == object.category_id) {
        expected += io::mask_area(dataset.annotations[index], record.width, record.height);
      }
    }
    EXPECT_EQ(object.area, static_cast<double>(expected)) << object.category;
  }
  EXPECT_EQ(three.objects[0].category, "dog");
}

TEST(CategoryMask, UnitesInstances) {
  io::CocoDataset dataset;
  dataset.images = {{1, "a.png", 6, 4}};
  dataset.categories = {{1, "dog", "animal"}};
  io::CocoAnnotation first;
  first.id = 10;
  first.image_id = 1;
  first.category_id = 1;
  first.bbox = {0, 0, 3, 2};
  io::CocoAnnotation second = first;
  second.id = 11;
  second.bbox = {2, 1, 3, 3};
  dataset.annotations = {first, second};
  dataset.build_index();
  // boxes 3 x 2 and 3 x 3 overlap in 1 x 1 pixel, so the union has 6 + 9 - 1 pixels
  const std::vector<uint8_t> mask = category_mask(dataset, dataset.images[0], 1, AreaSource::kMask);
  EXPECT_EQ(std::count(mask.begin(), mask.end(), 1), 14);
  EXPECT_EQ(mask[0 * 6 + 0], 1);
  EXPECT_EQ(mask[3 * 6 + 4], 1);
  EXPECT_EQ(mask[3 * 6 + 0], 0);
}

TEST(ReferenceInstances, AvoidTheComparedImage) {
  const io::CocoDataset dataset = synthetic_dataset();
  const auto references = choose_reference_instances(dataset, AreaSource::kBox);
  // dog: largest in image 3 (38 x 38), next largest elsewhere in images 1 and 2 (16 x 16, first wins)
  const ReferenceInstances& dog = references.at(1);
  EXPECT_EQ(dog.primary_image, 3);
  EXPECT_EQ(dog.secondary_image, 1);
  EXPECT_EQ(reference_for_image(references, 1, 5), dog.primary);
  EXPECT_EQ(reference_for_image(references, 1, 3), dog.secondary);
  // kite appears only in image 5
  EXPECT_EQ(references.at(6).secondary, -1);
  EXPECT_FALSE(reference_for_image(references, 6, 5).has_value());
  EXPECT_TRUE(reference_for_image(references, 6, 1).has_value());
  // apple has no instance
  EXPECT_EQ(references.count(5), 0u);
  EXPECT_FALSE(reference_for_image(references, 5, 1).has_value());
}

TEST(ReferenceCrop, MasksAndPadsToSquare) {
  const io::CocoDataset dataset = synthetic_dataset();
  const io::CocoImage& record = dataset.image(1);
  const image::Image decoded = image::decode_image(coco_image_path(dataset, record));
  const io::CocoAnnotation* bed = nullptr;
  for (size_t index : dataset.annotations_of(1)) {
    if (dataset.annotations[index].category_id == 3) bed = &dataset.annotations[index];
  }
  ASSERT_NE(bed, nullptr);
  const image::Image crop = reference_crop(*bed, record, decoded);
  EXPECT_EQ(crop.mode, image::PixelMode::kRGB);
  EXPECT_EQ(crop.width, 40);
  EXPECT_EQ(crop.height, 40);
  EXPECT_EQ(crop.at(20, 20)[2], 255);  // blue bed inside the polygon

  // a wide box is padded above and below with the fill colour
  io::CocoAnnotation wide = *bed;
  wide.bbox = {4, 4, 40, 10};
  wide.segmentation = {};
  const image::Image padded = reference_crop(wide, record, decoded);
  EXPECT_EQ(padded.width, 40);
  EXPECT_EQ(padded.height, 40);
  EXPECT_TRUE(std::equal(kReferenceFill.begin(), kReferenceFill.end(), padded.at(0, 0)));
  EXPECT_EQ(padded.at(20, 20)[2], 255);
}

TEST(ReferenceCrop, RejectsSizeMismatch) {
  const io::CocoDataset dataset = synthetic_dataset();
  io::CocoImage record = dataset.image(1);
  record.width = 65;
  const image::Image decoded = image::decode_image(coco_image_path(dataset, dataset.image(1)));
  EXPECT_THROW(reference_crop(dataset.annotations.front(), record, decoded), Error);
}

}  // namespace
}  // namespace clipscope::experiments
