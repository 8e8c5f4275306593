#pragma once
/// @file dataset.hpp
/// The data model every stage works on (SPEC §0–§2): models with their
/// metadata and compute, and evaluation sets, each an items × models
/// pass-rate matrix, with optional trial counts and per-model scores.

#include <cstddef>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

#include "cod/matrix.hpp"

namespace cod {

inline constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

/** What a model is for in a prediction (SPEC §0). `none`: not said; the selection decides. */
enum class Role { none, ladder, target, anchor };

/** "ladder", "target", "anchor" or "" for none. */
const char* role_name(Role r);
/** Parse a role name ("" → none); throws cod::Error naming the valid roles. */
Role parse_role(const std::string& s);

/** One trained model and its metadata. Unknown numbers are NaN. */
struct Model {
  std::string name;
  double params = kUnknown;         ///< parameter count N
  double tokens = kUnknown;         ///< training tokens D
  double compute_flops = kUnknown;  ///< as given by the user; NaN when not given
  Role role = Role::none;
  std::string family;
  std::string size;       ///< size label shared by checkpoints of one model (e.g. "160m")
  double step = kUnknown;  ///< training step of this checkpoint
  double loss = kUnknown;  ///< a per-model loss (for the loss-intermediate baseline)

  /** Training compute in FLOPs: compute_flops if given, else 6·N·D; NaN if neither is known. */
  double flops() const;
};

/**
 * One evaluation set: `pass(i, j)` is the pass rate of item i for the set's j-th model,
 * whose index in Dataset::models is `models[j]`. Every model of the set has every item.
 */
struct EvalSet {
  std::string name;
  std::vector<std::string> items;   ///< item ids, rows of `pass`
  std::vector<std::size_t> models;  ///< dataset model indices, columns of `pass`
  Matrix pass;                      ///< items × models, values in [0, 1]
  /** Trials per cell (items × models), empty (0 × 0) when unknown. */
  Matrix n_samples;
  /** Per-model full-set score indexed by dataset model index (NaN = none given); may be empty. */
  std::vector<double> scores;
  /**
   * Per-item features besides the metric (SPEC §14), each items × models like `pass`, values in
   * [0, 1]: e.g. "choice_prob" from lm-eval log-likelihoods. Only features every cell has are kept.
   */
  std::vector<std::pair<std::string, Matrix>> extra_features;

  /** `pass` for "metric", else the named extra feature; throws cod::Error naming the features present. */
  const Matrix& feature(const std::string& name) const;
  /** "metric" and the names of extra_features, in order. */
  std::vector<std::string> feature_names() const;

  /** Column of dataset model `model` in `pass`, or -1 when the set has no items for it. */
  int column_of(std::size_t model) const;
  /** True when trial counts are known. */
  bool has_trials() const { return n_samples.size() > 0; }
};

/** One lm-eval samples file and what became of it: the provenance a report lists (SPEC §12). */
struct SourceFile {
  std::string path;
  std::string set;        ///< the task (evaluation set)
  std::string model;
  std::string date;       ///< the file name's date id, "" when it has none
  std::size_t samples = 0;  ///< lines used (those with the chosen filter)
  bool used = true;       ///< false: skipped as an older run (LmEvalOptions::runs == "newest")
};

/** Models and evaluation sets, plus the unit in which compute enters fits (SPEC §1). */
class Dataset {
public:
  std::vector<Model> models;
  std::vector<EvalSet> sets;
  double compute_unit = 1e18;  ///< fits use C / compute_unit
  /** Columns of the input files that were not used (listed once, for the user). */
  std::vector<std::string> ignored_columns;
  /** lm-eval samples files read (or skipped), by model then task; empty for CSV input. */
  std::vector<SourceFile> sources;

  /** Index of the model called `name`; throws cod::Error listing a few known names. */
  std::size_t model_index(const std::string& name) const;
  /** Index of the set called `name`; throws cod::Error listing the sets. */
  std::size_t set_index(const std::string& name) const;
  /** Model's compute in units of compute_unit; throws when unknown. */
  double compute(std::size_t model) const;
  /** Check invariants (shapes, ranges, compute known); throws cod::Error on the first violation. */
  void validate() const;

private:
  // Name -> index caches for model_index/set_index (constant time with 100,000 sets). Built on
  // first use and checked on every hit against the public vectors, which callers may change;
  // the mutex is shared by copies (it guards only these caches).
  struct NameIndex {
    std::unordered_map<std::string, std::size_t> index;
    std::size_t built_for = 0;
  };
  mutable std::shared_ptr<std::mutex> lookup_mutex_ = std::make_shared<std::mutex>();
  mutable NameIndex model_lookup_, set_lookup_;
};

/** Which models play which part in a prediction (dataset model indices). */
struct Selection {
  std::vector<std::size_t> ladder;   ///< ordered by increasing compute
  std::optional<std::size_t> target;
  std::vector<std::size_t> anchors;
};

/** Inputs to select_models; names refer to Dataset::models. */
struct SelectionRequest {
  std::optional<std::string> target;    ///< default: the model whose role is target (if exactly one)
  std::vector<std::string> ladder;      ///< default: every non-target, non-anchor model with less compute than the target (all when no target)
  std::vector<std::string> anchors;     ///< default: every model whose role is anchor
  bool explicit_anchors = false;        ///< true: `anchors` is the full list even when empty
};

/**
 * Resolve the ladder, target and anchors (SPEC §0, documented defaults). Throws when a name is
 * unknown, a model is in two roles, the target is not above every ladder model's compute... (see docs).
 */
Selection select_models(const Dataset& ds, const SelectionRequest& req);

/** `models` sorted by increasing compute (ties: by name), for building features. */
std::vector<std::size_t> order_by_compute(const Dataset& ds, std::vector<std::size_t> models);

/**
 * Feature matrix (SPEC §2): items × ladder models in the given order, from ladder models only.
 * Throws if a ladder model has no results in the set.
 */
Matrix features(const EvalSet& set, const std::vector<std::size_t>& ladder);

/**
 * Checkpoint smoothing (paper A.2): like features(), but column j is the mean pass rate over
 * the ladder checkpoints of the same family and size whose step is within `window` adjacent
 * checkpoints of model j (a centred window of 2·radius+1 checkpoints, clipped at the ends).
 * Only ladder models are averaged, so nothing leaks from the target or anchors.
 */
Matrix smoothed_features(const Dataset& ds, const EvalSet& set, const std::vector<std::size_t>& ladder, int radius);

/** Rows whose features are all zero (SPEC §2: zero-performance items), 0-based, ascending. */
std::vector<int> zero_items(const Matrix& X);

/** Mean pass rate of dataset model `model` over all items; NaN when the set lacks the model or has no items. */
double mean_pass_rate(const EvalSet& set, std::size_t model);

/** Mean pass rate of dataset model `model` over `items` (0-based rows); NaN when `items` is empty or the set lacks the model. */
double subset_metric(const EvalSet& set, std::size_t model, const std::vector<int>& items);

/**
 * Full-set metric (SPEC §0): the user's score for the model when given, else the mean pass rate
 * over all items; NaN when neither exists.
 */
double full_metric(const EvalSet& set, std::size_t model);

}  // namespace cod
