#include "clipscope/model/embed.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "clipscope/error.h"
#include "clipscope/io/atomic_file.h"
#include "clipscope/io/npy_tensor.h"
#include "clipscope/log.h"

namespace clipscope::model {
namespace {

namespace fs = std::filesystem;

std::string lowercase_extension(const fs::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

}  // namespace

std::vector<fs::path> list_images(const fs::path& list_or_folder) {
  if (!fs::exists(list_or_folder)) {
    fail(ErrorKind::kNotFound, "image list or folder '{}' does not exist", list_or_folder.string());
  }
  std::vector<fs::path> images;
  if (fs::is_directory(list_or_folder)) {
    for (const auto& entry : fs::directory_iterator(list_or_folder)) {
      const auto extension = lowercase_extension(entry.path());
      if (entry.is_regular_file() && (extension == ".png" || extension == ".jpg" || extension == ".jpeg")) {
        images.push_back(entry.path());
      }
    }
    std::sort(images.begin(), images.end());
    if (images.empty()) {
      fail(ErrorKind::kInvalidArgument, "image folder '{}' contains no .png, .jpg or .jpeg files",
           list_or_folder.string());
    }
    return images;
  }

  const fs::path base = list_or_folder.parent_path();
  std::istringstream stream(io::read_file(list_or_folder));
  std::string line;
  int64_t line_number = 0;
  while (std::getline(stream, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      fail(ErrorKind::kInvalidArgument,
           "image list '{}' line {} is blank; delete it so that every line names one image",
           list_or_folder.string(), line_number);
    }
    fs::path image = fs::path(line).is_absolute() ? fs::path(line) : base / line;
    if (!fs::is_regular_file(image)) {
      fail(ErrorKind::kNotFound, "image list '{}' line {}: file '{}' does not exist; paths are relative to the list's folder",
           list_or_folder.string(), line_number, image.string());
    }
    images.push_back(image);
  }
  if (images.empty()) {
    fail(ErrorKind::kInvalidArgument, "image list '{}' contains no paths", list_or_folder.string());
  }
  return images;
}

std::vector<std::string> read_text_lines(const fs::path& file) {
  if (!fs::is_regular_file(file)) {
    fail(ErrorKind::kNotFound, "text file '{}' does not exist; pass a file with one text per line", file.string());
  }
  std::istringstream stream(io::read_file(file));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(stream, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  if (lines.empty()) {
    fail(ErrorKind::kInvalidArgument, "text file '{}' is empty; pass a file with one text per line", file.string());
  }
  return lines;
}

void run_embed(CLIPEncoder& encoder, const EmbedRequest& request) {
  if (!request.images && !request.texts) {
    fail(ErrorKind::kInvalidArgument, "nothing to embed; pass --images, --texts or both");
  }
  const auto& name = encoder.loaded().name;
  if (request.texts && !encoder.has_text_tower()) {
    fail(ErrorKind::kUnsupported, "model '{}' ({}) has no text tower, so --texts cannot be embedded; drop --texts "
         "or use a full CLIP checkpoint", name, encoder.loaded().weights_path.string());
  }
  if (request.images && !encoder.has_image_tower()) {
    fail(ErrorKind::kUnsupported, "model '{}' ({}) has no image tower, so --images cannot be embedded; drop --images "
         "or use a full CLIP checkpoint", name, encoder.loaded().weights_path.string());
  }

  // read and check every input, and the tokenizer, before computing
  std::vector<fs::path> images;
  std::vector<std::string> texts;
  torch::Tensor token_ids;
  if (request.images) images = list_images(*request.images);
  if (request.texts) {
    texts = read_text_lines(*request.texts);
    token_ids = encoder.tokenize(texts);
  }
  io::check_output_folder(request.out);

  // compute everything, then write, so that a failure leaves no output files
  auto finish = [&](torch::Tensor features) {
    if (request.normalize) features = torch::nn::functional::normalize(
                               features, torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1));
    return features.contiguous();
  };
  torch::Tensor image_features;
  torch::Tensor text_features;
  if (!images.empty()) {
    log::info("embedding {} images with '{}'", images.size(), name);
    image_features = finish(encoder.encode_images(images));
  }
  if (!texts.empty()) {
    log::info("embedding {} texts with '{}'", texts.size(), name);
    text_features = finish(encoder.encode_token_ids(token_ids));
  }

  nlohmann::json record;
  record["model"] = encoder.identity();
  record["activation"] = activation_name(encoder.loaded().config().activation);
  record["preprocess"] = encoder.loaded().preprocess;
  record["normalize"] = request.normalize;
  io::create_output_folder(request.out);
  if (image_features.defined()) {
    std::vector<std::string> lines;
    for (const auto& image : images) lines.push_back(image.string());
    io::write_npy(request.out / "image_features.npy", image_features);
    io::write_file_atomic(request.out / "images.txt", join_lines(lines));
    record["images"] = {{"count", images.size()}, {"source", request.images->string()}};
  }
  if (text_features.defined()) {
    io::write_npy(request.out / "text_features.npy", text_features);
    io::write_file_atomic(request.out / "texts.txt", join_lines(texts));
    record["texts"] = {{"count", texts.size()}, {"source", request.texts->string()}};
  }
  io::write_file_atomic(request.out / "embed.json", record.dump(2) + "\n");
}

}  // namespace clipscope::model
