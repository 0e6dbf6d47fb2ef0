// Logging for the library and the CLI: four levels on one spdlog logger that writes to stderr.
// stdout is reserved for results the user asked for. progress.h draws progress bars on the same stream.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace clipscope::log {

/// Returns the logger every clipscope message goes through (created on first use, sink: stderr).
spdlog::logger& logger();

/// Sets the minimum level: "debug", "info", "warn" or "error". Throws Error(kInvalidArgument) otherwise.
void set_level(std::string_view level);

template <typename... Args>
void info(spdlog::format_string_t<Args...> format, Args&&... args) {
  logger().info(format, std::forward<Args>(args)...);
}

template <typename... Args>
void warn(spdlog::format_string_t<Args...> format, Args&&... args) {
  logger().warn(format, std::forward<Args>(args)...);
}

template <typename... Args>
void error(spdlog::format_string_t<Args...> format, Args&&... args) {
  logger().error(format, std::forward<Args>(args)...);
}

}  // namespace clipscope::log

/// Debug message carrying file:line of the call.
#define CLIPSCOPE_LOG_DEBUG(...) \
  SPDLOG_LOGGER_CALL(&::clipscope::log::logger(), spdlog::level::debug, __VA_ARGS__)
