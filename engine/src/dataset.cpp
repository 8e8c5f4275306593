#include "cod/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <string>

#include <fmt/format.h>

#include "cod/error.hpp"

namespace cod {
namespace {

// "a, b, c" of at most `limit` names, then "and N more".
std::string name_list(const std::vector<std::string>& names, std::size_t limit = 10) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > limit) out += " and " + std::to_string(names.size() - limit) + " more";
  return out.empty() ? "none" : out;
}

}  // namespace

const char* role_name(Role r) {
  switch (r) {
    case Role::ladder: return "ladder";
    case Role::target: return "target";
    case Role::anchor: return "anchor";
    case Role::none: break;
  }
  return "";
}

Role parse_role(const std::string& s) {
  if (s.empty()) return Role::none;
  if (s == "ladder") return Role::ladder;
  if (s == "target") return Role::target;
  if (s == "anchor") return Role::anchor;
  throw UserError("unknown role '" + s + "' (expected ladder, target, anchor or empty)");
}

double Model::flops() const {
  if (!std::isnan(compute_flops)) return compute_flops;
  if (!std::isnan(params) && !std::isnan(tokens)) return 6.0 * params * tokens;
  return kUnknown;
}

int EvalSet::column_of(std::size_t model) const {
  for (std::size_t j = 0; j < models.size(); ++j)
    if (models[j] == model) return static_cast<int>(j);
  return -1;
}

const Matrix& EvalSet::feature(const std::string& wanted) const {
  if (wanted == "metric") return pass;
  for (const auto& f : extra_features)
    if (f.first == wanted) return f.second;
  throw UserError("set '" + name + "' has no feature '" + wanted + "' (features present: " +
              name_list(feature_names()) + "; choice_prob and answer_prob come from lm-eval multiple-choice " +
              "log-likelihoods)");
}

std::vector<std::string> EvalSet::feature_names() const {
  std::vector<std::string> names{"metric"};
  for (const auto& f : extra_features) names.push_back(f.first);
  return names;
}
namespace {

// The first index whose name is `name`, through `cache` (rebuilt when the list changed).
template <class List>
std::optional<std::size_t> find_name(const List& list, const std::string& name,
                                     std::unordered_map<std::string, std::size_t>& cache, std::size_t& built_for) {
  const auto hit = [&]() -> std::optional<std::size_t> {
    auto it = cache.find(name);
    if (it != cache.end() && it->second < list.size() && list[it->second].name == name) return it->second;
    return std::nullopt;
  };
  if (built_for == list.size() && !cache.empty()) {
    if (auto i = hit()) return i;
  }
  cache.clear();
  cache.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) cache.emplace(list[i].name, i);
  built_for = list.size();
  return hit();
}

}  // namespace

std::size_t Dataset::model_index(const std::string& name) const {
  {
    std::lock_guard<std::mutex> lock(*lookup_mutex_);
    if (auto i = find_name(models, name, model_lookup_.index, model_lookup_.built_for)) return *i;
  }
  std::vector<std::string> names;
  for (const auto& m : models) names.push_back(m.name);
  throw UserError("unknown model '" + name + "'" + did_you_mean(name, names) + " (models: " + name_list(names) + ")");
}

std::size_t Dataset::set_index(const std::string& name) const {
  {
    std::lock_guard<std::mutex> lock(*lookup_mutex_);
    if (auto i = find_name(sets, name, set_lookup_.index, set_lookup_.built_for)) return *i;
  }
  std::vector<std::string> names;
  for (const auto& s : sets) names.push_back(s.name);
  throw UserError("unknown evaluation set '" + name + "'" + did_you_mean(name, names) + " (sets: " +
                  name_list(names, 20) + ")");
}

double Dataset::compute(std::size_t model) const {
  if (model >= models.size()) throw Error("model index " + std::to_string(model) + " out of range");
  const double c = models[model].flops();
  if (std::isinf(c))
    throw UserError("model '" + models[model].name + "' has infinite compute (6·params·tokens overflows a double; " +
                "give compute_flops)");
  if (!(c > 0) || !std::isfinite(c))
    throw UserError("model '" + models[model].name + "' has no positive compute (give compute_flops or params and tokens)");
  return c / compute_unit;
}

