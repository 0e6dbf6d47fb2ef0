#include "commands.h"

namespace clipscope::cli {

void add_model_commands(CLI::App& app) {}

}  // namespace clipscope::cli
