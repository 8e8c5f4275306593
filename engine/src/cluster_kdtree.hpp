#pragma once
/// @file cluster_kdtree.hpp
/// Private machinery of the cluster module: the KD-tree over weighted points (tight boxes,
/// subtree weights and exact sums, one ball traversal with visitors) and its vector kernels
/// (cluster_simd.cpp). Not installed.

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "cluster_points.hpp"

namespace cod::cluster::detail {

// ------------------------------------------------------------------ vector kernels (cluster_simd.cpp)

/** Set bits of a 32-bit mask (SWAR: the engine is built for baseline x86-64, where __builtin_popcount is a library call). */
inline int bit_count(std::uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0Fu;
  return static_cast<int>((x * 0x01010101u) >> 24);
}

/** The nearest and farthest |q - x| over x in [lo, hi], one coordinate (every box bound's term). */
inline void box_gaps(double lo, double hi, double q, double& dmin, double& dmax) {
  const double a = q - lo;  // >= 0 when q is right of the box's low side
  const double b = hi - q;  // >= 0 when q is left of the box's high side
  dmin = a < 0 ? -a : (b < 0 ? -b : 0.0);
  dmax = std::max(std::fabs(a), std::fabs(b));
}

/**
 * Smallest and largest squared distance from q to the box [lo, hi], summed over j in
 * rdist()'s order with rdist()'s rounding: for every point of the box, mn <= its rdist()
 * exactly (each term is no larger and rounding is monotone), so it may prune without a margin.
 */
inline void box_range_ordered(const double* lo, const double* hi, const double* q, int d, double& mn, double& mx) {
  double smin = 0.0, smax = 0.0;
  for (int j = 0; j < d; ++j) {
    double dmin, dmax;
    box_gaps(lo[j], hi[j], q[j], dmin, dmax);
    smin += dmin * dmin;
    smax += dmax * dmax;
  }
  mn = smin;
  mx = smax;
}

/**
 * Smallest and largest squared distance from q to the box [lo, hi], summed in any order
 * (within a relative d·2^-53 of the exact values): decide with a margin (classify_box).
 */
void box_range(const double* lo, const double* hi, const double* q, int d, double& mn, double& mx);

/**
 * Box of a node against the ball rdist <= r2: -1 every point outside, +1 every point
 * inside, 0 undecided. Decides only with a 1e-12 relative margin, so it never
 * contradicts rdist() on any point of the box.
 */
inline int classify_box(const double* lo, const double* hi, const double* q, int d, double r2) {
  double mn, mx;
  box_range(lo, hi, q, d, mn, mx);
  if (mn > r2 * (1 + 1e-12)) return -1;
  if (mx <= r2 * (1 - 1e-12)) return 1;
  return 0;
}

/**
 * Bit i set when rows first + i (i < count <= 32) of a transposed block (column j at
 * xt + j·len) are within the ball: the same squared distance as rdist(), bit for bit.
 */
std::uint32_t leaf_mask(const double* q, const double* xt, int len, int first, int count, int d, double r2);

/**
 * leaf_mask() with a float32 pre-pass (AVX-512 only; other levels call leaf_mask): a row
 * whose float distance from qf is < sure_in is in, > sure_out out, and any other row gets
 * the exact double test. Equal to leaf_mask() when the thresholds come from F32Margin.
 */
std::uint32_t leaf_mask_f32(const double* q, const float* qf, const double* xt, const float* xtf, int len, int first,
                            int count, int d, double r2, float sure_in, float sure_out);
/** Whether leaf_mask_f32 runs the float pre-pass at the current level. */
bool f32_prefilter();

/**
 * Thresholds of leaf_mask_f32 for the ball rdist(q, x) <= r2 over rows with |x_j| <= amax[j]
 * <= 2^40 (the proof of the margin is at the definition): qf[j] = float(q[j]); a float
 * distance < sure_in means rdist <= r2, > sure_out means rdist > r2.
 */
void f32_thresholds(const double* q, const double* amax, int d, double r2, float* qf, float& sure_in,
                    float& sure_out);

/** rdist() of every row of a transposed leaf block (len rows), bit for bit, into out[0..len). */
void leaf_rdist(const double* q, const double* xt, int len, int d, double* out);

/**
 * One pass of the k-th distance search over r[0..len) with weights w: returns the weight of
 * the values < lo and appends the values in [lo, hi] with their weights to (cv, cw) from
 * index n (advanced), in input order. cv and cw need room for n + len + 8 entries (the
 * kernels store before they decide, up to 8 values at a time).
 */
std::int64_t shell_split(const double* r, const std::int64_t* w, std::size_t len, double lo, double hi, double* cv,
                         std::int64_t* cw, std::size_t& n);

/**
 * select_weighted() of values that all lie in [lo, hi]: a pass of weighted counts in buckets
 * of [lo, hi] first keeps only the bucket holding the answer (moved to v2, w2: room for n
 * entries). The same value as select_weighted.
 */
double select_in_bracket(double* v, std::int64_t* w, std::size_t n, std::int64_t need, double lo, double hi,
                         double* v2, std::int64_t* w2);

/**
 * After a pass of a k-th value search over [lo, hi] that counted `below` (weight < lo) and
 * `listed` (weight in [lo, hi]): false when the k-th value is in the list; else moves the
 * bracket to the side where it lies, each retry 4 times wider, the third one unbounded.
 */
inline bool widen_bracket(std::int64_t below, std::int64_t listed, std::int64_t k, int attempt, double& lo, double& hi) {
  double width = hi - lo;
  if (!(width > 1e-300)) width = 1e-300;  // also NaN (inf - inf: distances can overflow)
  if (below >= k) {  // the k-th value is below lo
    hi = lo;
    lo = attempt < 2 ? std::max(0.0, lo - 4 * width) : 0.0;
    return true;
  }
  if (below + listed < k) {  // above hi
    lo = hi;
    hi = attempt < 2 ? hi + 4 * width : std::numeric_limits<double>::infinity();
    return true;
  }
  return false;
}

/**
 * The smallest value v of v[0..n) with (weight of the values <= v) >= need, 1 <= need <= the
 * total weight (a weighted quickselect; reorders v and w together). Any order of the input
 * gives the same value.
 */
double select_weighted(double* v, std::int64_t* w, std::size_t n, std::int64_t need);

/**
 * acc[0..width) += (or -=, when `subtract`) rows[i·stride + 0..width) for every bit i of
 * `mask`, modulo 2^64 (width a multiple of 8, at most stride). The limb sums of window().
 */
void limb_accumulate(const std::uint64_t* rows, int stride, std::uint32_t mask, bool subtract, std::uint64_t* acc,
                     int width);

/** Kernel levels; every level gives the same bits (tests switch levels to check that). */
enum class Simd { scalar = 0, avx2 = 1, avx512 = 2 };
/** The level in use: the best the CPU has unless limited. */
Simd simd_level();
/** Use at most `max` (for tests and benchmarks; process-wide). */
void limit_simd(Simd max);
/** Whether Improved MeanShift's climbs may reuse a window cache (default true; false: every window walks the tree). */
bool shell_cache_allowed();
void allow_shell_cache(bool on);
/** For tests: the bytes all of a climbing thread's caches may take (0: the default, 128 MB), and
 *  how many caches were refused as too large since the process started (each halves the reach). */
void set_shell_budget(std::size_t bytes);
std::size_t shell_budget(std::size_t default_bytes);
std::size_t shells_refused();
void count_shell_refused();
/** Whether new KdTrees may sum windows in 64-bit limbs (default true; false: i128 per row, for checks). */
bool limb_sums_allowed();
void allow_limb_sums(bool on);

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

