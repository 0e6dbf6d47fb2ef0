// Image-based object retrieval (IOR: scene images against single-object reference images) and
// I2TOR (scene images against the embedded object names). Both report which slot and which size
// role (large or small) the image embedding favours; see docs/results-schema.md.
#pragma once

#include <string>

#include "clipscope/experiments/results.h"
#include "clipscope/experiments/retrieval_metrics.h"
#include "clipscope/experiments/scene_set.h"
#include "clipscope/model/encoder.h"

namespace clipscope::experiments {

/// Runs IOR. Throws Error(kUnsupported) without an image tower and Error(kNotFound) naming the
/// object whose reference image is missing from the manifest.
void run_ior(model::Encoder& encoder, const SceneSet& scenes, Compat compat, MetricCollector& collector,
             CsvTable& samples);

/// Runs I2TOR with names embedded through `text_template` ("{}" is the object name).
/// Throws Error(kUnsupported) unless the encoder has both towers, Error(kInvalidArgument) if the
/// template has no "{}".
void run_i2tor(model::Encoder& encoder, const SceneSet& scenes, const std::string& text_template, Compat compat,
               MetricCollector& collector, CsvTable& samples);

}  // namespace clipscope::experiments
