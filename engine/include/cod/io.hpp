#pragma once
/// @file io.hpp
/// Readers for the formats of SPEC §12: items / models / scores CSV and an
/// lm-evaluation-harness `--log_samples` directory. Every reading error is a
/// cod::InputError naming the file, the line, the column and what was
/// expected; a partial dataset is never returned.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cod/dataset.hpp"

namespace cod {

/**
 * Normalisation of a generated response and of the target before exact match (the options of
 * lm-eval's `exact_match` metric that codlua supports). Matching is on bytes; case folding is ASCII.
 */
struct MatchOptions {
  bool strip = true;                ///< drop leading and trailing whitespace (space, tab, CR, LF)
  bool ignore_case = false;         ///< ASCII letters compared case-insensitively
  bool ignore_punctuation = false;  ///< drop ASCII punctuation (Python's string.punctuation)
};

/**
 * Per-item features read from lm-eval log-likelihoods (SPEC §14), in EvalSet::extra_features order:
 * "choice_prob" (softmax of the choices' log-likelihoods at the gold index), "choice_prob_norm" (the
 * same on log-likelihoods divided by each choice's length in bytes, as lm-eval's acc_norm),
 * "answer_prob" (exp of the gold continuation's whole log-likelihood), "answer_prob_norm" (exp of it
 * divided by the continuation's length in bytes: a per-byte geometric mean probability).
 */
inline constexpr const char* kLmEvalFeatures[] = {"choice_prob", "choice_prob_norm", "answer_prob", "answer_prob_norm"};
inline constexpr std::size_t kLmEvalFeatureCount = sizeof(kLmEvalFeatures) / sizeof(kLmEvalFeatures[0]);

/** How to read an lm-evaluation-harness `--log_samples` directory. */
struct LmEvalOptions {
  std::string metric = "acc";     ///< the per-sample key holding correctness (e.g. "acc", "exact_match")
  std::string filter = "none";    ///< only lines whose "filter" equals this
  std::vector<std::string> tasks;  ///< tasks to read (all when empty)
  /**
   * true: the pass rate is the fraction of the line's filtered responses that exactly match the
   * target (generate-until tasks run with `repeats: N`; n_samples = N), instead of `metric`.
   */
  bool responses = false;
  MatchOptions match;             ///< normalisation for `responses`
  /**
   * Several files of one model and task (lm-eval writes one per run, named by date): "average"
   * (SPEC §12: repeats and seeds average into a pass rate) or "newest" (only the file with the
   * latest date id; the others are listed as skipped). Either way Dataset::sources lists them.
   */
  std::string runs = "average";
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
