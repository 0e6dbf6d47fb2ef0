#include "clipscope/scenes/manifest.h"

#include <gtest/gtest.h>

#include "clipscope/error.h"
#include "clipscope/image/image.h"
#include "clipscope/image/png_writer.h"
#include "clipscope/io/atomic_file.h"
#include "test_support.h"

namespace clipscope::scenes {
namespace {

using clipscope::testing::make_temp_dir;

TEST(Manifest, RowRoundTrips) {
  ManifestRow row;
  row.file = "large1/cube_sphere.png";
  row.kind = "simco";
  row.width = 64;
  row.height = 64;
  row.objects = {"cube", "sphere"};
  row.slots = {{0.25, 0.5}, {0.75, 0.5}};
  row.large_slot = 1;
  row.boxes = {{1, 2, 10, 12}, {30, 20, 60, 50}};
  row.areas = {80, 700};
  row.colors = {"blue", "red"};
  row.mask = "masks/large1/cube_sphere.png";
  row.seed = 18446744073709551615ULL;
  row.renderer = "clipscope-scenes/1";
  ManifestRow back = parse_manifest_row(manifest_row_json(row), "m.jsonl", 1);
  EXPECT_EQ(back.file, row.file);
  EXPECT_EQ(back.objects, row.objects);
  EXPECT_EQ(back.slots, row.slots);
  EXPECT_EQ(back.large_slot, row.large_slot);
  EXPECT_EQ(back.boxes[1].x1, 60);
  EXPECT_EQ(back.areas, row.areas);
  EXPECT_EQ(back.colors, row.colors);
  EXPECT_EQ(back.mask, row.mask);
  EXPECT_EQ(back.seed, row.seed);
  EXPECT_EQ(manifest_row_json(back), manifest_row_json(row));
}

TEST(Manifest, MalformedRowNamesFileAndLine) {
  try {
    parse_manifest_row("{\"file\": 3}", "sets/manifest.jsonl", 7);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("sets/manifest.jsonl:7"), std::string::npos);
  }
}

TEST(Manifest, ObjectNamesRejectUnderscore) {
  EXPECT_NO_THROW(validate_object_name("traffic light"));
  try {
    validate_object_name("red_cube");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("'red_cube'"), std::string::npos);
  }
  EXPECT_THROW(validate_object_name(""), Error);
  EXPECT_THROW(validate_object_name("a/b"), Error);
}

TEST(Manifest, StemSplitsIntoObjects) {
  EXPECT_EQ(object_names_from_stem("cube_sphere_torus"),
            (std::vector<std::string>{"cube", "sphere", "torus"}));
  EXPECT_THROW(object_names_from_stem("cube__torus"), Error);
}

// Writes a small RGB PNG of `width` x `height` pixels.
void write_picture(const std::filesystem::path& file, int width = 12, int height = 10) {
  image::write_png(file, image::Image::blank(width, height, image::PixelMode::kRGB));
}

