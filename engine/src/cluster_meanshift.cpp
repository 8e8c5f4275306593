// MeanShift (scikit-learn 1.2 semantics) and Improved MeanShift (paper Algorithm 1),
// and the public estimate_bandwidth (its search is in cluster_bandwidth.cpp). See
// docs/cluster.md for the exact rules.

#include <limits>

#include "cluster_kdtree.hpp"
#include "cluster_meanshift.hpp"
#include "cluster_memo.hpp"

namespace cod::cluster {
namespace detail {

// ------------------------------------------------------------------ climbing

namespace {

// One thread's hill climber (scikit-learn's _mean_shift_single_seed).
class Climber {
 public:
  Climber(const KdTree& tree, const FixedScale& fx, double h, int max_iter, Memo& memo, bool shells)
      : use_shells_(shells && shell_cache_allowed()),
        tree_(tree), fx_(fx), d_(tree.dim()), r2_(h * h), thr_(1e-3 * h), max_iter_(max_iter), memo_(memo),
        sum_(static_cast<std::size_t>(d_)), cur_(static_cast<std::size_t>(d_)), next_(static_cast<std::size_t>(d_)),
        h_(h), shells_(static_cast<std::size_t>(kShells)) {}

  ClimbOut climb(const double* seed, double* out) {
    std::copy(seed, seed + d_, cur_.begin());
    path_.clear();
    path_it_.clear();
    path_w_.clear();
    path_entry_.clear();
    int it = 0;
    for (;;) {
      ClimbOut known;
      std::int64_t w;
      int entry;
      const Memo::Known k = memo_.find(cur_.data(), max_iter_ - it, known, out, w, next_.data(), entry);
      if (k == Memo::Known::outcome) {
        known.iters += it;
        memo_.remember(path_, path_it_, path_entry_, path_w_, known, out, cur_.data());
        return known;
      }
      if (k == Memo::Known::nothing) {
        window(it, w);
        if (w != 0) fixed_mean(fx_, sum_.data(), w, d_, next_.data());
      }
      if (w == 0) {  // no point in the window: sklearn drops the seed
        ClimbOut o{0, it, true};
        std::copy(cur_.begin(), cur_.end(), out);
        push_state(it, w, entry);
        memo_.remember(path_, path_it_, path_entry_, path_w_, o, out, out);
        return o;
      }
      step_ = std::sqrt(rdist(next_.data(), cur_.data(), d_));
      const bool converged = step_ < thr_;
      if (converged || it == max_iter_) {
        ClimbOut o{w, it, false};
        std::copy(next_.begin(), next_.end(), out);
        if (converged) {  // a run cut by max_iter is not the state's true outcome
          push_state(it, w, entry);
          memo_.remember(path_, path_it_, path_entry_, path_w_, o, out, out);
        }
        return o;
      }
      push_state(it, w, entry);
      cur_.swap(next_);
      ++it;
    }
  }

 private:
  // Window caches (KdTree::Shell) kept per thread, the oldest replaced first; a cache is built
  // after a step shorter than kShellStep·h (the climb is settling) and reaches kShellReach
  // such steps (fewer after a cache would have outgrown its share of kShellBytes). Figures
  // behind the constants: bench/README.md, "window caches for the climbing".
  static constexpr int kShells = 32;
  static constexpr double kShellStep = 0.1, kShellReach = 6.0;
  static constexpr std::size_t kShellBytes = std::size_t{128} << 20;  // all of a thread's caches, at most

  // The window at cur_ (bit for bit what KdTree::window gives): from the cache nearest to
  // cur_ among those that reach it (its band of rows to test is the thinnest), else from a
  // new cache around cur_ when the last step was short, else a tree walk.
  void window(int it, std::int64_t& w) {
    if (use_shells_) {
      const KdTree::Shell* nearest = nullptr;
      double nearest_d = std::numeric_limits<double>::infinity();
      for (const KdTree::Shell& sh : shells_) {
        if (!(sh.reach > 0)) continue;
        const double dist = std::sqrt(rdist(cur_.data(), sh.anchor.data(), d_));
        if (dist <= sh.reach && dist < nearest_d) {
          nearest_d = dist;
          nearest = &sh;
        }
      }
      if (nearest && tree_.shell_window(*nearest, cur_.data(), w, sum_.data())) return;
      if (it > 0 && step_ <= kShellStep * h_) {
        KdTree::Shell& sh = shells_[next_shell_];
        const KdTree::ShellBuild b = tree_.build_shell(
            cur_.data(), h_, std::max(reach_scale_ * kShellReach * step_, 1e-3 * h_), shell_bytes_ / kShells, sh);
        if (b == KdTree::ShellBuild::built) {
          next_shell_ = (next_shell_ + 1) % shells_.size();
          if (tree_.shell_window(sh, cur_.data(), w, sum_.data())) return;  // it reaches its own anchor
        }
        if (b == KdTree::ShellBuild::too_large) {  // thinner caches from now on; windows this full: walks only
          count_shell_refused();
          reach_scale_ /= 2;
          use_shells_ = reach_scale_ >= 1.0 / 16;
        }
      }
    }
    tree_.window(cur_.data(), r2_, w, sum_.data());
  }