  /**
   * A cache of window() for queries near an anchor a (cluster_shell.cpp): the exact weight
   * and sum of the points provably within h of every q with |q - a| <= s, and the points of
   * the shell between, sorted by their distance from a with prefix sums, so that a query at
   * distance δ from a tests only the rows whose distance from a is within about δ of h.
   */
  struct Shell {
    std::vector<double> anchor;
    double h = 0, reach = -1;    // reach -1: an empty cache
    std::int64_t inner_weight = 0;
    std::vector<i128> inner_sum;
    int rows = 0;
    std::vector<double> ra;              // rdist(anchor, row), ascending
    std::vector<double> xt;              // rows in blocks of 32, each block transposed
    std::vector<float> xtf;              // their float copies (when the tree has them)
    std::vector<std::int64_t> w;         // weights
    std::vector<std::uint64_t> limbs;    // limb rows (when the tree has limbs)
    std::vector<i128> wfixed;            // weighted fixed-point rows
    std::vector<std::int64_t> pre_w;     // prefix sums (rows + 1 entries) of w and of wfixed
    std::vector<i128> pre_sum;
    std::vector<std::pair<double, int>> scratch;
  };
  enum class ShellBuild { built, too_large, unusable };
  /**
   * Fill `sh` around anchor a for bandwidth h and reach s (0 < s < h): built, or left empty
   * when its rows would take more than max_bytes (too_large) or the tree or h do not allow
   * one (unusable: no sums, h outside [1e-100, 1e100]).
   */
  ShellBuild build_shell(const double* a, double h, double s, std::size_t max_bytes, Shell& sh) const;
  /**
   * window(q, sh.h · sh.h) from the cache, bit for bit, when q is within its reach
   * (returns false, and leaves weight and sum alone, when it is not).
   */
  bool shell_window(const Shell& sh, const double* q, std::int64_t& weight, i128* sum) const;

