// Assembling a Dataset from its files: the accumulator shared by the readers, the
// completeness checks, and the public entry points of io.hpp.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "cod/csv.hpp"
#include "cod/error.hpp"
#include "cod/io.hpp"
#include "io_builder.hpp"

namespace cod {
namespace io_detail {

std::uint32_t Interner::add(std::string_view s) {
  const auto i = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(s);
  index_.emplace(std::string_view(names_.back()), i);
  return i;
}

std::string name_list(const std::vector<std::string>& names, std::size_t max) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < max; ++i) {
    if (i) s += ", ";
    s += csv::quote(names[i]);
  }
  if (names.size() > max) s += ", ... (" + std::to_string(names.size()) + " in all)";
  if (names.empty()) s = "none";
  return s;
}

Builder::Builder(std::vector<Model> models, std::string models_file)
    : models_(std::move(models)), models_file_(std::move(models_file)) {
  for (const auto& m : models_) model_names_.add(m.name);  // read_models has rejected duplicates
}

std::uint32_t Builder::add_source(std::string path, bool samples) {
  sources_.push_back(std::move(path));
  samples_.push_back(samples);
  return static_cast<std::uint32_t>(sources_.size() - 1);
}

std::uint32_t Builder::model(std::string_view name) {
  if (last_model_ != kNone && model_names_[last_model_] == name) return last_model_;
  const std::uint32_t m = model_names_.find(name);
  if (m != kNone) last_model_ = m;
  return m;
}

std::uint32_t Builder::set(std::string_view name) {
  if (last_set_ != kNone && set_names_[last_set_] == name) return last_set_;
  std::uint32_t s = set_names_.find(name);
  if (s == kNone) {
    s = set_names_.add(name);
    sets_.emplace_back();
    sets_.back().name = std::string(name);
    sets_.back().column_of.assign(models_.size(), -1);
  }
  last_set_ = s;
  return s;
}

std::uint32_t Builder::item(std::uint32_t s, std::string_view id, Origin where) {
  SetBuild& sb = sets_[s];
  // Long-form files repeat the same item order for every model (or every model for one item),
  // so the last item or the one after it is usually right, without hashing.
  const std::uint32_t last = sb.last_item;
  if (last != kNone) {
    if (sb.items[last] == id) return last;
    if (last + 1 < sb.items.size() && sb.items[last + 1] == id) return sb.last_item = last + 1;
  }
  std::uint32_t i = sb.items.find(id);
  if (i == kNone) {
    i = sb.items.add(id);
    sb.item_origin.push_back(where);
  }
  return sb.last_item = i;
}

Cell& Builder::cell(std::uint32_t s, std::uint32_t item, std::uint32_t model) {
  SetBuild& sb = sets_[s];
  std::int32_t c = sb.column_of[model];
  if (c < 0) {
    c = static_cast<std::int32_t>(sb.columns.size());
    sb.column_of[model] = c;
    sb.column_model.push_back(model);
    sb.columns.emplace_back();
  }
  auto& col = sb.columns[static_cast<std::size_t>(c)];
  if (item >= col.size()) col.resize(std::max<std::size_t>(sb.items.size(), item + 1));
  return col[item];
}

FeatureSums& Builder::feature_sums(std::uint32_t s, std::uint32_t item, std::uint32_t model) {
  SetBuild& sb = sets_[s];
  const auto c = static_cast<std::size_t>(sb.column_of[model]);  // cell() created the column
  if (sb.feature_columns.size() < sb.columns.size()) sb.feature_columns.resize(sb.columns.size());
  auto& col = sb.feature_columns[c];
  if (item >= col.size()) col.resize(std::max<std::size_t>(sb.items.size(), item + 1), FeatureSums{});
  return col[item];
}

std::string Builder::where(Origin o, std::uint32_t from) const {
  if (o.source == from) return "line " + std::to_string(o.line);
  return sources_[o.source] + ":" + std::to_string(o.line);
}

std::string Builder::unknown_model(std::string_view name) const {
  return "model " + csv::quote(name) + " is not in the models CSV " + models_file_ +
         " (expected a row there for every model, with its compute_flops or params and tokens)";
}

