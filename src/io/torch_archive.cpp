// Reading torch.save zip archives and TorchScript archives.
#include "clipscope/error.h"
#include "clipscope/io/checkpoint.h"

namespace clipscope::io {

Checkpoint read_torch_archive(const std::filesystem::path& file) {
  // TODO(io): the zip and pickle readers land next; until then these archives cannot be read.
  fail(ErrorKind::kUnsupported, "'{}': reading PyTorch zip archives is not implemented yet",
       file.string());
}

}  // namespace clipscope::io