  void push_state(int it, std::int64_t w, int entry) {
    path_.insert(path_.end(), cur_.begin(), cur_.end());
    path_it_.push_back(it);
    path_w_.push_back(w);
    path_entry_.push_back(entry);
  }

  bool use_shells_;  // first: the constructor's first initialiser
  const KdTree& tree_;
  const FixedScale& fx_;
  int d_;
  double r2_, thr_;
  int max_iter_;
  Memo& memo_;
  std::vector<i128> sum_;
  std::vector<double> cur_, next_;
  std::vector<double> path_;
  std::vector<int> path_it_;
  std::vector<std::int64_t> path_w_;
  std::vector<int> path_entry_;
  double h_, step_ = 0, reach_scale_ = 1;
  std::size_t shell_bytes_ = shell_budget(kShellBytes);
  std::vector<KdTree::Shell> shells_;
  std::size_t next_shell_ = 0;
};

Points points_of(const Matrix& C) {
  Points P;
  P.d = static_cast<int>(C.cols());
  P.x.assign(C.data(), C.data() + C.size());
  P.w.assign(static_cast<std::size_t>(C.rows()), 1);
  P.total = C.rows();
  return P;
}

}  // namespace

// Seeds from bins use window caches only up to this many distinct rows (see below).
constexpr std::size_t kBinSeedShellRows = 60000;

ModeResult meanshift_points(const Points& P, double h, bool bin_seeding, int min_bin_freq, bool cluster_all,
                            int max_iter, int threads, Memo* memo_in, const Points* removed) {
  ModeResult R;
  const int d = P.d;
  const std::size_t du = static_cast<std::size_t>(d);
  const FixedScale fx(P);
  const KdTree tree(P, &fx, 32);  // leaves of one 32-row block: see KdTree::window

  // Seeds and the order in which sklearn would meet them (for "the last seed wins").
  std::vector<double> seeds;
  std::vector<std::size_t> order;
  bool every_point = !bin_seeding;
  if (bin_seeding) {
    RowMap bins(d, P.size());
    std::vector<std::int64_t> freq;
    std::vector<double> key(du);
    for (std::size_t i = 0; i < P.size(); ++i) {  // points are in order of first row
      for (std::size_t j = 0; j < du; ++j) key[j] = std::nearbyint(P.row(i)[j] / h);  // half to even
      auto [b, inserted] = bins.insert(key.data());
      if (inserted) freq.push_back(0);
      freq[static_cast<std::size_t>(b)] += P.w[i];
    }
    std::vector<std::size_t> chosen;
    for (std::size_t b = 0; b < bins.size(); ++b)
      if (freq[b] >= min_bin_freq) chosen.push_back(b);
    if (static_cast<std::int64_t>(chosen.size()) == P.total) {
      every_point = true;  // sklearn: binning did not reduce anything, use the rows
      R.bin_fallback = true;
    } else {
      // sklearn stores cells as float32 and multiplies in float32.
      const float hf = static_cast<float>(h);
      for (std::size_t c = 0; c < chosen.size(); ++c) {
        const double* kk = bins.key(static_cast<int>(chosen[c]));
        for (std::size_t j = 0; j < du; ++j)
          seeds.push_back(static_cast<double>(static_cast<float>(static_cast<float>(kk[j]) * hf)));
        order.push_back(c);
      }
      R.n_seeds = chosen.size();
      R.n_distinct_seeds = chosen.size();
    }
  }
  std::vector<std::size_t> run;  // seed indices in the order they are climbed (locality only)
  if (every_point) {
    seeds = P.x;
    order = P.last_row;  // copies of a row climb alike; the last copy is the last seed
    R.n_seeds = static_cast<std::size_t>(P.total);
    R.n_distinct_seeds = P.size();
    run.resize(P.size());
    for (std::size_t t = 0; t < P.size(); ++t) run[t] = tree.index_at(t);
  } else {
    run.resize(order.size());
    for (std::size_t s = 0; s < run.size(); ++s) run[s] = s;
  }
  const std::size_t ns = run.size();

  // Climb every seed; each writes only its own slot.
  std::vector<double> final_mean(ns * du);
  std::vector<ClimbOut> out(ns);
  const int nt = thread_count(threads, ns);
  std::unique_ptr<Memo> own_memo;
  if (!memo_in) own_memo = std::make_unique<Memo>(d, h);
  Memo& memo = memo_in ? *memo_in : *own_memo;
  memo.start_round(fx, removed ? *removed : Points{});
  std::vector<std::unique_ptr<Climber>> climbers;
  // Window caches pay when seeds are the rows themselves: neighbouring seeds climb through
  // the same places. Seeds from bins are a cell apart, so each cache serves few windows: up
  // to 50,000 rows they still gained, but on a 200,000-row set in large-set mode the builds
  // (a walk and a sorted band each) made the run 3x slower (bench/README.md, "a regression
  // of the window caches").
  const bool shells = every_point || P.size() <= kBinSeedShellRows;
  for (int t = 0; t < nt; ++t) climbers.push_back(std::make_unique<Climber>(tree, fx, h, max_iter, memo, shells));
  // Blocks of seeds are handed out alternately from `nt` distant parts of the
  // (spatially ordered) seed list, so threads rarely climb the same paths at once.
  if (nt > 1) {
    const std::size_t block = 64, parts = static_cast<std::size_t>(nt);
    const std::size_t part_len = (ns + parts - 1) / parts;
    std::vector<std::size_t> order_run;
    order_run.reserve(ns);
    for (std::size_t off = 0; off < part_len; off += block)
      for (std::size_t p = 0; p < parts; ++p)
        for (std::size_t r = p * part_len + off; r < std::min(ns, std::min((p + 1) * part_len, p * part_len + off + block)); ++r)
          order_run.push_back(run[r]);
    run.swap(order_run);
  }
  parallel_blocks(ns, 64, nt, [&](std::size_t b, std::size_t e, int tid) {
    for (std::size_t r = b; r < e; ++r) {
      const std::size_t s = run[r];
      out[s] = climbers[static_cast<std::size_t>(tid)]->climb(seeds.data() + s * du, final_mean.data() + s * du);
    }
  });
  climbers.clear();

  // Converged means keyed by value; for equal means the seed met last keeps its window size.
  std::vector<std::size_t> by_order(ns);
  for (std::size_t s = 0; s < ns; ++s) by_order[s] = s;
  std::sort(by_order.begin(), by_order.end(), [&](std::size_t a, std::size_t b) { return order[a] < order[b]; });
  RowMap modes(d, 64);
  std::vector<std::int64_t> intensity;
  for (std::size_t s : by_order) {
    R.n_iter = std::max(R.n_iter, out[s].iters);
    if (out[s].dropped) continue;
    auto [idx, inserted] = modes.insert(final_mean.data() + s * du);
    if (inserted) intensity.push_back(0);
    intensity[static_cast<std::size_t>(idx)] = out[s].size;
  }
  if (modes.size() == 0)
    throw Error("cluster.meanshift: no point was within bandwidth " + num(h) +
                " of any of the " + std::to_string(ns) + " seeds; use a larger bandwidth or no bin seeding");
  R.n_modes = modes.size();

  // Sort by (window size, centre) descending, as sklearn's sorted(..., reverse=True).
  std::vector<int> sorted(modes.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) sorted[i] = static_cast<int>(i);
  std::sort(sorted.begin(), sorted.end(), [&](int a, int b) {
    const std::int64_t sa = intensity[static_cast<std::size_t>(a)], sb = intensity[static_cast<std::size_t>(b)];
    if (sa != sb) return sa > sb;
    const double* ka = modes.key(a);
    const double* kb = modes.key(b);
    for (int j = 0; j < d; ++j)
      if (ka[j] != kb[j]) return ka[j] > kb[j];
    return false;
  });
  Matrix sorted_centres(static_cast<Eigen::Index>(sorted.size()), d);
  for (std::size_t i = 0; i < sorted.size(); ++i)
    std::copy(modes.key(sorted[i]), modes.key(sorted[i]) + d, sorted_centres.row(static_cast<Eigen::Index>(i)).data());

  // Walking in that order, a kept centre removes every centre within h.
  std::vector<char> unique(sorted.size(), 1);
  {
    const Points C = points_of(sorted_centres);
    const KdTree ctree(C, nullptr);
    const double r2 = h * h;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      if (!unique[i]) continue;
      ctree.for_each_within(C.row(i), r2, [&](std::size_t j, double) { unique[j] = 0; });
      unique[i] = 1;
    }
  }
  std::vector<Eigen::Index> kept;
  for (std::size_t i = 0; i < sorted.size(); ++i)
    if (unique[i]) kept.push_back(static_cast<Eigen::Index>(i));
  R.centres.resize(static_cast<Eigen::Index>(kept.size()), d);
  R.window_sizes.resize(kept.size());
  for (std::size_t c = 0; c < kept.size(); ++c) {
    R.centres.row(static_cast<Eigen::Index>(c)) = sorted_centres.row(kept[c]);
    R.window_sizes[c] = intensity[static_cast<std::size_t>(sorted[static_cast<std::size_t>(kept[c])])];
  }