void Builder::note_ignored(const csv::Table& t, const std::vector<int>& used) {
  const auto& h = t.header();
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (std::find(used.begin(), used.end(), static_cast<int>(i)) != used.end()) continue;  // `used` has <= 9
    std::string entry =
        t.file() + ": " + (h[i].empty() ? "(unnamed column " + std::to_string(i + 1) + ")" : h[i]);
    if (ignored_seen_.insert(entry).second) ignored_.push_back(std::move(entry));
  }
}

namespace {

bool empty_cell(const std::vector<Cell>& col, std::uint32_t i) { return i >= col.size() || col[i].origin.line == 0; }

// Columns of a set in models-CSV order (EvalSet::models order).
std::vector<std::size_t> column_order(const SetBuild& sb) {
  std::vector<std::size_t> order(sb.columns.size());
  for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return sb.column_model[a] < sb.column_model[b]; });
  return order;
}

}  // namespace

Dataset Builder::finish(double compute_unit) {
  // Completeness: every model with items in a set must have every item of the set.
  std::vector<std::size_t> missing(sets_.size(), 0);
  std::size_t total_missing = 0;
  for (std::size_t s = 0; s < sets_.size(); ++s) {
    const SetBuild& sb = sets_[s];
    for (const auto& col : sb.columns)
      for (std::uint32_t i = 0; i < sb.items.size(); ++i) missing[s] += empty_cell(col, i);
    total_missing += missing[s];
  }
  for (std::size_t s = 0; s < sets_.size() && total_missing > 0; ++s) {
    if (!missing[s]) continue;
    const SetBuild& sb = sets_[s];
    const auto order = column_order(sb);
    for (std::uint32_t i = 0; i < sb.items.size(); ++i)
      for (std::size_t c : order) {
        if (!empty_cell(sb.columns[c], i)) continue;
        const Origin o = sb.item_origin[i];
        throw InputError(sources_[o.source], o.line, "",
                         "set " + csv::quote(sb.name) + ": item " + csv::quote(sb.items[i]) +
                             " (first given here) has no result for model " +
                             csv::quote(models_[sb.column_model[c]].name) + "; missing cells: " +
                             std::to_string(missing[s]) + " in this set, " + std::to_string(total_missing) +
                             " in all (expected every model that has results in a set to have every item of it)");
      }
  }

  Dataset ds;
  ds.models = models_;
  ds.compute_unit = compute_unit;
  ds.ignored_columns = ignored_;
  ds.sources = lmeval_sources;
  ds.sets.reserve(sets_.size());
  for (SetBuild& sb : sets_) {
    const auto order = column_order(sb);
    const auto n_items = static_cast<Eigen::Index>(sb.items.size());
    const auto n_cols = static_cast<Eigen::Index>(order.size());
    // Trial counts are all or nothing per set: a binomial resampling needs every cell's n.
    const Cell* with_n = nullptr;
    const Cell* without_n = nullptr;
    for (std::size_t c : order)
      for (const Cell& cell : sb.columns[c]) {
        if (std::isnan(cell.n)) {
          if (!without_n) without_n = &cell;
        } else if (!with_n) {
          with_n = &cell;
        }
      }
    if (with_n && without_n)
      throw InputError(sources_[without_n->origin.source], without_n->origin.line, "n_samples",
                       "set " + csv::quote(sb.name) + ": this row has no trial counts but others of the set have (first at " +
                           where(with_n->origin, without_n->origin.source) +
                           "); expected n_samples and n_correct on every row of a set or on none");

    EvalSet es;
    es.name = sb.name;
    es.items.reserve(sb.items.size());
    for (std::uint32_t i = 0; i < sb.items.size(); ++i) es.items.push_back(sb.items[i]);
    es.pass.resize(n_items, n_cols);
    if (with_n) es.n_samples.resize(n_items, n_cols);
    for (Eigen::Index j = 0; j < n_cols; ++j) {
      const std::size_t c = order[static_cast<std::size_t>(j)];
      es.models.push_back(sb.column_model[c]);
      const auto& col = sb.columns[c];
      for (Eigen::Index i = 0; i < n_items; ++i) {
        const Cell& cell = col[static_cast<std::size_t>(i)];
        const bool samples = samples_[cell.origin.source];
        es.pass(i, j) = samples ? cell.value / cell.n : cell.value;
        if (with_n) es.n_samples(i, j) = cell.n;
      }
    }
    // lm-eval features every cell has (a set mixing task kinds keeps only the shared ones).
    if (!sb.feature_columns.empty()) {
      for (std::size_t k = 0; k < kLmEvalFeatureCount; ++k) {
        Matrix F(n_items, n_cols);
        bool complete = true;
        for (Eigen::Index j = 0; j < n_cols && complete; ++j) {
          const std::size_t c = order[static_cast<std::size_t>(j)];
          const auto* col = c < sb.feature_columns.size() ? &sb.feature_columns[c] : nullptr;
          for (Eigen::Index i = 0; i < n_items && complete; ++i) {
            const auto ii = static_cast<std::size_t>(i);
            const FeatureSums* fs = col && ii < col->size() ? &(*col)[ii] : nullptr;
            const double v = fs && (*fs)[kLmEvalFeatureCount] > 0 ? (*fs)[k] / (*fs)[kLmEvalFeatureCount] : kUnknown;
            complete = v >= 0 && v <= 1;
            F(i, j) = v;
          }
        }
        if (complete) es.extra_features.emplace_back(kLmEvalFeatures[k], std::move(F));
      }
      std::vector<std::vector<FeatureSums>>().swap(sb.feature_columns);
    }
    std::vector<std::vector<Cell>>().swap(sb.columns);  // free as we go: peak memory matters for big inputs
    es.scores = std::move(sb.scores);
    ds.sets.push_back(std::move(es));
  }
  return ds;
}

}  // namespace io_detail

