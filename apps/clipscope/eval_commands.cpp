#include "commands.h"

namespace clipscope::cli {

void add_eval_commands(CLI::App& app) {}

}  // namespace clipscope::cli
