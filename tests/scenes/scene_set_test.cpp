#include "clipscope/scenes/scene_set.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <set>

#include "clipscope/error.h"
#include "clipscope/image/decode.h"
#include "clipscope/image/png_writer.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/scenes/contact_sheet.h"
#include "clipscope/scenes/manifest.h"
#include "test_support.h"

namespace clipscope::scenes {
namespace {

using clipscope::testing::make_temp_dir;
using clipscope::testing::run_cli;
using clipscope::testing::shared_path;
using clipscope::testing::shell_quote;

// Small images keep the suite fast. At 96 pixels a small object still covers about 100 pixels.
constexpr int kTestSize = 96;

SceneSetOptions small_set(int objects, int count) {
  SceneSetOptions options;
  options.object_count = objects;
  options.count = count;
  options.seed = 11;
  options.masks = true;
  options.render.width = options.render.height = kTestSize;
  return options;
}

std::vector<std::filesystem::path> files_under(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) {
      files.push_back(std::filesystem::relative(entry.path(), folder));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void expect_ground_truth_matches_masks(const Manifest& manifest, bool check_ratio) {
  for (const auto& row : manifest.rows) {
    image::Image mask = image::decode_image(row.mask);
    ASSERT_EQ(mask.mode, image::PixelMode::kL);
    std::vector<int64_t> areas(row.objects.size(), 0);
    std::vector<Box> boxes(row.objects.size(), Box{mask.width, mask.height, 0, 0});
    for (int y = 0; y < mask.height; ++y) {
      for (int x = 0; x < mask.width; ++x) {
        int label = *mask.at(x, y);
        if (label == 0) {
          continue;
        }
        ASSERT_LE(label, static_cast<int>(row.objects.size())) << row.file;
        ++areas[label - 1];
        Box& box = boxes[label - 1];
        box.x0 = std::min(box.x0, x), box.y0 = std::min(box.y0, y);
        box.x1 = std::max(box.x1, x + 1), box.y1 = std::max(box.y1, y + 1);
      }
    }
    EXPECT_EQ(areas, row.areas) << row.file;
    for (size_t i = 0; i < boxes.size(); ++i) {
      EXPECT_GT(areas[i], 0) << row.file << " slot " << i << " is hidden";
      EXPECT_EQ(boxes[i].x0, row.boxes[i].x0) << row.file;
      EXPECT_EQ(boxes[i].y1, row.boxes[i].y1) << row.file;
    }
    if (check_ratio) {
      ASSERT_TRUE(row.large_slot.has_value());
      for (size_t i = 0; i < areas.size(); ++i) {
        if (static_cast<int>(i) != *row.large_slot) {
          EXPECT_GE(areas[*row.large_slot], 5 * areas[i]) << row.file << " slot " << i;
        }
      }
    }
  }
}

TEST(SceneSet, GroundTruthMatchesMasks) {
  for (int objects = 2; objects <= 5; ++objects) {
    auto folder = make_temp_dir();
    render_scene_set(small_set(objects, 4), folder);
    Manifest manifest = read_manifest(folder);
    ASSERT_EQ(manifest.rows.size(), 4u);
    expect_ground_truth_matches_masks(manifest, true);
    EXPECT_EQ(manifest.references.size(), 18u);
    EXPECT_TRUE(std::filesystem::exists(manifest.reference_path("snowflake")));
  }
}

TEST(SceneSet, FileNamesListObjectsInSlotOrder) {
  auto folder = make_temp_dir();
  render_scene_set(small_set(3, 3), folder);
  for (const auto& row : read_manifest(folder).rows) {
    EXPECT_EQ(object_names_from_stem(row.file.stem().string()), row.objects);
  }
}

TEST(SceneSet, CounterbalancedBalancesSlotsAndLargeRole) {
  SceneSetOptions options = small_set(3, 0);
  options.design = Design::kCounterbalanced;
  options.names = {"cube", "sphere", "cone", "torus"};
  auto plans = plan_scene_set(options, options.names);
  ASSERT_EQ(plans.size(), 12u);
  std::map<std::pair<std::string, int>, int> in_slot;
  std::map<std::string, int> large;
  std::set<std::string> files;
  for (const auto& plan : plans) {
    for (int slot = 0; slot < 3; ++slot) {
      ++in_slot[{plan.objects[slot], slot}];
    }
    ++large[plan.objects[plan.large_slot]];
    files.insert(plan.file.string());
  }
  for (const auto& name : options.names) {
    EXPECT_EQ(large[name], 3) << name;
    for (int slot = 0; slot < 3; ++slot) {
      EXPECT_EQ((in_slot[{name, slot}]), 3) << name << " slot " << slot;
    }
  }
  EXPECT_EQ(files.size(), plans.size()) << "file names repeat";
}

TEST(SceneSet, AllDesignCoversEveryCombination) {
  SceneSetOptions options = small_set(2, 0);
  options.design = Design::kAll;
  options.large_slot = "each";
  auto plans = plan_scene_set(options, {"a", "b", "c"});
  EXPECT_EQ(plans.size(), 6u);
  EXPECT_EQ(plans[0].file, std::filesystem::path("large0/a_b.png"));
}

TEST(SceneSet, SizeRatiosGetOwnFolders) {
  SceneSetOptions options = small_set(2, 2);
  options.size_ratios = {4, 16};
  auto plans = plan_scene_set(options, shape_names());
  ASSERT_EQ(plans.size(), 4u);
  EXPECT_EQ(plans[0].file.begin()->string(), "ratio4");
  EXPECT_EQ(plans[1].file.begin()->string(), "ratio16");
}

TEST(SceneSet, ResumeKeepsFinishedImages) {
  auto folder = make_temp_dir();
  SceneSetOptions options = small_set(2, 3);
  render_scene_set(options, folder);
  std::string manifest = io::read_file(folder / "manifest.jsonl");

  // drop the last image and leave half a row, as an interrupted run would
  auto rows = read_manifest(folder).rows;
  std::filesystem::remove(rows.back().file);
  std::string truncated = manifest.substr(0, manifest.rfind('\n', manifest.size() - 2) + 1) + "{\"file\": \"x";
  io::write_file_atomic(folder / "manifest.jsonl", truncated);

  SceneSetSummary summary = render_scene_set(options, folder);
  EXPECT_EQ(summary.kept, 2);
  EXPECT_EQ(summary.rendered, 1);
  EXPECT_EQ(io::read_file(folder / "manifest.jsonl"), manifest);
}

TEST(SceneSet, OtherOptionsInSameFolderRejected) {
  auto folder = make_temp_dir();
  render_scene_set(small_set(2, 1), folder);
  SceneSetOptions other = small_set(2, 1);
  other.seed = 12;
  EXPECT_THROW(render_scene_set(other, folder), Error);
}

TEST(SceneSet, BadInputLeavesNoFiles) {
  auto folder = make_temp_dir() / "out";
  std::vector<std::pair<std::string, SceneSetOptions>> cases;
  SceneSetOptions unknown = small_set(2, 1);
  unknown.names = {"cube", "dodecahedron"};
  cases.push_back({"unknown object", unknown});
  SceneSetOptions underscore = small_set(2, 1);
  underscore.names = {"cube", "red_cube"};
  cases.push_back({"underscore", underscore});
  SceneSetOptions crowded = small_set(5, 1);
  crowded.layout.large_area = 0.7;
  cases.push_back({"impossible layout", crowded});
  SceneSetOptions colours = small_set(2, 1);
  colours.colors = {"blue", "red", "green"};
  cases.push_back({"colour count", colours});
  SceneSetOptions too_many = small_set(6, 1);
  cases.push_back({"object count", too_many});
  for (const auto& [label, options] : cases) {
    EXPECT_THROW(render_scene_set(options, folder), Error) << label;
    EXPECT_FALSE(std::filesystem::exists(folder)) << label;
  }
}

std::string render_command(const std::filesystem::path& out, int threads) {
  return "--threads " + std::to_string(threads) +
         " scenes render --kind simco --objects 3 --count 3 --seed 5 --size 64 --masks --out " +
         shell_quote(out.string());
}

TEST(ScenesCli, SameBytesForOneAndTwoThreads) {
  auto root = make_temp_dir();
  auto result_one = run_cli(render_command(root / "one", 1));
  ASSERT_EQ(result_one.exit_code, 0) << result_one.output;
  auto result_two = run_cli(render_command(root / "two", 2));
  ASSERT_EQ(result_two.exit_code, 0) << result_two.output;
  auto files = files_under(root / "one");
  ASSERT_EQ(files, files_under(root / "two"));
  EXPECT_GT(files.size(), 18u + 3u);
  for (const auto& file : files) {
    EXPECT_EQ(io::read_file(root / "one" / file), io::read_file(root / "two" / file)) << file;
  }
}

TEST(ScenesCli, BadInputsGiveOneLineErrors) {
  auto root = make_temp_dir();
  auto coco_without_masks = root / "coco";
  io::write_file_atomic(coco_without_masks / "annotations" / "instances_train2017.json",
                        R"({"images":[{"id":1,"file_name":"a.jpg","width":100,"height":100}],
                            "categories":[{"id":1,"name":"dog"}],
                            "annotations":[{"id":5,"image_id":1,"category_id":1,
                                            "bbox":[10,10,50,50],"area":2500,"iscrowd":0}]})");
  auto coco_broken_image = root / "broken";
  io::write_file_atomic(coco_broken_image / "annotations" / "instances_train2017.json",
                        R"({"images":[{"id":1,"file_name":"a.jpg","width":100,"height":100}],
                            "categories":[{"id":1,"name":"dog"},{"id":2,"name":"cat"}],
                            "annotations":[{"id":5,"image_id":1,"category_id":1,"bbox":[10,10,80,80],
                              "area":6400,"iscrowd":0,"segmentation":[[10,10,90,10,90,90,10,90]]},
                              {"id":6,"image_id":1,"category_id":2,"bbox":[10,10,80,80],
                              "area":6400,"iscrowd":0,"segmentation":[[10,10,90,10,90,90,10,90]]}]})");
  io::write_file_atomic(coco_broken_image / "train2017" / "a.jpg", "not a jpeg");
  struct Case {
    std::string arguments;
    std::string expected;  // part of the message
  };
  std::vector<Case> cases = {
      {"--names cube,hexapod", "'hexapod'"},
      {"--names cube,red_cube", "'red_cube'"},
      {"--objects 5 --large-area 0.7", "large area"},
      {"--objects 7", "object count 7"},
      {"--design zigzag", "'zigzag'"},
      {"--kind comco --coco " + shell_quote(coco_without_masks.string()), "segmentation"},
      {"--kind comco --coco " + shell_quote(coco_broken_image.string()), "a.jpg"},
      {"--objects 2 --size-ratio 400", "visible pixels, fewer than the 16"},
  };
  for (const auto& test : cases) {
    auto out = root / "out";
    auto result = run_cli("scenes render --size 64 --count 1 --out " + shell_quote(out.string()) + " " +
                          test.arguments);
    EXPECT_NE(result.exit_code, 0) << test.arguments;
    EXPECT_NE(result.output.find(test.expected), std::string::npos) << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << test.arguments;
  }
}

TEST(ScenesCli, ImportAndPreview) {
  auto root = make_temp_dir();
  auto set = root / "set";
  ASSERT_EQ(run_cli("scenes render --objects 2 --count 2 --size 64 --out " + shell_quote(set.string())).exit_code, 0);
  auto copy = root / "copy";
  std::filesystem::create_directories(copy);
  for (const auto& row : read_manifest(set).rows) {
    std::filesystem::copy_file(row.file, copy / row.file.filename());
  }
  auto imported = run_cli("scenes import " + shell_quote(copy.string()));
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_EQ(read_manifest(copy).rows.size(), 2u);

  auto sheet = root / "sheet.png";
  auto preview = run_cli("scenes preview " + shell_quote(set.string()) + " --tile 32 --out " + shell_quote(sheet.string()));
  ASSERT_EQ(preview.exit_code, 0) << preview.output;
  image::Image picture = image::decode_image(sheet);
  EXPECT_EQ(picture.width, 2 * 36 + 4);

  auto missing = run_cli("scenes import " + shell_quote((root / "nowhere").string()));
  EXPECT_NE(missing.exit_code, 0);
}

TEST(ScenesCli, TinySizeNamesTheMinimum) {
  auto out = make_temp_dir() / "out";
  auto result =
      run_cli("scenes render --objects 3 --count 2 --size 24 --out " + shell_quote(out.string()));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("image size 24x24"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("render at "), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ScenesCli, PreviewRejectsAbsurdTile) {
  auto root = make_temp_dir();
  image::write_png(root / "set" / "cube_sphere.png",
                   image::Image::blank(8, 8, image::PixelMode::kRGB));
  for (const char* tile : {"1000000", "2049", "4"}) {
    auto sheet = root / "sheet.png";
    auto result = run_cli("scenes preview " + shell_quote((root / "set").string()) + " --tile " +
                          tile + " --out " + shell_quote(sheet.string()));
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find(std::string(tile) + " px"), std::string::npos) << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
    EXPECT_FALSE(std::filesystem::exists(sheet)) << tile;
  }
}

TEST(ScenesCli, ImportNamesBrokenFileAndWritesNothing) {
  auto folder = make_temp_dir();
  image::write_png(folder / "cube_sphere.png", image::Image::blank(8, 8, image::PixelMode::kRGB));
  io::write_file_atomic(folder / "cone_torus.png", "");
  auto result = run_cli("scenes import " + shell_quote(folder.string()));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find((folder / "cone_torus.png").string()), std::string::npos)
      << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_FALSE(std::filesystem::exists(folder / "manifest.jsonl"));
}

