// Reading the sections of a training config: unknown keys are rejected and every value is checked
// for its JSON type, so a typo or a quoted number fails with the key's name instead of being ignored.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipscope/error.h"

namespace clipscope::train::detail {

/// Throws Error(kInvalidArgument) if `object` has a key outside `known`, naming the key, the
/// section and the known keys.
void check_known_keys(const nlohmann::json& object, std::string_view section,
                      std::initializer_list<std::string_view> known);

/// Returns the JSON type a field of type T needs, in words ("an integer", "a list of strings").
template <typename T>
std::string expected_type_name() {
  if constexpr (std::is_same_v<T, bool>) {
    return "true or false";
  } else if constexpr (std::is_unsigned_v<T>) {
    return "a non-negative integer";
  } else if constexpr (std::is_integral_v<T>) {
    return "an integer";
  } else if constexpr (std::is_floating_point_v<T>) {
    return "a number";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "a string";
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return "a list of strings";
  } else {
    return "a list of numbers";
  }
}

/// Returns true if `value` has the JSON type a field of type T needs (integers may not be floats).
template <typename T>
bool has_type(const nlohmann::json& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value.is_boolean();
  } else if constexpr (std::is_unsigned_v<T>) {
    return value.is_number_unsigned() || (value.is_number_integer() && value.template get<int64_t>() >= 0);
  } else if constexpr (std::is_integral_v<T>) {
    return value.is_number_integer();
  } else if constexpr (std::is_floating_point_v<T>) {
    return value.is_number();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value.is_string();
  } else {
    if (!value.is_array()) return false;
    for (const auto& element : value) {
      if (!has_type<typename T::value_type>(element)) return false;
    }
    return true;
  }
}

/// Returns object[key] as T, or `fallback` when the key is absent. Throws Error(kInvalidArgument)
/// naming "section.key", the expected type and the value found.
template <typename T>
T read_field(const nlohmann::json& object, std::string_view section, std::string_view key, const T& fallback) {
  const auto found = object.find(key);
  if (found == object.end()) return fallback;
  if (!has_type<T>(*found)) {
    std::string got = found->dump();
    if (got.size() > 60) got = got.substr(0, 57) + "...";
    fail(ErrorKind::kInvalidArgument, "training config key '{}{}{}' must be {}, got {}", section,
         section.empty() ? "" : ".", key, expected_type_name<T>(), got);
  }
  return found->get<T>();
}

}  // namespace clipscope::train::detail
