// The CSV formats of SPEC §12: models, items (long form) and scores.

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "cod/csv.hpp"
#include "cod/error.hpp"
#include "io_builder.hpp"

namespace cod {
namespace io_detail {

namespace {

std::string trimmed(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

// Field `c` of the current row as a number: false when the cell is empty (the caller decides
// whether that is allowed), an InputError when it is not a finite number.
bool number(const csv::Table& t, int c, double& out, const char* expected) {
  if (c < 0) return false;
  switch (csv::parse_number(t.field(c), out)) {
    case csv::NumberStatus::ok: return true;
    case csv::NumberStatus::empty: return false;
    case csv::NumberStatus::not_a_number:
      t.fail(c, csv::quote(t.field(c)) + " is not a number (expected " + expected + ")");
    case csv::NumberStatus::not_finite:
      t.fail(c, csv::quote(t.field(c)) + " is not a finite number (expected " + expected + ")");
  }
  return false;
}

// A required, non-empty name (set, item or model): names are taken verbatim, never trimmed.
std::string_view name(const csv::Table& t, int c, const char* what) {
  std::string_view s = t.field(c);
  if (s.empty()) t.fail(c, std::string("empty cell (expected ") + what + ")");
  return s;
}

[[noreturn]] void no_rows(const csv::Table& t, const std::string& expected) {
  throw InputError(t.file(), 0, "", "no rows after the header (expected at least one row of " + expected + ")");
}

// A count of samples: a whole number >= `min`.
void count(const csv::Table& t, int c, double v, double min) {
  if (v < 0) t.fail(c, "negative count " + trimmed(t.field(c)) + " (expected a whole number >= " + fmt::format("{}", min) + ")");
  if (v != std::floor(v)) t.fail(c, trimmed(t.field(c)) + " is not a whole number (expected a count of samples)");
  if (v < min) t.fail(c, trimmed(t.field(c)) + " samples (expected at least " + fmt::format("{}", min) + ")");
}

}  // namespace

std::vector<Model> read_models(const std::string& path, std::vector<std::string>* ignored) {
  const std::string expected = "model,params,tokens,compute_flops";
  csv::Table t(path, expected);
  const int c_model = t.require("model");
  const int c_params = t.column("params"), c_tokens = t.column("tokens"), c_compute = t.column("compute_flops");
  const int c_role = t.column("role"), c_family = t.column("family"), c_size = t.column("size");
  const int c_step = t.column("step"), c_loss = t.column("loss");
  if (c_compute < 0 && (c_params < 0 || c_tokens < 0))
    throw InputError(path, t.header_line(), c_params < 0 ? "params" : "tokens",
                     "missing column (expected 'compute_flops', or 'params' and 'tokens'); the header has: " +
                         t.header_list());
  if (ignored) {
    const std::vector<int> used{c_model, c_params, c_tokens, c_compute, c_role, c_family, c_size, c_step, c_loss};
    for (std::size_t i = 0; i < t.header().size(); ++i)
      if (std::find(used.begin(), used.end(), static_cast<int>(i)) == used.end())
        ignored->push_back(path + ": " +
                           (t.header()[i].empty() ? "(unnamed column " + std::to_string(i + 1) + ")" : t.header()[i]));
  }
  if (!t.next()) no_rows(t, expected);

  std::vector<Model> models;
  std::unordered_map<std::string, std::size_t> first_line;
  do {
    Model m;
    m.name = std::string(name(t, c_model, "a model name"));
    const auto [it, fresh] = first_line.emplace(m.name, t.line());
    if (!fresh)
      t.fail(c_model, "model " + csv::quote(m.name) + " is listed twice (first at line " + std::to_string(it->second) +
                          "; expected one row per model)");
    const auto positive = [&](int c, double& out, const char* what) {
      if (!number(t, c, out, what)) {
        out = kUnknown;
        return;
      }
      if (!(out > 0)) t.fail(c, trimmed(t.field(c)) + " is not positive (expected " + what + ")");
    };
    positive(c_params, m.params, "a positive parameter count, or an empty cell");
    positive(c_tokens, m.tokens, "a positive count of training tokens, or an empty cell");
    positive(c_compute, m.compute_flops, "positive training FLOPs, or an empty cell");
    if (std::isnan(m.compute_flops) && (std::isnan(m.params) || std::isnan(m.tokens)))
      t.fail(c_compute >= 0 ? c_compute : (std::isnan(m.params) ? c_params : c_tokens),
             "model " + csv::quote(m.name) +
                 " has no compute (expected compute_flops, or both params and tokens for C = 6*N*D)");
    if (c_role >= 0) {
      const std::string_view r = t.field(c_role);
      if (r.empty()) m.role = Role::none;
      else if (r == "ladder") m.role = Role::ladder;
      else if (r == "target") m.role = Role::target;
      else if (r == "anchor") m.role = Role::anchor;
      else t.fail(c_role, "unknown role " + csv::quote(r) + " (expected ladder, target, anchor or an empty cell)");
    }
    if (c_family >= 0) m.family = std::string(t.field(c_family));
    if (c_size >= 0) m.size = std::string(t.field(c_size));
    if (number(t, c_step, m.step, "a training step >= 0, or an empty cell")) {
      if (m.step < 0) t.fail(c_step, trimmed(t.field(c_step)) + " is negative (expected a training step >= 0)");
    } else {
      m.step = kUnknown;
    }
    if (!number(t, c_loss, m.loss, "a loss, or an empty cell")) m.loss = kUnknown;
    models.push_back(std::move(m));
  } while (t.next());
  return models;
}

void read_items_csv(const std::string& path, Builder& b) {
  const std::string expected = "benchmark,item_id,model,passrate[,n_samples,n_correct]";
  csv::Table t(path, expected);
  const int c_set = t.require("benchmark"), c_item = t.require("item_id"), c_model = t.require("model");
  const int c_pass = t.column("passrate"), c_n = t.column("n_samples"), c_k = t.column("n_correct");
  // Decision: the counts come as a pair; n_samples alone (with passrate) would leave n_correct implicit.
  if ((c_n >= 0) != (c_k >= 0))
    throw InputError(path, t.header_line(), c_n >= 0 ? "n_correct" : "n_samples",
                     "missing column (n_samples and n_correct go together); the header has: " + t.header_list());
  if (c_pass < 0 && c_n < 0)
    throw InputError(path, t.header_line(), "passrate",
                     "missing column (expected 'passrate', or 'n_samples' and 'n_correct'); the header has: " +
                         t.header_list());
  b.note_ignored(t, {c_set, c_item, c_model, c_pass, c_n, c_k});
  const std::uint32_t src = b.add_source(path, false);
  if (!t.next()) no_rows(t, expected);
  do {
    const std::string_view set_name = name(t, c_set, "a benchmark name");
    const std::string_view item_id = name(t, c_item, "an item id");
    const std::string_view model_name = name(t, c_model, "a model name");
    const std::uint32_t m = b.model(model_name);
    if (m == kNone) t.fail(c_model, b.unknown_model(model_name));

    double p = kUnknown, n = kUnknown, k = 0;
    bool has_p = number(t, c_pass, p, "a pass rate in [0, 1]");
    if (has_p && !(p >= 0 && p <= 1))
      t.fail(c_pass, "pass rate " + trimmed(t.field(c_pass)) + " is outside [0, 1]");
    if (c_n >= 0) {
      const bool has_n = number(t, c_n, n, "a count of samples");
      const bool has_k = number(t, c_k, k, "a count of correct samples");
      if (has_n != has_k)
        t.fail(has_n ? c_k : c_n, "empty cell (expected n_samples and n_correct both given or both empty)");
      if (has_n) {
        count(t, c_n, n, 1);
        count(t, c_k, k, 0);
        if (k > n)
          t.fail(c_k, "n_correct " + trimmed(t.field(c_k)) + " exceeds n_samples " + trimmed(t.field(c_n)) +
                          " (expected 0 <= n_correct <= n_samples)");
        const double q = k / n;
        // A written pass rate is often rounded (8 decimals in real logs); 1e-6 allows any rounding
        // to 6 or more decimals and still catches a pass rate that belongs to other counts.
        if (has_p && std::abs(p - q) > 1e-6)
          t.fail(c_pass, "pass rate " + trimmed(t.field(c_pass)) + " disagrees with n_correct/n_samples = " +
                             trimmed(t.field(c_k)) + "/" + trimmed(t.field(c_n)) + " = " + fmt::format("{:.12g}", q) +
                             " (expected them to agree to 1e-6)");
        p = q;  // the counts are exact; a written pass rate may be rounded
        has_p = true;
      } else {
        n = kUnknown;
      }
    }
    if (!has_p)
      t.fail(c_pass >= 0 ? c_pass : c_n, "empty cell (expected a pass rate, or n_samples and n_correct)");

    const std::uint32_t s = b.set(set_name);
    const Origin here{src, static_cast<std::uint32_t>(t.line())};
    const std::uint32_t i = b.item(s, item_id, here);
    Cell& cell = b.cell(s, i, m);
    if (cell.origin.line != 0)
      t.fail(-1, "duplicate row for benchmark " + csv::quote(set_name) + ", item " + csv::quote(item_id) +
                     ", model " + csv::quote(model_name) + " (first at " + b.where(cell.origin, src) +
                     "; expected one row per benchmark, item and model)");
    cell.value = p;
    cell.n = n;
    cell.origin = here;
  } while (t.next());
}

void read_scores_csv(const std::string& path, Builder& b) {
  const std::string expected = "benchmark,model,score";
  csv::Table t(path, expected);
  const int c_set = t.require("benchmark"), c_model = t.require("model"), c_score = t.require("score");
  b.note_ignored(t, {c_set, c_model, c_score});
  const std::uint32_t src = b.add_source(path, false);
  if (!t.next()) no_rows(t, expected);
  const std::size_t n_models = b.models().size();
  do {
    const std::string_view set_name = name(t, c_set, "a benchmark name");
    const std::string_view model_name = name(t, c_model, "a model name");
    const std::uint32_t m = b.model(model_name);
    if (m == kNone) t.fail(c_model, b.unknown_model(model_name));
    double v = 0;
    if (!number(t, c_score, v, "a score in [0, 1]")) t.fail(c_score, "empty cell (expected a score in [0, 1])");
    if (!(v >= 0 && v <= 1)) t.fail(c_score, "score " + trimmed(t.field(c_score)) + " is outside [0, 1]");
    SetBuild& sb = b.set_build(b.set(set_name));
    if (sb.scores.empty()) {
      sb.scores.assign(n_models, kUnknown);
      sb.score_origin.assign(n_models, Origin{});
    }
    if (sb.score_origin[m].line != 0)
      t.fail(-1, "duplicate score for benchmark " + csv::quote(set_name) + ", model " + csv::quote(model_name) +
                     " (first at " + b.where(sb.score_origin[m], src) + "; expected one row per benchmark and model)");
    sb.scores[m] = v;
    sb.score_origin[m] = Origin{src, static_cast<std::uint32_t>(t.line())};
  } while (t.next());
}

}  // namespace io_detail
}  // namespace cod