  // Each point takes its nearest surviving centre.
  R.label.assign(P.size(), -1);
  R.dist.assign(P.size(), 0.0);
  const Points C = points_of(R.centres);
  const KdTree ctree(C, nullptr);
  const int ntl = thread_count(threads, P.size());
  parallel_blocks(P.size(), 1024, ntl, [&](std::size_t b, std::size_t e, int) {
    for (std::size_t i = b; i < e; ++i) {
      const auto [c, r2] = ctree.nearest(P.row(i));
      const double dist = std::sqrt(r2);
      R.dist[i] = dist;
      R.label[i] = (cluster_all || dist <= h) ? static_cast<int>(c) : -1;
    }
  });
  return R;
}

}  // namespace detail

// ------------------------------------------------------------------ public API

double estimate_bandwidth(const Matrix& X, const BandwidthOptions& opt) {
  detail::check_matrix(X, "estimate_bandwidth");
  detail::check_quantile(opt.quantile, "estimate_bandwidth");
  const std::size_t n = static_cast<std::size_t>(X.rows());
  std::vector<std::size_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = i;
  if (opt.n_samples > 0 && opt.n_samples < n) {
    // Partial Fisher–Yates: the first n_samples slots of a seeded shuffle.
    std::mt19937_64 g(opt.seed);
    for (std::size_t i = 0; i < opt.n_samples; ++i) std::swap(rows[i], rows[i + detail::uniform_index(g, n - i)]);
    rows.resize(opt.n_samples);
    std::sort(rows.begin(), rows.end());
  }
  const detail::Points P = detail::make_points(X, rows, opt.exec.collapse);
  return detail::bandwidth_points(P, opt.quantile, opt.exec.threads);
}