// Returns the message of the Error that importing `folder` raises, failing the test if none.
std::string import_error(const std::filesystem::path& folder, const ImportOptions& options = {}) {
  try {
    import_scene_folder(folder, options);
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "importing " << folder << " succeeded";
  return "";
}

TEST(Import, BuildsManifestFromFileNames) {
  auto folder = make_temp_dir();
  write_picture(folder / "cube_sphere.png", 12, 10);
  write_picture(folder / "large2" / "cone_star_heart.png");
  io::write_file_atomic(folder / "masks" / "cube_sphere.png", "x");
  write_picture(folder / "references" / "cube.png");
  io::write_file_atomic(folder / "notes.txt", "x");
  ImportSummary summary = import_scene_folder(folder);
  EXPECT_EQ(summary.images, 2);
  EXPECT_EQ(summary.references, 1);
  EXPECT_EQ(summary.without_large_slot, 1);

  Manifest manifest = read_manifest(folder);
  ASSERT_EQ(manifest.rows.size(), 2u);
  EXPECT_EQ(manifest.rows[0].file, folder / "cube_sphere.png");
  EXPECT_EQ(manifest.rows[0].objects, (std::vector<std::string>{"cube", "sphere"}));
  EXPECT_EQ(manifest.rows[0].width, 12);
  EXPECT_EQ(manifest.rows[0].height, 10);
  EXPECT_FALSE(manifest.rows[0].large_slot.has_value());
  EXPECT_TRUE(manifest.rows[0].boxes.empty());
  EXPECT_EQ(manifest.rows[1].large_slot, 2);
  EXPECT_EQ(manifest.reference_path("cube"), folder / "references" / "cube.png");
  EXPECT_THROW(manifest.reference_path("torus"), Error);
}

TEST(Import, LargeSlotOptionFillsRowsOutsideLargeFolders) {
  auto folder = make_temp_dir();
  write_picture(folder / "cube_sphere.png");
  write_picture(folder / "large0" / "cone_star_heart.png");
  ImportOptions options;
  options.large_slot = 1;
  ImportSummary summary = import_scene_folder(folder, options);
  EXPECT_EQ(summary.without_large_slot, 0);
  Manifest manifest = read_manifest(folder);
  ASSERT_EQ(manifest.rows.size(), 2u);
  EXPECT_EQ(manifest.rows[0].large_slot, 1);
  EXPECT_EQ(manifest.rows[1].large_slot, 0);
}

TEST(Import, LargeSlotBeyondObjectsFails) {
  auto folder = make_temp_dir();
  write_picture(folder / "cube_sphere.png");
  ImportOptions options;
  options.large_slot = 2;
  auto message = import_error(folder, options);
  EXPECT_NE(message.find("large slot 2 does not exist"), std::string::npos) << message;
  EXPECT_NE(message.find((folder / "cube_sphere.png").string()), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(folder / "manifest.jsonl"));
}

TEST(Import, BadFilesAreNamedAndNothingIsWritten) {
  struct Case {
    std::string file;
    std::string bytes;  // the file's content, or "png" for a valid 12 x 10 PNG
    std::string expected;
  };
  std::vector<Case> cases = {
      {"cube_sphere.png", "\x01", "not a PNG or JPEG"},
      {"cube_torus.jpg", "not an image", "not a PNG or JPEG"},
      {"cube_cone.png", "", "is empty (0 bytes)"},
      {"cube_cube.png", "png", "names object 'cube' twice"},
      {"cube.png", "png", "names 1 object"},
      {"cube__cone.png", "png", "has an empty object name"},
  };
  for (const auto& test : cases) {
    auto folder = make_temp_dir();
    write_picture(folder / "star_heart.png");
    if (test.bytes == "png") {
      write_picture(folder / test.file);
    } else {
      io::write_file_atomic(folder / test.file, test.bytes);
    }
    auto message = import_error(folder);
    EXPECT_NE(message.find(test.expected), std::string::npos) << message;
    EXPECT_NE(message.find(test.file), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(folder / "manifest.jsonl")) << test.file;
  }
}

TEST(Import, SameNameWithTwoExtensionsFails) {
  auto folder = make_temp_dir();
  write_picture(folder / "cube_sphere.png");
  write_picture(folder / "cube_sphere.jpg");
  auto message = import_error(folder);
  EXPECT_NE(message.find("cube_sphere.jpg"), std::string::npos) << message;
  EXPECT_NE(message.find("cube_sphere.png"), std::string::npos) << message;
  EXPECT_NE(message.find("same name apart from the extension"), std::string::npos) << message;

  auto references = make_temp_dir();
  write_picture(references / "cube_sphere.png");
  write_picture(references / "references" / "cube.png");
  write_picture(references / "references" / "cube.jpeg");
  auto reference_message = import_error(references);
  EXPECT_NE(reference_message.find("cube.jpeg"), std::string::npos) << reference_message;
  EXPECT_FALSE(std::filesystem::exists(references / "manifest.jsonl"));
}

TEST(Import, BadReferenceNameNamesTheFile) {
  auto folder = make_temp_dir();
  write_picture(folder / "cube_sphere.png");
  write_picture(folder / "references" / "red_cube.png");
  auto message = import_error(folder);
  EXPECT_NE(message.find("references/red_cube.png"), std::string::npos) << message;
  EXPECT_NE(message.find("contains '_'"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(folder / "manifest.jsonl"));
}

TEST(Import, RejectsFolderWithManifest) {
  auto folder = make_temp_dir();
  write_picture(folder / "cube_sphere.png");
  import_scene_folder(folder);
  EXPECT_THROW(import_scene_folder(folder), Error);
}

TEST(Import, EmptyFolderIsNotFound) {
  auto folder = make_temp_dir();
  try {
    import_scene_folder(folder);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kNotFound);
  }
  EXPECT_TRUE(std::filesystem::is_empty(folder));
}

TEST(Manifest, MissingManifestSuggestsImport) {
  auto folder = make_temp_dir();
  try {
    read_manifest(folder);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("scenes import"), std::string::npos);
  }
}

}  // namespace
}  // namespace clipscope::scenes