void Dataset::validate() const {
  if (!(compute_unit > 0) || !std::isfinite(compute_unit))
    throw UserError("compute_unit must be a positive finite number, got " + std::to_string(compute_unit));
  std::set<std::string> seen;
  for (std::size_t m = 0; m < models.size(); ++m) {
    if (!seen.insert(models[m].name).second) throw UserError("duplicate model '" + models[m].name + "'");
    compute(m);  // throws when unknown
  }
  std::set<std::string> set_names;
  for (const auto& s : sets) {
    if (!set_names.insert(s.name).second) throw UserError("duplicate evaluation set '" + s.name + "'");
    if (s.pass.rows() != static_cast<Eigen::Index>(s.items.size()) ||
        s.pass.cols() != static_cast<Eigen::Index>(s.models.size()))
      throw Error("set '" + s.name + "': pass matrix is " + std::to_string(s.pass.rows()) + " x " +
                  std::to_string(s.pass.cols()) + ", expected " + std::to_string(s.items.size()) + " items x " +
                  std::to_string(s.models.size()) + " models");
    for (std::size_t m : s.models)
      if (m >= models.size()) throw Error("set '" + s.name + "' refers to model index " + std::to_string(m));
    for (Eigen::Index i = 0; i < s.pass.rows(); ++i)
      for (Eigen::Index j = 0; j < s.pass.cols(); ++j) {
        const double p = s.pass(i, j);
        if (!(p >= 0.0 && p <= 1.0))
          throw Error("set '" + s.name + "', item '" + s.items[static_cast<std::size_t>(i)] + "', model '" +
                      models[s.models[static_cast<std::size_t>(j)]].name + "': pass rate " + std::to_string(p) +
                      " is outside [0, 1]");
      }
    if (s.has_trials() && (s.n_samples.rows() != s.pass.rows() || s.n_samples.cols() != s.pass.cols()))
      throw Error("set '" + s.name + "': trial counts do not match the pass matrix's shape");
    if (!s.scores.empty() && s.scores.size() != models.size())
      throw Error("set '" + s.name + "': scores must have one entry per model");
    for (const auto& f : s.extra_features) {
      if (f.second.rows() != s.pass.rows() || f.second.cols() != s.pass.cols())
        throw UserError("set '" + s.name + "': feature '" + f.first + "' does not match the pass matrix's shape");
      if (!(f.second.array() >= 0.0 && f.second.array() <= 1.0).all())
        throw UserError("set '" + s.name + "': feature '" + f.first + "' has values outside [0, 1]");
    }
  }
}

std::vector<std::size_t> order_by_compute(const Dataset& ds, std::vector<std::size_t> models) {
  std::vector<double> c(ds.models.size(), 0.0);
  for (std::size_t m : models) c[m] = ds.compute(m);
  std::stable_sort(models.begin(), models.end(), [&](std::size_t a, std::size_t b) {
    if (c[a] != c[b]) return c[a] < c[b];
    return ds.models[a].name < ds.models[b].name;
  });
  return models;
}

Selection select_models(const Dataset& ds, const SelectionRequest& req) {
  Selection sel;
  // Target: named, else the one model whose role is target.
  if (req.target) {
    sel.target = ds.model_index(*req.target);
  } else {
    std::vector<std::size_t> targets;
    for (std::size_t m = 0; m < ds.models.size(); ++m)
      if (ds.models[m].role == Role::target) targets.push_back(m);
    if (targets.size() > 1) {
      std::vector<std::string> names;
      for (auto t : targets) names.push_back(ds.models[t].name);
      throw UserError("several models have role target (" + name_list(names) + "); name the one to predict");
    }
    if (targets.size() == 1) sel.target = targets[0];
  }
  // Anchors: named, else every model whose role is anchor.
  if (req.explicit_anchors || !req.anchors.empty()) {
    for (const auto& a : req.anchors) sel.anchors.push_back(ds.model_index(a));
  } else {
    for (std::size_t m = 0; m < ds.models.size(); ++m)
      if (ds.models[m].role == Role::anchor && (!sel.target || m != *sel.target)) sel.anchors.push_back(m);
  }
  // Ladder: named, else every other model with less compute than the target.
  if (!req.ladder.empty()) {
    for (const auto& l : req.ladder) sel.ladder.push_back(ds.model_index(l));
  } else {
    const double limit = sel.target ? ds.compute(*sel.target) : INFINITY;
    for (std::size_t m = 0; m < ds.models.size(); ++m) {
      if (sel.target && m == *sel.target) continue;
      if (std::find(sel.anchors.begin(), sel.anchors.end(), m) != sel.anchors.end()) continue;
      if (ds.models[m].role == Role::target || ds.models[m].role == Role::anchor) continue;
      if (ds.compute(m) < limit) sel.ladder.push_back(m);
    }
  }
  // Consistency: no model in two parts, no duplicates.
  std::set<std::size_t> ladder_set(sel.ladder.begin(), sel.ladder.end());
  if (ladder_set.size() != sel.ladder.size()) throw UserError("the ladder names a model twice");
  std::set<std::size_t> anchor_set(sel.anchors.begin(), sel.anchors.end());
  if (anchor_set.size() != sel.anchors.size()) throw UserError("the anchors name a model twice");
  for (std::size_t a : sel.anchors)
    if (ladder_set.count(a))
      throw UserError("model '" + ds.models[a].name + "' is both a ladder model and an anchor");
  if (sel.target) {
    if (ladder_set.count(*sel.target))
      throw UserError("the target '" + ds.models[*sel.target].name + "' is also a ladder model");
    if (anchor_set.count(*sel.target))
      throw UserError("the target '" + ds.models[*sel.target].name + "' is also an anchor");
  }
  if (sel.ladder.size() < 2)
    throw UserError("the ladder has " + std::to_string(sel.ladder.size()) +
                " model(s); at least 2 are needed" +
                (sel.target ? " (default ladder: models with less compute than the target '" +
                                  ds.models[*sel.target].name + "')"
                            : std::string()));
  sel.ladder = order_by_compute(ds, std::move(sel.ladder));
  // A scaling law is fitted along compute: a ladder without spread in it has nothing to fit.
  if (ds.compute(sel.ladder.front()) == ds.compute(sel.ladder.back()))
    throw UserError("the ladder's " + std::to_string(sel.ladder.size()) + " models all have the same compute (" +
                    fmt::format("{:.6g}", ds.compute(sel.ladder.front())) +
                    " units); a scaling law needs ladder models of different compute");
  return sel;
}