namespace detail {
BandwidthChoice choose_bandwidth(const Points& P, double quantile, std::optional<double> cap, int threads) {
  BandwidthChoice b;
  b.cap = cap ? *cap : std::sqrt(static_cast<double>(P.d)) / 10.0;
  if (P.total == 0) {
    b.bandwidth = b.estimate = std::numeric_limits<double>::quiet_NaN();
    return b;
  }
  b.estimate = bandwidth_points(P, quantile, threads);
  b.estimate_zero = b.estimate == 0.0;
  b.bandwidth = b.estimate_zero ? b.cap : std::min(b.estimate, b.cap);
  return b;
}

void check_quantile(double q, const char* fname) {
  if (!(q >= 0.0 && q <= 1.0)) throw Error(prefix(fname) + "quantile must be in [0, 1], got " + num(q));
}

void check_positive(std::optional<double> v, const char* name, const char* fname) {
  if (v && (!(*v > 0) || !std::isfinite(*v)))
    throw Error(prefix(fname) + name + " must be a finite number > 0, got " + num(*v));
}
}  // namespace detail

BandwidthChoice paper_bandwidth(const Matrix& X, double quantile, std::optional<double> cap, bool drop_zero,
                                const Exec& exec) {
  detail::check_matrix(X, "paper_bandwidth");
  detail::check_quantile(quantile, "paper_bandwidth");
  detail::check_positive(cap, "max_bandwidth", "paper_bandwidth");
  std::vector<std::size_t> keep, zero;
  detail::split_zero(X, drop_zero, keep, zero);
  return detail::choose_bandwidth(detail::make_points(X, keep, exec.collapse), quantile, cap, exec.threads);
}

