// The memo of MeanShift climbs and its carry across rounds of Improved MeanShift
// (cluster_memo.hpp; docs/cluster.md, "steps carried across rounds").

#include "cluster_memo.hpp"

#include <algorithm>
#include <atomic>
#include <tuple>

namespace cod::cluster::detail {

namespace {
std::atomic<bool> g_carry{true};
std::atomic<std::size_t> g_taken{0}, g_refused{0}, g_compaction{0};
constexpr std::size_t kCompactionDefault = std::size_t{1} << 16;
}  // namespace

bool round_carry_allowed() { return g_carry.load(std::memory_order_relaxed); }
void allow_round_carry(bool on) { g_carry.store(on); }
std::size_t carried_steps_taken() { return g_taken.load(); }
std::size_t carried_steps_refused() { return g_refused.load(); }
void set_memo_compaction(std::size_t min_stale) { g_compaction.store(min_stale); }

Memo::Memo(int d, double h) : d_(d), r2_(h * h), map_(d, 1024) {}

void Memo::start_round(const FixedScale& fx, const Points& removed) {
  // The same bits of every mean in both rounds: equal shifts, or both scales exact (then a
  // sum is the exact real sum times 2^shift, rounded once by to_double() whatever the shift).
  const bool same_means = !started_ || (exact_ && fx.exact) || shift_ == fx.shift;
  started_ = true;
  shift_ = fx.shift;
  exact_ = fx.exact;
  // A step not checked in the last round was not checked against its removals: stale for good.
  for (char& s : status_) s = !same_means || s == unchecked || s == stale ? stale : unchecked;
  std::fill(outcome_.begin(), outcome_.end(), -1);
  out_final_.clear();
  out_size_.clear();
  out_dropped_.clear();
  const std::size_t live = static_cast<std::size_t>(std::count(status_.begin(), status_.end(), unchecked));
  const std::size_t set_min = g_compaction.load(std::memory_order_relaxed);
  const std::size_t min_stale = set_min > 0 ? set_min : kCompactionDefault;
  if (status_.size() - live >= min_stale && status_.size() - live > live) drop_stale();
  removed_ = removed.size() > 0 ? std::make_unique<KdTree>(removed, nullptr, 32) : nullptr;
}

// Keeps the unchecked entries only (what start_round() left), in their order, in a new map.
void Memo::drop_stale() {
  const std::size_t du = static_cast<std::size_t>(d_), n = status_.size();
  RowMap map(d_, static_cast<std::size_t>(std::count(status_.begin(), status_.end(), unchecked)));
  std::vector<double> next;
  std::vector<std::int64_t> weight;
  for (std::size_t e = 0; e < n; ++e) {
    if (status_[e] != unchecked) continue;
    map.insert(map_.key(static_cast<int>(e)));  // distinct keys: entry k is the k-th kept
    next.insert(next.end(), next_.begin() + static_cast<std::ptrdiff_t>(e * du),
                next_.begin() + static_cast<std::ptrdiff_t>((e + 1) * du));
    weight.push_back(weight_[e]);
  }
  const std::size_t live = weight.size();
  map_ = std::move(map);
  next_ = std::move(next);
  weight_ = std::move(weight);
  status_.assign(live, unchecked);
  steps_.assign(live, 0);
  outcome_.assign(live, -1);
}

Memo::Known Memo::find(const double* state, int budget, ClimbOut& o, double* final_mean, std::int64_t& weight,
                       double* next, int& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entry = map_.find(state);
  if (entry < 0) return Known::nothing;
  const std::size_t e = static_cast<std::size_t>(entry), du = static_cast<std::size_t>(d_);
  const auto row = [&](const std::vector<double>& v, std::size_t i, double* to) {
    const auto first = v.begin() + static_cast<std::ptrdiff_t>(i * du);
    std::copy(first, first + static_cast<std::ptrdiff_t>(du), to);
  };
  if (status_[e] == fresh && steps_[e] <= budget) {
    const std::size_t c = static_cast<std::size_t>(outcome_[e]);
    o = ClimbOut{out_size_[c], steps_[e], out_dropped_[c] != 0};
    row(out_final_, c, final_mean);
    return Known::outcome;
  }
  if (status_[e] == unchecked) {
    // An empty window held no removed row either.
    const bool moved = weight_[e] > 0 && removed_ && removed_->any_within(state, r2_);
    status_[e] = moved ? stale : clean;
    (moved ? g_refused : g_taken).fetch_add(1, std::memory_order_relaxed);
  } else if (status_[e] == clean) {
    g_taken.fetch_add(1, std::memory_order_relaxed);
  }
  if (status_[e] == stale) return Known::nothing;
  weight = weight_[e];
  row(next_, e, next);
  return Known::step;
}

void Memo::remember(const std::vector<double>& path, const std::vector<int>& path_it,
                    const std::vector<int>& path_entry, const std::vector<std::int64_t>& path_w, const ClimbOut& o,
                    const double* final_mean, const double* last_next) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t n = path_it.size(), du = static_cast<std::size_t>(d_);
  const int outcome = static_cast<int>(out_size_.size());
  bool stored = false;
  for (std::size_t p = 0; p < n; ++p) {
    const double* at = path.data() + p * du;
    // Entries never move, so one find() saw stays; a position it did not see may have been
    // stored since by another thread.
    int entry = path_entry[p];
    bool inserted = false;
    if (entry < 0) std::tie(entry, inserted) = map_.insert(at);
    const std::size_t e = static_cast<std::size_t>(entry);
    // A fresh entry stays (the same values, or an outcome with more steps than this climb
    // had left); an earlier round's becomes this round's (its step, if clean, is this one).
    if (!inserted && (e >= status_.size() || status_[e] == fresh)) continue;
    const double* nx = p + 1 < n ? path.data() + (p + 1) * du : last_next;
    stored = true;
    if (inserted) {
      status_.push_back(fresh);
      next_.insert(next_.end(), nx, nx + du);
      weight_.push_back(path_w[p]);
      steps_.push_back(o.iters - path_it[p]);
      outcome_.push_back(outcome);
      continue;
    }
    status_[e] = fresh;
    std::copy(nx, nx + du, next_.begin() + static_cast<std::ptrdiff_t>(e * du));
    weight_[e] = path_w[p];
    steps_[e] = o.iters - path_it[p];
    outcome_[e] = outcome;
  }
  if (!stored) return;
  out_final_.insert(out_final_.end(), final_mean, final_mean + du);
  out_size_.push_back(o.size);
  out_dropped_.push_back(o.dropped ? 1 : 0);
}

}  // namespace cod::cluster::detail