  /** Weight of the points with rdist(q, p) <= r2. */
  std::int64_t count_within(const double* q, double r2) const;
  /** Whether some point has rdist(q, p) <= r2 (stops at the first). */
  bool any_within(const double* q, double r2) const;

  /** Call f(point index, rdist) for every point with rdist <= r2 (index in the Points). */
  template <class F>
  void for_each_within(const double* q, double r2, F&& f) const;

  /** Tree slots of the points with rdist(q, p) <= r2, appended to `out` in slot order. */
  void slots_within(const double* q, double r2, std::vector<int>& out) const;
  /** Point, weight and weighted fixed-point values (when built with a FixedScale) of tree slot t. */
  const double* slot_point(std::size_t t) const { return x_.data() + t * static_cast<std::size_t>(d_); }
  std::int64_t slot_weight(std::size_t t) const { return w_[t]; }
  const i128* slot_wfixed(std::size_t t) const { return wfixed_.data() + t * static_cast<std::size_t>(d_); }

  /** Nearest point: (index, rdist); ties go to the lowest index. */
  std::pair<std::size_t, double> nearest(const double* q) const;

  /** Scratch space of kth_rdist. */
  struct KthScratch {
    std::vector<double> cv, cv2;        // candidate distances
    std::vector<std::int64_t> cw, cw2;  // and their weights
    std::vector<int> stack;
    std::vector<double> r;         // one leaf's distances
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
  /**
   * The one ball traversal: visits, depth first in slot order, the nodes that may hold
   * points with rdist(q, p) <= r2. The visitor decides what a visit does:
   *   bool skip(int node)            prune this subtree before looking at it;
   *   void inside(const Node&, int k) the bounds put every point of node k in the ball;
   *   void cut(const Node&, int k)   leaf k is cut by the sphere: test its points;
   *   bool leaves_unclassified()  when true, every leaf reached goes to cut()
   *                                  without a box test (cheaper when most leaves are cut).
   */
  template <class V>
  void ball(const double* q, double r2, V& v) const;
  void bounds(int node, const double* q, double& mn, double& mx) const;
  /** Node k against the ball rdist <= r2: -1 all points outside, +1 all inside, 0 both. */
  int classify(int node, const double* q, double r2) const;
  int build(int begin, int end);

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
  // The same values split in two 64-bit limbs, v = hi·2^32 + lo with 0 <= lo < 2^32: per slot,
  // lo of every column then hi of every column (limb_width_ / 2 each, zero padded to 8), so a
  // window adds a row with a few vector adds. Only when the bound of build_limbs() holds.
  std::vector<std::uint64_t> limbs_;
  int limb_width_ = 0;             // 0: no limbs, windows add the i128 values
  static constexpr int kMaxLimbWidth = 64;  // window() keeps the accumulators on the stack
  // Float copies of xt_ for the pre-pass of window() (empty when a value exceeds 2^40 in
  // magnitude or d > kMaxF32Dim), and the largest |value| of each column.
  std::vector<float> xtf_;
  std::vector<double> amax_;
  static constexpr int kMaxF32Dim = 64;
  struct F32Window {
    float q[kMaxF32Dim];
    float sure_in, sure_out;
  };
  void build_limbs();
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
  const std::size_t off = static_cast<std::size_t>(node) * d_;
  box_range_ordered(lo_.data() + off, hi_.data() + off, q, d_, mn, mx);
}

template <class V>
void KdTree::ball(const double* q, double r2, V& v) const {
  if (nodes_.empty()) return;
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const int k = stack[--top];
    if (v.skip(k)) continue;
    const Node& nd = nodes_[static_cast<std::size_t>(k)];
    if (v.leaves_unclassified() && nd.left < 0) {
      v.cut(nd, k);
      continue;
    }
    const int c = classify(k, q, r2);
    if (c < 0) continue;
    if (c > 0) {
      v.inside(nd, k);
    } else if (nd.left < 0) {
      v.cut(nd, k);
    } else {
      stack[top++] = nd.right;
      stack[top++] = nd.left;
    }
  }
}

