#include "json_fields.h"

namespace clipscope::train::detail {

void check_known_keys(const nlohmann::json& object, std::string_view section,
                      std::initializer_list<std::string_view> known) {
  for (const auto& item : object.items()) {
    bool found = false;
    for (std::string_view name : known) found = found || item.key() == name;
    if (found) continue;
    std::string names;
    for (std::string_view name : known) names += (names.empty() ? "" : ", ") + std::string(name);
    fail(ErrorKind::kInvalidArgument, "unknown training config key '{}{}{}'; known keys{}{}: {}", section,
         section.empty() ? "" : ".", item.key(), section.empty() ? "" : " of ", section, names);
  }
}

}  // namespace clipscope::train::detail
