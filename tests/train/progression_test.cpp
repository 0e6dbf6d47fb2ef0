// clipscope progression on the checkpoints of a real (tiny) training run, checkpoint discovery
// and ordering, and bad input through the CLI.
#include "clipscope/experiments/progression.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/train/trainer.h"
#include "test_support.h"

namespace clipscope::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::make_temp_dir;
using testing::run_cli;
using testing::shell_quote;

// A tiny run with a checkpoint every 2 steps: checkpoints at 2, 4 and 6 steps of 8 pairs.
fs::path tiny_run() {
  static const fs::path folder = [] {
    const fs::path run = make_temp_dir() / "run";
    const json config = {
        {"model",
         {{"embed_dim", 32},
          {"quick_gelu", true},
          {"vision_cfg", {{"image_size", 32}, {"layers", 1}, {"width", 32}, {"head_width", 16}, {"patch_size", 8}}},
          {"text_cfg", {{"context_length", 12}, {"vocab_size", 600}, {"width", 32}, {"heads", 2}, {"layers", 1}}}}},
        {"data", {{"shapes", {"cube", "sphere", "star", "heart"}}, {"render_size", 32}, {"pool_size", 16}}},
        {"optimizer", {{"steps", 6}, {"batch_size", 8}, {"warmup_steps", 2}}},
        {"checkpoint_every", 2},
        {"eval_every", 0}};
    train::train_clip(train::train_config_from_json(config), run, false);
    return run;
  }();
  return folder;
}

TEST(Progression, FindsRunCheckpointsInTrainingOrder) {
  const std::vector<CheckpointEntry> entries = find_checkpoints(tiny_run());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "step-000002");
  EXPECT_EQ(entries[2].name, "step-000006");
  ASSERT_TRUE(entries[1].samples_seen.has_value());
  EXPECT_EQ(*entries[1].samples_seen, 32);
}

TEST(Progression, OrdersLooseFilesByNumber) {
  const fs::path folder = make_temp_dir();
  for (const char* name : {"epoch_10.pt", "epoch_2.pt", "epoch_1.pt", "notes.txt"}) io::write_file_atomic(folder / name, "x");
  const std::vector<CheckpointEntry> entries = find_checkpoints(folder);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "epoch_1");
  EXPECT_EQ(entries[1].name, "epoch_2");
  EXPECT_EQ(entries[2].name, "epoch_10");
  EXPECT_FALSE(entries[0].samples_seen.has_value());
}

TEST(Progression, SamplesFileSetsSamplesSeen) {
  const fs::path folder = make_temp_dir();
  for (const char* name : {"a.pt", "b.pt"}) io::write_file_atomic(folder / name, "x");
  io::write_file_atomic(folder / "samples.csv", "checkpoint,samples_seen\nb,2e9\na,4e9\n");
  const std::vector<CheckpointEntry> entries = find_checkpoints(folder, folder / "samples.csv");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "b") << "samples seen decide the order";
  EXPECT_EQ(*entries[1].samples_seen, 4e9);
}

TEST(Progression, RejectsBadSamplesFile) {
  const fs::path folder = make_temp_dir();
  io::write_file_atomic(folder / "a.pt", "x");
  io::write_file_atomic(folder / "header.csv", "name,samples\na,1\n");
  io::write_file_atomic(folder / "value.csv", "checkpoint,samples_seen\na,many\n");
  io::write_file_atomic(folder / "unknown.csv", "checkpoint,samples_seen\nz,5\n");
  EXPECT_THROW(find_checkpoints(folder, folder / "header.csv"), Error);
  try {
    find_checkpoints(folder, folder / "value.csv");
    FAIL() << "a non-numeric sample count was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("line 2"), std::string::npos) << error.what();
  }
  EXPECT_THROW(find_checkpoints(folder, folder / "unknown.csv"), Error);
}

TEST(Progression, RunWritesTablesAndCharts) {
  const fs::path out = make_temp_dir() / "out";
  ProgressionOptions options;
  options.checkpoints = tiny_run();
  options.output = out;
  options.scene_count = 6;
  options.scene_size = 64;
  options.tor.object_counts = {2, 3};
  options.tor.max_captions = 40;
  options.tor.template_variant = false;
  options.tor.sum_variant = false;
  const json progression = run_progression(options);

  ASSERT_EQ(progression.at("checkpoints").size(), 3u);
  for (const json& row : progression.at("checkpoints")) {
    EXPECT_TRUE(row.at("measures").contains("tor_first_n2")) << row.dump();
    EXPECT_TRUE(row.at("measures").contains("ior_large")) << row.dump();
    EXPECT_TRUE(fs::exists(out / row.at("results").get<std::string>() / "results.json"));
  }
  EXPECT_EQ(progression.at("checkpoints").at(2).at("samples_seen"), 48);
  EXPECT_FALSE(progression.at("comparisons").empty()) << "first and last checkpoints are compared";
  for (const char* file : {"progression.json", "progression.csv", "progression.md", "progression.html", "report.html"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  const std::string html = io::read_file(out / "progression.html");
  EXPECT_NE(html.find("samples seen"), std::string::npos);
  size_t circles = 0;
  for (size_t at = html.find("<circle"); at != std::string::npos; at = html.find("<circle", at + 1)) ++circles;
  EXPECT_GE(circles, 3u * 3u) << "three checkpoints in each of at least three series";
  const std::string csv = io::read_file(out / "progression.csv");
  EXPECT_EQ(csv.rfind("checkpoint,samples_seen,measure,value,ci_low,ci_high,chance,n\n", 0), 0u);
  EXPECT_NE(csv.find("step-000004,32,tor_first_n2,"), std::string::npos) << csv;
}

TEST(ProgressionCli, BadInputGivesOneLineError) {
  const fs::path empty = make_temp_dir();
  const fs::path out = make_temp_dir() / "out";
  for (const std::string& arguments :
       {"--checkpoints " + shell_quote((empty / "missing").string()), "--checkpoints " + shell_quote(empty.string()),
        "--checkpoints " + shell_quote(tiny_run().string()) + " --experiments tor,colour"}) {
    const auto result = run_cli("progression " + arguments + " --out " + shell_quote(out.string()));
    EXPECT_NE(result.exit_code, 0) << arguments;
    EXPECT_NE(result.output.find("clipscope: error: "), std::string::npos) << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
    EXPECT_FALSE(fs::exists(out / "progression.json")) << arguments;
  }
}

}  // namespace
}  // namespace clipscope::experiments
