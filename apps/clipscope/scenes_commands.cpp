#include "commands.h"

namespace clipscope::cli {

void add_scenes_commands(CLI::App& app) {}

}  // namespace clipscope::cli
