#include "commands.h"

namespace clipscope::cli {

void add_train_commands(CLI::App& app) {}

}  // namespace clipscope::cli