// ------------------------------------------------------------------ public entry points

Dataset read_dataset(const DatasetFiles& files) {
  if (!(files.compute_unit > 0) || !std::isfinite(files.compute_unit))
    throw UserError(fmt::format("read_dataset: compute_unit must be a positive finite number, got {}", files.compute_unit));
  if (files.models.empty()) throw UserError("read_dataset: no models CSV given (expected the path of one)");
  if (!files.items && !files.scores && !files.lmeval_dir)
    throw UserError("read_dataset: no items CSV, scores CSV or lm-eval folder given (expected at least one besides the "
                "models CSV)");
  std::vector<std::string> ignored;
  auto models = io_detail::read_models(files.models, &ignored);
  io_detail::Builder b(std::move(models), files.models);
  if (files.items) io_detail::read_items_csv(*files.items, b);
  if (files.lmeval_dir) io_detail::read_lmeval_dir(*files.lmeval_dir, files.lmeval, b);
  if (files.scores) io_detail::read_scores_csv(*files.scores, b);
  Dataset ds = b.finish(files.compute_unit);
  // The models CSV's unused columns come first: it was read first.
  ds.ignored_columns.insert(ds.ignored_columns.begin(), ignored.begin(), ignored.end());
  return ds;
}

Dataset read_dataset_dir(const std::string& dir, double compute_unit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (fs::exists(dir, ec)) throw InputError(dir, 0, "", "not a directory (expected a dataset folder)");
    throw InputError(dir, 0, "", "no such directory (expected a dataset folder with models.csv)");
  }
  const fs::path root(dir);
  DatasetFiles files;
  files.models = (root / "models.csv").string();
  files.compute_unit = compute_unit;
  const fs::path items = root / "items.csv";
  const fs::path scores = root / "scores.csv";
  if (fs::exists(items, ec)) files.items = items.string();
  if (fs::exists(scores, ec)) files.scores = scores.string();
  if (!files.items && !files.scores)
    throw InputError(dir, 0, "", "no items.csv or scores.csv in this folder (expected models.csv and at least one of them)");
  return read_dataset(files);
}

std::vector<Model> read_models_csv(const std::string& path) { return io_detail::read_models(path, nullptr); }

}  // namespace cod
