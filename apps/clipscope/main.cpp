// clipscope command-line entry point: global options, subcommand registration, and the mapping
// of errors to one stderr line and an exit code. No analysis logic lives here.
#include <torch/torch.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "clipscope/error.h"
#include "clipscope/log.h"
#include "commands.h"

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// NOTE: Debian's OpenBLAS 0.3.21 does not recognise recent Intel CPUs (for example family 6
// model 207) and falls back to its SSE3 "Prescott" kernels, which run GEMMs about 5x slower
// (docs/benchmarks.md). OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so when the variable
// is unset the program sets it from the CPU's features and executes itself again once.
void select_openblas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) {
    return;
  }
  const char* core = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
    core = "SkylakeX";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    core = "Haswell";
  }
  if (core == nullptr) {
    return;
  }
  setenv("OPENBLAS_CORETYPE", core, 1);
  execv("/proc/self/exe", argv);
  // execv returns only on failure: go on with the kernels OpenBLAS chose.
}

}  // namespace

int main(int argc, char** argv) {
  select_openblas_kernels(argv);
  CLI::App app{"clipscope: measure object-order and object-size biases of CLIP models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("clipscope ") + CLIPSCOPE_VERSION);

  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string log_level = "info";
  app.add_option("--threads", threads, "Threads for tensor compute and data loading")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--log-level", log_level, "Minimum log level: debug, info, warn or error")
      ->capture_default_str();
  app.parse_complete_callback([&] {
    clipscope::log::set_level(log_level);
    torch::set_num_threads(threads);
  });

  clipscope::cli::add_model_commands(app);
  clipscope::cli::add_scenes_commands(app);
  clipscope::cli::add_eval_commands(app);
  clipscope::cli::add_train_commands(app);
  clipscope::cli::add_captions_commands(app);
  clipscope::cli::add_report_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "clipscope: error: %s; run with --help for usage\n", first_line(error.what()).c_str());
    return clipscope::exit_code(clipscope::ErrorKind::kInvalidArgument);
  } catch (const clipscope::Error& error) {
    std::fprintf(stderr, "clipscope: error: %s\n", first_line(error.what()).c_str());
    return clipscope::exit_code(error.kind());
  } catch (const c10::Error& error) {
    std::fprintf(stderr, "clipscope: error: %s\n",
                 first_line(error.what_without_backtrace()).c_str());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "clipscope: error: %s\n", first_line(error.what()).c_str());
    return 1;
  }
  return 0;
}