MeanShiftResult meanshift(const Matrix& X, const MeanShiftOptions& opt) {
  detail::check_matrix(X, "meanshift");
  detail::check_positive(opt.bandwidth, "bandwidth", "meanshift");
  detail::check_quantile(opt.quantile, "meanshift");
  if (opt.max_iter < 0) throw Error("cluster.meanshift: max_iter must be >= 0, got " + std::to_string(opt.max_iter));
  if (opt.min_bin_freq < 1)
    throw Error("cluster.meanshift: min_bin_freq must be >= 1, got " + std::to_string(opt.min_bin_freq));
  MeanShiftResult res;
  std::vector<std::size_t> keep;
  detail::split_zero(X, opt.drop_zero, keep, res.zero_rows);
  const std::size_t n = static_cast<std::size_t>(X.rows());
  res.labels.assign(n, -1);
  res.centres.resize(0, X.cols());
  res.bandwidth = opt.bandwidth ? *opt.bandwidth : std::numeric_limits<double>::quiet_NaN();
  res.bandwidth_estimated = !opt.bandwidth;
  if (keep.empty()) {
    res.reason = "all " + std::to_string(n) + " rows are zero-performance (every feature is 0)";
    return res;
  }
  const detail::Points P = detail::make_points(X, keep, opt.exec.collapse);
  if (!opt.bandwidth) {
    res.bandwidth = detail::bandwidth_points(P, opt.quantile, opt.exec.threads);
    if (res.bandwidth == 0.0) {
      res.reason = "estimate_bandwidth(quantile = " + detail::num(opt.quantile) + ") is 0 over " +
                   std::to_string(P.total) + " rows (" + std::to_string(P.size()) +
                   " distinct): each row's k-th nearest neighbour (the row itself counted first) is the row or a copy of it;"
                   " give a bandwidth";
      return res;
    }
  }
  detail::ModeResult m = detail::meanshift_points(P, res.bandwidth, opt.bin_seeding, opt.min_bin_freq,
                                                  opt.cluster_all, opt.max_iter, opt.exec.threads);
  res.labels = detail::expand_labels(P, m.label, n);
  res.centres = std::move(m.centres);
  res.window_sizes = std::move(m.window_sizes);
  res.sizes.assign(static_cast<std::size_t>(res.centres.rows()), 0);
  for (int l : res.labels)
    if (l >= 0) ++res.sizes[static_cast<std::size_t>(l)];
  res.n_iter = m.n_iter;
  res.n_seeds = m.n_seeds;
  res.n_distinct_seeds = m.n_distinct_seeds;
  res.n_modes = m.n_modes;
  res.bin_seeding_fallback = m.bin_fallback;
  return res;
}

