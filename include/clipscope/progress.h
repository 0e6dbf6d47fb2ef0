// Progress reporting for long steps (rendering, encoding, training): a bar on a terminal,
// a log line every 10% otherwise. Safe to advance from several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace clipscope {

/// Progress of one step with a known number of items, drawn on stderr.
class Progress {
 public:
  /// Starts a bar titled `label` for `total` items; `total` 0 draws nothing.
  Progress(std::string label, int64_t total);
  ~Progress();

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Marks `count` more items done; redraws at most every 100 ms.
  void advance(int64_t count = 1);

  /// Sets a short status shown after the counts (for example "loss 2.31").
  void set_status(std::string status);

  /// Draws the final state and moves to a new line; called by the destructor if not before.
  void finish();

 private:
  void draw(bool final_draw);

  std::string label_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  std::mutex mutex_;
  std::string status_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  int last_logged_decile_ = -1;
  bool is_terminal_;
  bool finished_ = false;
};

}  // namespace clipscope
