#include "clipscope/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "clipscope/log.h"

namespace clipscope {

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      is_terminal_(isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t count) {
  done_.fetch_add(count);
  draw(false);
}

void Progress::set_status(std::string status) {
  std::lock_guard lock(mutex_);
  status_ = std::move(status);
}

void Progress::finish() {
  if (finished_) {
    return;
  }
  draw(true);
  finished_ = true;
}

void Progress::draw(bool final_draw) {
  if (total_ <= 0) {
    return;
  }
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  int64_t done = done_.load();
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;

  if (!is_terminal_) {
    int decile = static_cast<int>(10 * done / total_);
    if (decile > last_logged_decile_ || final_draw) {
      if (!(final_draw && decile == last_logged_decile_)) {
        log::info("{}: {}/{} ({:.1f}/s) {}", label_, done, total_, rate, status_);
      }
      last_logged_decile_ = decile;
    }
    return;
  }

  if (!final_draw && now - last_draw_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_draw_ = now;
  constexpr int kBarWidth = 30;
  int filled = static_cast<int>(kBarWidth * std::min<int64_t>(done, total_) / total_);
  std::string bar(filled, '#');
  bar.resize(kBarWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f/s %s\033[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), rate,
               status_.c_str());
  if (final_draw) {
    std::fputc('\n', stderr);
  }
  std::fflush(stderr);
}

}  // namespace clipscope