ImprovedMeanShiftResult improved_meanshift(const Matrix& X, const ImprovedMeanShiftOptions& opt) {
  detail::check_matrix(X, "improved_meanshift");
  detail::check_quantile(opt.quantile, "improved_meanshift");
  if (opt.min_size < 1)
    throw Error("cluster.improved_meanshift: min_size must be >= 1, got " + std::to_string(opt.min_size));
  if (opt.max_rounds < 1)
    throw Error("cluster.improved_meanshift: max_rounds must be >= 1, got " + std::to_string(opt.max_rounds));
  if (opt.max_iter < 0)
    throw Error("cluster.improved_meanshift: max_iter must be >= 0, got " + std::to_string(opt.max_iter));
  detail::check_positive(opt.bandwidth, "bandwidth", "improved_meanshift");
  detail::check_positive(opt.max_bandwidth, "max_bandwidth", "improved_meanshift");

  ImprovedMeanShiftResult res;
  const std::size_t n = static_cast<std::size_t>(X.rows());
  const int d = static_cast<int>(X.cols());
  res.labels.assign(n, -1);
  res.centres.resize(0, d);
  res.member_means.resize(0, d);
  std::vector<std::size_t> keep;
  detail::split_zero(X, opt.drop_zero, keep, res.zero_rows);
  res.bandwidth.cap = opt.max_bandwidth ? *opt.max_bandwidth : std::sqrt(static_cast<double>(d)) / 10.0;
  if (keep.empty()) {
    res.bandwidth.bandwidth = res.bandwidth.estimate = std::numeric_limits<double>::quiet_NaN();
    res.reason = "all " + std::to_string(n) + " rows are zero-performance (every feature is 0)";
    return res;
  }
  const detail::Points P = detail::make_points(X, keep, opt.exec.collapse);
  if (opt.bandwidth) {
    res.bandwidth.bandwidth = *opt.bandwidth;
    res.bandwidth.estimate = std::numeric_limits<double>::quiet_NaN();
  } else {
    res.bandwidth = detail::choose_bandwidth(P, opt.quantile, opt.max_bandwidth, opt.exec.threads);
  }
  const double R = res.bandwidth.bandwidth;
  if (P.total < opt.min_size) {
    res.reason = "only " + std::to_string(P.total) + " non-zero rows, fewer than min_size = " +
                 std::to_string(opt.min_size) + ": no cluster can form";
    return res;
  }

  std::vector<int> label(P.size(), -1);
  std::vector<std::vector<double>> modes;
  // One memo for all the rounds: a step whose window holds no row labelled since is taken again.
  std::unique_ptr<detail::Memo> memo;
  if (detail::round_carry_allowed()) memo = std::make_unique<detail::Memo>(d, R);
  detail::Points removed_rows;
  for (int round = 1; round <= opt.max_rounds; ++round) {
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < P.size(); ++i)
      if (label[i] < 0) open.push_back(i);
    if (open.empty()) break;
    const detail::Points S = detail::subset(P, open);
    detail::ModeResult m =
        detail::meanshift_points(S, R, opt.bin_seeding, 1, false, opt.max_iter, opt.exec.threads, memo.get(),
                                 &removed_rows);
    ++res.rounds;
    Round info;
    info.round = round;
    info.n_input = static_cast<std::size_t>(S.total);
    info.n_meanshift_clusters = static_cast<std::size_t>(m.centres.rows());
    // A row farther than R from its mode goes back (cannot happen with cluster_all = false, kept as stated).
    std::vector<std::int64_t> size(static_cast<std::size_t>(m.centres.rows()), 0);
    for (std::size_t i = 0; i < S.size(); ++i) {
      if (m.label[i] >= 0 && m.dist[i] > R) m.label[i] = -1;
      if (m.label[i] >= 0) size[static_cast<std::size_t>(m.label[i])] += S.w[i];
    }
    std::vector<int> new_id(size.size(), -1);
    for (std::size_t c = 0; c < size.size(); ++c) {
      if (size[c] < opt.min_size) continue;
      new_id[c] = static_cast<int>(modes.size());
      const auto row = m.centres.row(static_cast<Eigen::Index>(c));
      modes.emplace_back(row.data(), row.data() + d);
      ++info.n_new_clusters;
      info.n_new_labelled += static_cast<std::size_t>(size[c]);
    }
    std::vector<std::size_t> removed;
    for (std::size_t i = 0; i < S.size(); ++i)
      if (m.label[i] >= 0 && new_id[static_cast<std::size_t>(m.label[i])] >= 0) {
        label[open[i]] = new_id[static_cast<std::size_t>(m.label[i])];
        removed.push_back(i);
      }
    if (memo) removed_rows = detail::subset(S, removed);
    res.history.push_back(info);
    if (info.n_new_labelled == 0) break;
    if (round == opt.max_rounds) res.max_rounds_reached = true;
  }

  const int k = static_cast<int>(modes.size());
  res.centres.resize(k, d);
  for (int c = 0; c < k; ++c)
    for (int j = 0; j < d; ++j) res.centres(c, j) = modes[static_cast<std::size_t>(c)][static_cast<std::size_t>(j)];
  detail::member_means(P, label, k, res.member_means, res.sizes);
  res.labels = detail::expand_labels(P, label, n);
  if (k == 0)
    res.reason = "no MeanShift cluster reached min_size = " + std::to_string(opt.min_size) + " rows";
  return res;
}

}  // namespace cod::cluster
