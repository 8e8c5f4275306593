#pragma once
// Private to the readers (io_*.cpp). Rows from the items CSV, the lm-eval samples and the
// scores CSV are accumulated here, keyed by interned set / item / model indices; finish()
// checks that every set is complete and only then builds the Dataset, so a reading error
// never leaves a partial result behind.

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cod/dataset.hpp"
#include "cod/io.hpp"

namespace cod {
namespace csv {
class Table;
}
namespace io_detail {

inline constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

/** Strings with stable storage and hash lookup by string_view (no allocation to look up). */
class Interner {
public:
  Interner() = default;
  // The index holds views into names_: a copy would point into the original. Moving a deque
  // keeps its elements in place, so moves are safe (and, with copying deleted, std::vector
  // moves instead of copying when it grows).
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;
  Interner(Interner&&) = default;
  Interner& operator=(Interner&&) = default;

  /** Index of `s`, or kNone. */
  std::uint32_t find(std::string_view s) const {
    const auto it = index_.find(s);
    return it == index_.end() ? kNone : it->second;
  }
  /** Add `s`, which must be absent; returns its index. */
  std::uint32_t add(std::string_view s);
  const std::string& operator[](std::uint32_t i) const { return names_[i]; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(names_.size()); }

private:
  std::deque<std::string> names_;  // a deque never moves its elements, so the views stay valid
  std::unordered_map<std::string_view, std::uint32_t> index_;
};

static_assert(!std::is_copy_constructible_v<Interner>, "copying an Interner would leave its index dangling");

/** Where something was read: a source file (Builder::add_source) and a 1-based line; line 0 = nowhere. */
struct Origin {
  std::uint32_t source = 0;
  std::uint32_t line = 0;
};

/** One (item, model) result while reading. */
struct Cell {
  double value = 0;  ///< pass rate (CSV) or the sum of sample values (lm-eval)
  double n = 0;      ///< trials: n_samples (CSV; NaN when not given) or the number of samples (lm-eval)
  Origin origin;     ///< where the cell was first given; origin.line == 0 while empty
};

/** Sums of kLmEvalFeatures over the lines merged into a cell, then the number of lines (NaN: a line lacked it). */
using FeatureSums = std::array<double, kLmEvalFeatureCount + 1>;

/** One evaluation set while reading. */
struct SetBuild {
  std::string name;
  Interner items;
  std::vector<Origin> item_origin;           ///< first appearance of each item
  std::vector<std::int32_t> column_of;       ///< per dataset model: its column, or -1
  std::vector<std::uint32_t> column_model;   ///< per column: the dataset model
  std::vector<std::vector<Cell>> columns;    ///< per column: cells by item (grown on demand)
  /** Per column: sums of the lm-eval log-likelihood features by item, then the line count; empty when none. */
  std::vector<std::vector<FeatureSums>> feature_columns;
  std::vector<double> scores;                ///< empty, or one per dataset model (NaN = none)
  std::vector<Origin> score_origin;
  std::uint32_t last_item = kNone;           ///< files are grouped: the next item is often the last one + 1
};

/** Accumulates the rows of all sources of one dataset. */
class Builder {
public:
  Builder(std::vector<Model> models, std::string models_file);

  /** Register an input file; `samples`: cells from it are lm-eval samples that average together. */
  std::uint32_t add_source(std::string path, bool samples);
  const std::string& source(std::uint32_t s) const { return sources_[s]; }
  bool is_samples(std::uint32_t s) const { return samples_[s]; }

  /** Dataset model index of `name`, or kNone. */
  std::uint32_t model(std::string_view name);
  /** Index of the set called `name`, created on first use. */
  std::uint32_t set(std::string_view name);
  /** Index of item `id` in set `s`, created on first use (at `where`). */
  std::uint32_t item(std::uint32_t s, std::string_view id, Origin where);
  /** The cell of (set, item, model), created empty on first use. */
  Cell& cell(std::uint32_t s, std::uint32_t item, std::uint32_t model);
  SetBuild& set_build(std::uint32_t s) { return sets_[s]; }
  /** The feature sums of (set, item, model), whose cell() must exist; all zero on first use. */
  FeatureSums& feature_sums(std::uint32_t s, std::uint32_t item, std::uint32_t model);
  /** lm-eval files read or skipped, for Dataset::sources. */
  std::vector<SourceFile> lmeval_sources;

  const std::vector<Model>& models() const { return models_; }
  const std::string& models_file() const { return models_file_; }
  /** "line 7" when `o` is in `from`, else "file:7". */
  std::string where(Origin o, std::uint32_t from) const;
  /** "a model without metadata" message for `name`. */
  std::string unknown_model(std::string_view name) const;

  /** Record the columns of `t` not in `used` (-1 entries ignored) as "file: column", once each. */
  void note_ignored(const csv::Table& t, const std::vector<int>& used);

  /** Check completeness and trial counts, then build the dataset. */
  Dataset finish(double compute_unit);

private:
  std::vector<Model> models_;
  std::string models_file_;
  Interner model_names_;
  std::uint32_t last_model_ = kNone;
  std::vector<std::string> sources_;
  std::vector<bool> samples_;
  std::deque<SetBuild> sets_;  // never relocated: SetBuild holds an Interner
  Interner set_names_;
  std::uint32_t last_set_ = kNone;
  std::vector<std::string> ignored_;
  std::unordered_set<std::string> ignored_seen_;  // ignored_ as a set: linear in header width
};

/** Models CSV; columns not used are appended to `ignored` (may be null). */
std::vector<Model> read_models(const std::string& path, std::vector<std::string>* ignored);
/** Items CSV into `b`. */
void read_items_csv(const std::string& path, Builder& b);
/** Scores CSV into `b`. */
void read_scores_csv(const std::string& path, Builder& b);
/** lm-eval `--log_samples` folder into `b`. */
void read_lmeval_dir(const std::string& dir, const LmEvalOptions& opts, Builder& b);

/** Up to `max` names, quoted and comma-separated, with "... (N in all)" when there are more. */
std::string name_list(const std::vector<std::string>& names, std::size_t max = 8);

}  // namespace io_detail
}  // namespace cod