TEST(ScenesCli, ImportRecordsLargeSlot) {
  auto folder = make_temp_dir();
  image::write_png(folder / "cube_sphere.png", image::Image::blank(8, 8, image::PixelMode::kRGB));
  auto without = run_cli("scenes import " + shell_quote(folder.string()));
  ASSERT_EQ(without.exit_code, 0) << without.output;
  EXPECT_NE(without.output.find("1 images have no large slot"), std::string::npos)
      << without.output;
  EXPECT_FALSE(read_manifest(folder).rows.at(0).large_slot.has_value());

  std::filesystem::remove(folder / "manifest.jsonl");
  auto with = run_cli("scenes import --large-slot 1 " + shell_quote(folder.string()));
  ASSERT_EQ(with.exit_code, 0) << with.output;
  EXPECT_EQ(with.output.find("no large slot"), std::string::npos) << with.output;
  EXPECT_EQ(read_manifest(folder).rows.at(0).large_slot, 1);
}

TEST(ComcoSet, CutoutsFromCocoMini) {
  auto coco = shared_path("data/coco-mini");
  auto folder = make_temp_dir();
  SceneSetOptions options = small_set(3, 3);
  options.kind = SceneKind::kComCO;
  options.coco_folder = coco;
  render_scene_set(options, folder);
  Manifest manifest = read_manifest(folder);
  ASSERT_EQ(manifest.rows.size(), 3u);
  expect_ground_truth_matches_masks(manifest, true);
  EXPECT_GE(manifest.references.size(), 3u);
  for (const auto& row : manifest.rows) {
    EXPECT_EQ(row.kind, "comco");
    for (const auto& name : row.objects) {
      EXPECT_TRUE(std::filesystem::exists(manifest.reference_path(name))) << name;
    }
  }
}

}  // namespace
}  // namespace clipscope::scenes