template <class F>
void KdTree::for_each_within(const double* q, double r2, F&& f) const {
  // Every point gets its rdist (f wants it), whether or not its node is settled.
  struct Visit {
    const KdTree& t;
    const double* q;
    double r2;
    F& f;
    bool leaves_unclassified() const { return false; }
    bool skip(int) const { return false; }
    void inside(const Node& nd, int) { cut(nd, 0); }
    void cut(const Node& nd, int) {
      for (int s = nd.begin; s < nd.end; ++s) {
        const std::size_t su = static_cast<std::size_t>(s);
        const double r = rdist(q, t.slot_point(su), t.d_);
        if (r <= r2) f(t.perm_[su], r);
      }
    }
  } v{*this, q, r2, f};
  ball(q, r2, v);
}

template <class F>
void KdTree::for_each_alive_within(const double* q, double r2, const std::vector<int>& alive,
                                   const std::vector<char>& dead, F&& f) const {
  struct Visit {
    const KdTree& t;
    const double* q;
    double r2;
    const std::vector<int>& alive;
    const std::vector<char>& dead;
    F& f;
    bool leaves_unclassified() const { return false; }
    bool skip(int k) const { return alive[static_cast<std::size_t>(k)] == 0; }
    void inside(const Node& nd, int) {
      for (int s = nd.begin; s < nd.end; ++s) {
        const std::size_t i = t.perm_[static_cast<std::size_t>(s)];
        if (!dead[i]) f(i);
      }
    }
    void cut(const Node& nd, int) {
      for (int s = nd.begin; s < nd.end; ++s) {
        const std::size_t su = static_cast<std::size_t>(s), i = t.perm_[su];
        if (!dead[i] && within(q, t.slot_point(su), t.d_, r2)) f(i);
      }
    }
  } v{*this, q, r2, alive, dead, f};
  ball(q, r2, v);
}

}  // namespace cod::cluster::detail
