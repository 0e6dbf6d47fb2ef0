#include "clipscope/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "clipscope/error.h"

namespace clipscope::log {

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto created = std::make_shared<spdlog::logger>(
        "clipscope", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    created->set_pattern("[%H:%M:%S] %^%l%$ %v");
    created->set_level(spdlog::level::info);
    return created;
  }();
  return *instance;
}

void set_level(std::string_view level) {
  if (level == "debug") {
    logger().set_level(spdlog::level::debug);
    logger().set_pattern("[%H:%M:%S] %^%l%$ %s:%# %v");
  } else if (level == "info") {
    logger().set_level(spdlog::level::info);
  } else if (level == "warn") {
    logger().set_level(spdlog::level::warn);
  } else if (level == "error") {
    logger().set_level(spdlog::level::err);
  } else {
    fail(ErrorKind::kInvalidArgument,
         "invalid log level '{}': use debug, info, warn or error", level);
  }
}

}  // namespace clipscope::log