Matrix features(const EvalSet& set, const std::vector<std::size_t>& ladder) {
  Matrix X(set.pass.rows(), static_cast<Eigen::Index>(ladder.size()));
  for (std::size_t j = 0; j < ladder.size(); ++j) {
    const int col = set.column_of(ladder[j]);
    if (col < 0)
      throw UserError("set '" + set.name + "' has no results for ladder model #" + std::to_string(j + 1) +
                  " (dataset model index " + std::to_string(ladder[j]) + ")");
    X.col(static_cast<Eigen::Index>(j)) = set.pass.col(col);
  }
  return X;
}

Matrix smoothed_features(const Dataset& ds, const EvalSet& set, const std::vector<std::size_t>& ladder, int radius) {
  if (radius < 0) throw UserError("checkpoint smoothing radius must be >= 0, got " + std::to_string(radius));
  const Matrix raw = features(set, ladder);
  if (radius == 0) return raw;
  // Group ladder positions by (family, size); order each group by step.
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t j = 0; j < ladder.size(); ++j) {
    const Model& m = ds.models[ladder[j]];
    if (m.size.empty() || std::isnan(m.step))
      throw UserError("checkpoint smoothing needs 'size' and 'step' for every ladder model; model '" + m.name +
                  "' lacks " + (m.size.empty() ? "size" : "step"));
    groups[{m.family, m.size}].push_back(j);
  }
  Matrix X(raw.rows(), raw.cols());
  for (auto& [key, pos] : groups) {
    std::stable_sort(pos.begin(), pos.end(),
                     [&](std::size_t a, std::size_t b) { return ds.models[ladder[a]].step < ds.models[ladder[b]].step; });
    const int n = static_cast<int>(pos.size());
    for (int k = 0; k < n; ++k) {
      const int lo = std::max(0, k - radius), hi = std::min(n - 1, k + radius);
      Vector sum = Vector::Zero(raw.rows());
      for (int q = lo; q <= hi; ++q) sum += raw.col(static_cast<Eigen::Index>(pos[static_cast<std::size_t>(q)]));
      X.col(static_cast<Eigen::Index>(pos[static_cast<std::size_t>(k)])) = sum / double(hi - lo + 1);
    }
  }
  return X;
}

std::vector<int> zero_items(const Matrix& X) {
  std::vector<int> out;
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    if ((X.row(i).array() == 0.0).all()) out.push_back(static_cast<int>(i));
  return out;
}

double subset_metric(const EvalSet& set, std::size_t model, const std::vector<int>& items) {
  const int col = set.column_of(model);
  if (col < 0 || items.empty()) return kUnknown;
  double sum = 0.0;
  for (int i : items) {
    if (i < 0 || i >= set.pass.rows())
      throw Error("item index " + std::to_string(i) + " out of range for set '" + set.name + "' (" +
                  std::to_string(set.pass.rows()) + " items)");
    sum += set.pass(i, col);
  }
  return sum / static_cast<double>(items.size());
}

double mean_pass_rate(const EvalSet& set, std::size_t model) {
  const int col = set.column_of(model);
  if (col < 0 || set.pass.rows() == 0) return kUnknown;
  return set.pass.col(col).mean();
}

double full_metric(const EvalSet& set, std::size_t model) {
  if (model < set.scores.size() && !std::isnan(set.scores[model])) return set.scores[model];
  return mean_pass_rate(set, model);
}

}  // namespace cod
