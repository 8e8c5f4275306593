#pragma once
/// @file io.hpp
/// Readers for the formats of SPEC §12: items / models / scores CSV and an
/// lm-evaluation-harness `--log_samples` directory. Every reading error is a
/// cod::InputError naming the file, the line, the column and what was
/// expected; a partial dataset is never returned.

#include <optional>
#include <string>
#include <vector>

#include "cod/dataset.hpp"

namespace cod {

/** How to read an lm-evaluation-harness `--log_samples` directory. */
struct LmEvalOptions {
  std::string metric = "acc";     ///< the per-sample key holding correctness (e.g. "acc", "exact_match")
  std::string filter = "none";    ///< only lines whose "filter" equals this
  std::vector<std::string> tasks;  ///< tasks to read (all when empty)
};

/** The files that make one dataset. `models` is required; items come from `items` and/or `lmeval_dir`. */
struct DatasetFiles {
  std::string models;                  ///< models CSV (required)
  std::optional<std::string> items;    ///< items CSV
  std::optional<std::string> scores;   ///< scores CSV
  std::optional<std::string> lmeval_dir;  ///< lm-eval --log_samples output folder
  LmEvalOptions lmeval;
  double compute_unit = 1e18;
};

/** Read and validate a whole dataset; throws cod::InputError/cod::Error, never returns a partial one. */
Dataset read_dataset(const DatasetFiles& files);

/**
 * Read a dataset folder: `models.csv` (required), `items.csv` and `scores.csv` (each optional,
 * but at least one of them must exist).
 */
Dataset read_dataset_dir(const std::string& dir, double compute_unit = 1e18);

/** Read only a models CSV (SPEC §12). */
std::vector<Model> read_models_csv(const std::string& path);

}  // namespace cod
