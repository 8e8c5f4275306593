// estimate_bandwidth's search: the k-th nearest neighbour distance of every distinct row
// (copies counted), averaged over rows, with KdTree::kth_rdist steered by guesses from the
// previous answers (bench/README.md, "estimate_bandwidth").

#include <limits>

#include "cluster_kdtree.hpp"
#include "cluster_meanshift.hpp"

namespace cod::cluster::detail {
namespace {

// Rows per leaf of the bandwidth's tree. A query's k-th distance (k = 10-30% of the rows)
// puts a sphere through much of the tree, so leaves are many and cut: large leaves make
// fewer box tests and longer vector runs. 16 -> 128 rows measured 1.3-2x faster at
// 2,000-40,000 rows (bench/README.md).
constexpr int kLeafRows = 128;

// Guesses of the next query's k-th distance from the last few answers of a run of queries
// in tree order (consecutive queries are close). The triangle inequality bounds it by
// each recent answer ± the distance between the queries; the answers themselves change
// little from one query to the next, so the guess is the last answer ± twice the recent
// typical change, within those bounds. A guess only steers the search: the search checks
// the counts and widens a wrong guess, so every guess gives the same value.
class Guess {
 public:
  explicit Guess(int d) : d_(d) {}

  /** A guess [lo, hi] of the next query's k-th squared distance ([0, inf] at first). */
  void bracket(const double* q, double& lo, double& hi) const {
    double a = 0, c = std::numeric_limits<double>::infinity();
    for (int u = 0; u < n_; ++u) {
      const double dq = std::sqrt(rdist(q, q_[u], d_));
      a = std::max(a, (r_[u] - dq) * (1 - 1e-9));
      c = std::min(c, (r_[u] + dq) * (1 + 1e-9) + 1e-300);
    }
    if (n_ > 0) {
      const double last = r_[(next_ + kRecent - 1) % kRecent];
      const double g_lo = std::max(a, last - kSpread * change_), g_hi = std::min(c, last + kSpread * change_);
      if (g_lo <= g_hi) {
        a = g_lo;
        c = g_hi;
      }
    }
    lo = a > 0 ? a * a : 0.0;
    hi = c * c;
  }

  /** Record the answer r (a distance, not squared) of query q. */
  void add(const double* q, double r) {
    if (n_ > 0) {
      const double step = std::fabs(r - r_[(next_ + kRecent - 1) % kRecent]);
      change_ = n_ == 1 ? step : 0.75 * change_ + 0.25 * step;
    }
    q_[next_] = q;
    r_[next_] = r;
    next_ = (next_ + 1) % kRecent;
    n_ = std::min(kRecent, n_ + 1);
  }

 private:
  static constexpr int kRecent = 4;
  static constexpr double kSpread = 2.0;
  int d_;
  const double* q_[kRecent] = {};
  double r_[kRecent] = {};
  int n_ = 0, next_ = 0;
  double change_ = 0;  // moving average of |r_t - r_(t-1)|
};

}  // namespace

double bandwidth_points(const Points& P, double quantile, int threads) {
  const std::int64_t n = P.total;
  // sklearn: int(n * quantile), at least 1.
  std::int64_t k = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * quantile));
  if (k < 1) k = 1;
  if (k > n) k = n;
  const std::size_t m = P.size();
  const KdTree tree(P, nullptr, kLeafRows);
  std::vector<double> kth(m, 0.0);
  const int nt = thread_count(threads, m);
  // Contiguous runs of tree order, so that recent answers guess the next one well.
  const std::size_t block = std::max<std::size_t>(256, (m + 8 * nt - 1) / (8 * static_cast<std::size_t>(nt)));
  std::vector<KdTree::KthScratch> scratch(static_cast<std::size_t>(nt));
  parallel_blocks(m, block, nt, [&](std::size_t b, std::size_t e, int tid) {
    KdTree::KthScratch& s = scratch[static_cast<std::size_t>(tid)];
    Guess recent(P.d);
    for (std::size_t t = b; t < e; ++t) {
      const double* q = tree.slot_point(t);
      double lo, hi;
      recent.bracket(q, lo, hi);
      const double r = std::sqrt(tree.kth_rdist(q, k, lo, hi, s));
      kth[tree.index_at(t)] = r;
      recent.add(q, r);
    }
  });
  long double sum = 0;
  for (std::size_t i = 0; i < m; ++i) sum += static_cast<long double>(kth[i]) * static_cast<long double>(P.w[i]);
  return static_cast<double>(sum / static_cast<long double>(n));
}

}  // namespace cod::cluster::detail
