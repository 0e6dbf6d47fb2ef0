#include "commands.h"

namespace clipscope::cli {

void add_captions_commands(CLI::App& app) {}

}  // namespace clipscope::cli
