#pragma once
/// @file cluster_detail.hpp
/// Private machinery of the cluster module: weighted distinct points, exact
/// fixed-point window sums, a KD-tree with per-node aggregates, a tiny
/// deterministic thread helper and the PRNG formulas. Not installed.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cod/cluster.hpp"
#include "cod/error.hpp"

namespace cod::cluster::detail {

// GCC/Clang 128-bit integers: exact fixed-point sums and 64x64-bit products.
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// ------------------------------------------------------------------ checks

/** Throw unless X has rows and columns and only finite values (messages count from 1). */
void check_matrix(const Matrix& X, const char* fname);

/** Resolve Exec::threads (0 = all cores), capped by the number of tasks. */
int thread_count(int requested, std::size_t tasks);

// ------------------------------------------------------------------ distance

/**
 * Squared distance summed in column order. Every boundary decision of the
 * module goes through this one formula: node bounds either use the same
 * operations (bounds(), exact, rounding included) or settle a node only with a
 * margin (classify_box()), and leaf_mask() computes it bit for bit.
 */
inline double rdist(const double* a, const double* b, int d) {
  double s = 0.0;
  for (int j = 0; j < d; ++j) {
    const double t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

// ------------------------------------------------------------------ vector keys

/**
 * Hash set of d-vectors of doubles with numeric equality (so -0.0 == 0.0, as
 * Python's float keys), mapping each distinct vector to a dense index in
 * insertion order. Keys are copied into the map.
 */
class RowMap {
 public:
  explicit RowMap(int d, std::size_t expected = 16);
  /** Index of `key`, or -1. */
  int find(const double* key) const;
  /** Index of `key`, inserting it when absent; second = inserted. */
  std::pair<int, bool> insert(const double* key);
  const double* key(int i) const { return keys_.data() + static_cast<std::size_t>(i) * d_; }
  std::size_t size() const { return count_; }

 private:
  std::uint64_t hash(const double* key) const;
  bool equal(const double* a, const double* b) const;
  void grow();

  int d_;
  std::size_t count_ = 0;
  std::vector<double> keys_;
  std::vector<int> slots_;  // -1 empty
};

// ------------------------------------------------------------------ vector kernels (cluster_simd.cpp)

/**
 * Box of a node against the ball rdist <= r2: -1 every point outside, +1 every point
 * inside, 0 undecided. Decides only with a 1e-12 relative margin, so it never
 * contradicts rdist() on any point of the box.
 */
int classify_box(const double* lo, const double* hi, const double* q, int d, double r2);

/**
 * Bit i set when rows first + i (i < count <= 32) of a transposed block (column j at
 * xt + j·len) are within the ball: the same squared distance as rdist(), bit for bit.
 */
std::uint32_t leaf_mask(const double* q, const double* xt, int len, int first, int count, int d, double r2);

/** rdist() of every row of a transposed leaf block (len rows), bit for bit, into out[0..len). */
void leaf_rdist(const double* q, const double* xt, int len, int d, double* out);

/** True when the AVX2 kernels are in use. */
bool simd_enabled();

// ------------------------------------------------------------------ weighted points

/**
 * The rows to cluster, with identical rows collapsed into one weighted point
 * (or not, when collapse is off). Points are in order of first appearance.
 */
struct Points {
  int d = 0;
  std::vector<double> x;               ///< m × d, row-major
  std::vector<std::int64_t> w;         ///< multiplicity
  std::vector<std::size_t> first_row;  ///< first row (index into X) holding this vector
  std::vector<std::size_t> last_row;   ///< last row holding this vector
  std::vector<int> of_row;             ///< X row -> point index, -1 for rows not included
  std::int64_t total = 0;              ///< sum of w (number of rows)

  std::size_t size() const { return w.size(); }
  const double* row(std::size_t i) const { return x.data() + i * static_cast<std::size_t>(d); }
};

/** Points from the rows `rows` (increasing) of X. */
Points make_points(const Matrix& X, const std::vector<std::size_t>& rows, bool collapse);

/** The rows of X that are not all-zero (all rows when drop_zero is false), and the zero ones. */
void split_zero(const Matrix& X, bool drop_zero, std::vector<std::size_t>& keep, std::vector<std::size_t>& zero);

/** Subset of points `keep` (increasing indices); of_row is restricted accordingly. */
Points subset(const Points& P, const std::vector<std::size_t>& keep);

// ------------------------------------------------------------------ exact sums

/**
 * Per-column fixed-point scale: value v maps to the integer v·2^shift[j]. The
 * shift is chosen so that every value of the column is an exact integer and
 * any weighted sum fits in 127 bits; then sums are exact and independent of
 * order (`exact`). When a column spans too many binary orders for that, values
 * are rounded to the finest resolution that fits (far below double precision)
 * and sums are still order-independent.
 */
struct FixedScale {
  std::vector<int> shift;
  bool exact = true;

  FixedScale() = default;
  FixedScale(const Points& P);

  i128 to_fixed(double v, int j) const;
  double to_double(i128 s, int j) const;
};

/** mean = sum / weight, per column. */
inline void fixed_mean(const FixedScale& fx, const i128* sum, std::int64_t weight, int d, double* out) {
  const double wd = static_cast<double>(weight);
  for (int j = 0; j < d; ++j) out[j] = fx.to_double(sum[j], j) / wd;
}

// ------------------------------------------------------------------ KD-tree

/**
 * KD-tree over weighted points with tight bounding boxes, subtree weights and
 * exact subtree sums. Queries decide membership with rdist() on every point
 * unless a node's bounds settle all its points at once, and the bounds never
 * contradict rdist() (see above), so results never depend on the tree.
 */
class KdTree {
 public:
  KdTree(const Points& P, const FixedScale* fx, int leaf_size = 16);

  int dim() const { return d_; }
  std::size_t size() const { return w_.size(); }

  /** Weight and exact sum of the points with rdist(q, p) <= r2. */
  void window(const double* q, double r2, std::int64_t& weight, i128* sum) const;

  /** Weight of the points with rdist(q, p) <= r2. */
  std::int64_t count_within(const double* q, double r2) const;

  /** Call f(point index, rdist) for every point with rdist <= r2 (index in the Points). */
  template <class F>
  void for_each_within(const double* q, double r2, F&& f) const;

  /** Nearest point: (index, rdist); ties go to the lowest index. */
  std::pair<std::size_t, double> nearest(const double* q) const;

  /** Scratch space of kth_rdist. */
  struct KthScratch {
    std::vector<std::pair<double, std::int64_t>> cand;
    std::vector<int> stack;
    std::vector<double> r;
  };
  /**
   * The k-th smallest rdist from q counting multiplicities. [lo, hi] is a guess
   * of where it lies (any guess works; a good one is fast).
   */
  double kth_rdist(const double* q, std::int64_t k, double lo, double hi, KthScratch& s) const;

  /** Original point index of tree slot t, and the points in tree order (for coherent query order). */
  std::size_t index_at(std::size_t t) const { return perm_[t]; }

  /**
   * Points can be switched off one by one (DBSCAN labels each point once and
   * then never needs to see it again): `alive` holds per-node counts of live
   * points, `dead` per-point flags; subtrees without live points are skipped.
   */
  std::vector<int> alive_counts() const;
  void kill(std::vector<int>& alive, std::vector<char>& dead, std::size_t point) const;
  /** for_each_within over live points only. */
  template <class F>
  void for_each_alive_within(const double* q, double r2, const std::vector<int>& alive,
                             const std::vector<char>& dead, F&& f) const;

 private:
  struct Node {
    int begin, end;    // tree slots
    int left, right;   // children, -1 for a leaf
    std::int64_t weight;
  };
  void bounds(int node, const double* q, double& mn, double& mx) const;
  /** Node k against the ball rdist <= r2: -1 all points outside, +1 all inside, 0 both. */
  int classify(int node, const double* q, double r2) const;
  int build(int begin, int end);
  static double select_weighted(std::vector<std::pair<double, std::int64_t>>& c, std::int64_t need);

  int d_;
  int leaf_size_;
  const FixedScale* fx_;
  std::vector<double> x_;          // tree order
  std::vector<std::int64_t> w_;    // tree order
  std::vector<std::size_t> perm_;  // tree slot -> point index
  std::vector<Node> nodes_;
  std::vector<double> lo_, hi_;    // node boxes
  std::vector<i128> sums_;         // node sums (when fx_)
  std::vector<i128> wfixed_;       // per point, weight · fixed value (when fx_)
  std::vector<double> xt_;         // per leaf, its points transposed (column j at begin·d + j·len)
  std::vector<int> parent_;        // node -> parent, -1 at the root
  std::vector<int> leaf_of_;       // point index -> its leaf
};

/** rdist(a, b) <= r2. (Stopping the sum early once it passes r2 gives the same verdict but measured slower.) */
inline bool within(const double* a, const double* b, int d, double r2) { return rdist(a, b, d) <= r2; }

inline int KdTree::classify(int node, const double* q, double r2) const {
  const std::size_t off = static_cast<std::size_t>(node) * d_;
  return classify_box(lo_.data() + off, hi_.data() + off, q, d_, r2);
}

inline void KdTree::bounds(int node, const double* q, double& mn, double& mx) const {
  const double* lo = lo_.data() + static_cast<std::size_t>(node) * d_;
  const double* hi = hi_.data() + static_cast<std::size_t>(node) * d_;
  double smin = 0.0, smax = 0.0;
  for (int j = 0; j < d_; ++j) {
    const double a = q[j] - lo[j];  // >= 0 when q is right of the box's low side
    const double b = hi[j] - q[j];  // >= 0 when q is left of the box's high side
    const double dmin = a < 0 ? -a : (b < 0 ? -b : 0.0);
    const double dmax = std::max(std::fabs(a), std::fabs(b));
    smin += dmin * dmin;
    smax += dmax * dmax;
  }
  mn = smin;
  mx = smax;
}

template <class F>
void KdTree::for_each_within(const double* q, double r2, F&& f) const {
  if (nodes_.empty()) return;
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const int k = stack[--top];
    const Node& nd = nodes_[static_cast<std::size_t>(k)];
    const int c = classify(k, q, r2);
    if (c < 0) continue;
    if (nd.left < 0 || c > 0) {
      for (int t = nd.begin; t < nd.end; ++t) {
        const double r = rdist(q, x_.data() + static_cast<std::size_t>(t) * d_, d_);
        if (r <= r2) f(perm_[static_cast<std::size_t>(t)], r);
      }
      continue;
    }
    stack[top++] = nd.right;
    stack[top++] = nd.left;
  }
}

template <class F>
void KdTree::for_each_alive_within(const double* q, double r2, const std::vector<int>& alive,
                                   const std::vector<char>& dead, F&& f) const {
  if (nodes_.empty()) return;
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const int k = stack[--top];
    if (alive[static_cast<std::size_t>(k)] == 0) continue;
    const Node& nd = nodes_[static_cast<std::size_t>(k)];
    const int c = classify(k, q, r2);
    if (c < 0) continue;
    if (nd.left < 0) {
      for (int t = nd.begin; t < nd.end; ++t) {
        const std::size_t i = perm_[static_cast<std::size_t>(t)];
        if (dead[i]) continue;
        if (c > 0 || within(q, x_.data() + static_cast<std::size_t>(t) * d_, d_, r2)) f(i);
      }
      continue;
    }
    stack[top++] = nd.right;
    stack[top++] = nd.left;
  }
}

// ------------------------------------------------------------------ threads

/**
 * Run f(begin, end) over [0, n) in blocks on `threads` threads. Blocks are
 * handed out dynamically, so f must write only per-task outputs (results then
 * never depend on scheduling). The first exception is rethrown after joining.
 */
template <class F>
void parallel_blocks(std::size_t n, std::size_t block, int threads, F&& f) {
  if (n == 0) return;
  if (threads <= 1 || n <= block) {
    for (std::size_t b = 0; b < n; b += block) f(b, std::min(n, b + block), 0);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::atomic<bool> failed{false};
  auto work = [&](int tid) {
    try {
      for (;;) {
        if (failed.load()) return;
        const std::size_t b = next.fetch_add(block);
        if (b >= n) return;
        f(b, std::min(n, b + block), tid);
      }
    } catch (...) {  // transported to the calling thread and rethrown there
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed.store(true);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

// ------------------------------------------------------------------ PRNG

/** Uniform double in [0, 1): the top 53 bits of one draw. */
inline double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

/** Uniform integer in [0, n): floor(draw · n / 2^64) of one draw. */
inline std::uint64_t uniform_index(std::mt19937_64& g, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<u128>(g()) * n) >> 64);
}

// ------------------------------------------------------------------ shared steps

/** MeanShift on weighted points: labels per point, centres in sklearn order. */
struct ModeResult {
  std::vector<int> label;                 // per point
  std::vector<double> dist;               // per point: distance to its nearest centre
  Matrix centres;
  std::vector<std::int64_t> window_sizes;
  int n_iter = 0;
  std::size_t n_seeds = 0, n_distinct_seeds = 0, n_modes = 0;
  bool bin_fallback = false;
};
ModeResult meanshift_points(const Points& P, double h, bool bin_seeding, int min_bin_freq, bool cluster_all,
                            int max_iter, int threads);

/** estimate_bandwidth on weighted points, k-th neighbour with multiplicity; n = P.total. */
double bandwidth_points(const Points& P, double quantile, int threads);

/** R = min(estimate, cap) with R = cap when the estimate is 0 (SPEC §3.3); NaN without rows. */
BandwidthChoice choose_bandwidth(const Points& P, double quantile, std::optional<double> cap, int threads);
void check_quantile(double q, const char* fname);
void check_positive(std::optional<double> v, const char* name, const char* fname);

/** Member means of the clusters 0..k-1 (exact sums) and their sizes, from per-point labels. */
void member_means(const Points& P, const std::vector<int>& label, int k, Matrix& means,
                  std::vector<std::int64_t>& sizes);

/** Per-row labels from per-point labels (rows not in P get -1). */
Labels expand_labels(const Points& P, const std::vector<int>& label, std::size_t n_rows);

/** Message prefix helper: "cluster.<fname>: ". */
std::string prefix(const char* fname);

/** A number for messages: shortest of %.10g (0.3 -> "0.3", 1e-4 -> "0.0001", NaN -> "nan"). */
std::string num(double v);

}  // namespace cod::cluster::detail
