// KD-tree of the cluster module. Why not nanoflann: its radius search keeps
// points with dist < r (strict) computed with its own unrolled sums, while the
// semantics here need dist <= r with one fixed formula, and MeanShift needs
// per-node weights and exact sums to add whole subtrees at once.

#include <numeric>

#include "cluster_kdtree.hpp"

namespace cod::cluster::detail {

// Thresholds of the float pre-pass (leaf_mask_f32) for the ball rdist(q, x) <= r2.
//
// With u = 2^-24, every conversion to float has |fl(v) - v| <= u|v| + 2^-150 (subnormals
// included). For one column, with t = q - x and m = |q| + |x| (so |t| <= m), the float
// difference t' = fl(fl(q) - fl(x)) has |t' - t| <= g·m + 2^-148 with g = 2u(1 + u), hence
// |t'^2 - t^2| <= (2g + g^2)·m^2 + 2^-146·(m + 1). The float sum of the d rounded squares
// (separate multiply and add, or fused: either is within this) is within g_d = d·u/(1 - d·u)
// of their exact sum, which is at most (1 + g)^2·M + 2^-140 with M = sum of m^2. The double
// rdist() is within d·2^-53·M of the exact distance. So, with |values| <= 2^40 (then the
// 2^-146·(m + 1) terms stay below 2^-105), the float and double distances differ by at most
// eps = (2g + g^2 + g_d(1 + g)^2 + d·2^-52)·M + d·2^-100, and the pre-pass is used with twice
// that: a float distance below r2 - 2·eps means rdist <= r2, above r2 + 2·eps rdist > r2.
// M is bounded per query by sum_j (|q_j| + max|x_j|)^2.
void f32_thresholds(const double* q, const double* amax, int d, double r2, float* qf, float& sure_in,
                    float& sure_out) {
  const double u = 0x1p-24, g = 2 * u * (1 + u), gd = d * u / (1 - d * u);
  double M = 0;
  for (int j = 0; j < d; ++j) {
    qf[j] = static_cast<float>(q[j]);
    const double m = std::fabs(q[j]) + amax[j];
    M += m * m;
  }
  const double eps = (2 * g + g * g + gd * (1 + g) * (1 + g) + d * 0x1p-52) * M + d * 0x1p-100;
  const double lo = r2 - 2 * eps, hi = r2 + 2 * eps;  // the factor 2 also covers rounding here
  sure_in = static_cast<float>(lo);
  if (static_cast<double>(sure_in) > lo) sure_in = std::nextafter(sure_in, -std::numeric_limits<float>::infinity());
  sure_out = static_cast<float>(hi);
  if (static_cast<double>(sure_out) < hi) sure_out = std::nextafter(sure_out, std::numeric_limits<float>::infinity());
}

KdTree::KdTree(const Points& P, const FixedScale* fx, int leaf_size)
    : d_(P.d), leaf_size_(std::max(1, leaf_size)), fx_(fx) {
  const std::size_t m = P.size();
  perm_.resize(m);
  std::iota(perm_.begin(), perm_.end(), std::size_t{0});
  x_ = P.x;
  w_ = P.w;
  if (m == 0) return;
  nodes_.reserve(2 * (m / static_cast<std::size_t>(leaf_size_) + 1));
  build(0, static_cast<int>(m));
  // Lay the points out in tree order for locality.
  std::vector<double> xs(m * static_cast<std::size_t>(d_));
  std::vector<std::int64_t> ws(m);
  for (std::size_t t = 0; t < m; ++t) {
    std::copy(P.row(perm_[t]), P.row(perm_[t]) + d_, xs.begin() + static_cast<std::ptrdiff_t>(t * d_));
    ws[t] = P.w[perm_[t]];
  }
  x_.swap(xs);
  w_.swap(ws);
  parent_.assign(nodes_.size(), -1);
  leaf_of_.assign(m, -1);
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    const Node& nd = nodes_[k];
    if (nd.left >= 0) {
      parent_[static_cast<std::size_t>(nd.left)] = static_cast<int>(k);
      parent_[static_cast<std::size_t>(nd.right)] = static_cast<int>(k);
    } else {
      for (int t = nd.begin; t < nd.end; ++t) leaf_of_[perm_[static_cast<std::size_t>(t)]] = static_cast<int>(k);
    }
  }
  // Leaves transposed, for the vector kernel of window().
  xt_.resize(m * d_);
  for (const Node& nd : nodes_) {
    if (nd.left >= 0) continue;
    const std::size_t len = static_cast<std::size_t>(nd.end - nd.begin), base = static_cast<std::size_t>(nd.begin) * d_;
    for (std::size_t i = 0; i < len; ++i)
      for (std::size_t j = 0; j < static_cast<std::size_t>(d_); ++j)
        xt_[base + j * len + i] = x_[(static_cast<std::size_t>(nd.begin) + i) * d_ + j];
  }
  // Float copies for window()'s pre-pass (only trees with sums have windows).
  amax_.assign(static_cast<std::size_t>(d_), 0.0);
  for (std::size_t t = 0; t < m; ++t)
    for (int j = 0; j < d_; ++j) amax_[j] = std::max(amax_[j], std::fabs(x_[t * d_ + j]));
  if (fx_ && d_ <= kMaxF32Dim && *std::max_element(amax_.begin(), amax_.end()) <= 0x1p40)
    xtf_.assign(xt_.begin(), xt_.end());  // rounded to nearest
  // Weighted fixed-point values of the points (converting on the fly would dominate window sums).
  if (fx_) {
    wfixed_.resize(m * d_);
    for (std::size_t t = 0; t < m; ++t)
      for (int j = 0; j < d_; ++j) wfixed_[t * d_ + j] = fx_->to_fixed(x_[t * d_ + j], j) * w_[t];
    build_limbs();
  }
  // Boxes, weights and sums, children before parents (children have larger ids).
  const std::size_t nn = nodes_.size();
  lo_.assign(nn * d_, 0.0);
  hi_.assign(nn * d_, 0.0);
  if (fx_) sums_.assign(nn * d_, 0);
  for (std::size_t k = nn; k-- > 0;) {
    Node& nd = nodes_[k];
    double* lo = lo_.data() + k * d_;
    double* hi = hi_.data() + k * d_;
    i128* sum = fx_ ? sums_.data() + k * d_ : nullptr;
    if (nd.left < 0) {
      nd.weight = 0;
      for (int j = 0; j < d_; ++j) {
        lo[j] = std::numeric_limits<double>::infinity();
        hi[j] = -std::numeric_limits<double>::infinity();
      }
      for (int t = nd.begin; t < nd.end; ++t) {
        const double* p = x_.data() + static_cast<std::size_t>(t) * d_;
        nd.weight += w_[static_cast<std::size_t>(t)];
        for (int j = 0; j < d_; ++j) {
          lo[j] = std::min(lo[j], p[j]);
          hi[j] = std::max(hi[j], p[j]);
          if (sum) sum[j] += wfixed_[static_cast<std::size_t>(t) * d_ + j];
        }
      }
    } else {
      const std::size_t a = static_cast<std::size_t>(nd.left), b = static_cast<std::size_t>(nd.right);
      nd.weight = nodes_[a].weight + nodes_[b].weight;
      for (int j = 0; j < d_; ++j) {
        lo[j] = std::min(lo_[a * d_ + j], lo_[b * d_ + j]);
        hi[j] = std::max(hi_[a * d_ + j], hi_[b * d_ + j]);
        if (sum) sum[j] = sums_[a * d_ + j] + sums_[b * d_ + j];
      }
    }
  }
}

void KdTree::build_limbs() {
  // A window adds each slot at most once (or takes it out of a leaf's sum once), so each limb
  // sum is a signed sum of at most m values: with m < 2^31 the lo sums stay below 2^63, and
  // m·max|hi| < 2^63 keeps the hi sums in range. The sums are then exact in int64 (computed
  // modulo 2^64: an exact result in range comes out right whatever the intermediate wraps).
  const std::size_t m = w_.size();
  const int half = (d_ + 7) / 8 * 8;
  if (!limb_sums_allowed() || 2 * half > kMaxLimbWidth || m >= (std::size_t{1} << 31)) return;
  i128 max_hi = 0;
  for (const i128 v : wfixed_) {
    const i128 hi = v >> 32;  // arithmetic shift (GCC): floor(v / 2^32)
    max_hi = std::max(max_hi, hi < 0 ? -hi : hi);
  }
  if (max_hi * static_cast<i128>(m) >= (static_cast<i128>(1) << 63)) return;
  limb_width_ = 2 * half;
  limbs_.assign(m * static_cast<std::size_t>(limb_width_), 0);
  for (std::size_t t = 0; t < m; ++t) {
    std::uint64_t* row = limbs_.data() + t * static_cast<std::size_t>(limb_width_);
    for (int j = 0; j < d_; ++j) {
      const i128 v = wfixed_[t * d_ + j];
      row[j] = static_cast<std::uint64_t>(v) & 0xFFFFFFFFu;
      row[half + j] = static_cast<std::uint64_t>(static_cast<std::int64_t>(v >> 32));
    }
  }
}

int KdTree::build(int begin, int end) {
  const int id = static_cast<int>(nodes_.size());
  nodes_.push_back(Node{begin, end, -1, -1, 0});
  if (end - begin <= leaf_size_) return id;
  // Split the widest dimension at the median slot.
  int best = 0;
  double spread = -1;
  for (int j = 0; j < d_; ++j) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int t = begin; t < end; ++t) {
      const double v = x_[perm_[static_cast<std::size_t>(t)] * d_ + j];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (hi - lo > spread) {
      spread = hi - lo;
      best = j;
    }
  }
  if (spread <= 0) return id;  // all points equal (only without collapse): one leaf
  const int mid = begin + (end - begin) / 2;
  auto key = [&](std::size_t p) { return x_[p * d_ + best]; };
  std::nth_element(perm_.begin() + begin, perm_.begin() + mid, perm_.begin() + end,
                   [&](std::size_t a, std::size_t b) { return key(a) < key(b) || (key(a) == key(b) && a < b); });
  const int left = build(begin, mid);
  const int right = build(mid, end);
  nodes_[static_cast<std::size_t>(id)].left = left;
  nodes_[static_cast<std::size_t>(id)].right = right;
  return id;
}

std::vector<int> KdTree::alive_counts() const {
  std::vector<int> alive(nodes_.size());
  for (std::size_t k = 0; k < nodes_.size(); ++k) alive[k] = nodes_[k].end - nodes_[k].begin;
  return alive;
}

void KdTree::kill(std::vector<int>& alive, std::vector<char>& dead, std::size_t point) const {
  if (dead[point]) return;
  dead[point] = 1;
  for (int k = leaf_of_[point]; k >= 0; k = parent_[static_cast<std::size_t>(k)]) --alive[static_cast<std::size_t>(k)];
}

void KdTree::window(const double* q, double r2, std::int64_t& weight, i128* sum) const {
  // Rows go into 64-bit limb accumulators when the tree has limbs, else into the i128 sums;
  // whole nodes always add their i128 sums. All integer: any order gives the same sums.
  struct Visit {
    const KdTree& t;
    const double* q;
    double r2;
    std::int64_t& weight;
    i128* sum;
    std::uint64_t* acc;  // limb accumulators, or null
    const F32Window* f32;  // the float pre-pass, or null
    bool leaves_unclassified() const { return true; }
    bool skip(int) const { return false; }
    std::uint32_t mask(const double* xt, const float* xtf, int len, int first, int count) const {
      return f32 ? leaf_mask_f32(q, f32->q, xt, xtf, len, first, count, t.d_, r2, f32->sure_in, f32->sure_out)
                 : leaf_mask(q, xt, len, first, count, t.d_, r2);
    }
    void cut(const Node& nd, int k) {
      const int len = nd.end - nd.begin;
      const std::size_t off = static_cast<std::size_t>(nd.begin) * t.d_;
      const double* xt = t.xt_.data() + off;
      const float* xtf = f32 ? t.xtf_.data() + off : nullptr;
      if (len <= 32) {
        // One block: when most rows are in, add the leaf's sum and take the others out
        // (integer sums, so the same result with fewer additions).
        const std::uint32_t in = mask(xt, xtf, len, 0, len);
        const std::uint32_t all = len == 32 ? ~0u : ((1u << len) - 1);
        if (2 * bit_count(in) > len) {
          inside(nd, k);
          rows(nd.begin, all & ~in, true);
        } else {
          rows(nd.begin, in, false);
        }
        return;
      }
      for (int first = 0; first < len; first += 32) {
        const int count = std::min(32, len - first);
        rows(nd.begin + first, mask(xt, xtf, len, first, count), false);
      }
    }
    void inside(const Node& nd, int k) {
      weight += nd.weight;
      const i128* s = t.sums_.data() + static_cast<std::size_t>(k) * t.d_;
      for (int j = 0; j < t.d_; ++j) sum[j] += s[j];
    }
    // Add (or take out) slots first + i for the bits i of mask.
    void rows(int first, std::uint32_t mask, bool subtract) {
      if (mask == 0) return;
      for (std::uint32_t m = mask; m != 0; m &= m - 1) {
        const std::int64_t w = t.w_[static_cast<std::size_t>(first + __builtin_ctz(m))];
        weight += subtract ? -w : w;
      }
      if (acc) {
        limb_accumulate(t.limbs_.data() + static_cast<std::size_t>(first) * static_cast<std::size_t>(t.limb_width_),
                        t.limb_width_, mask, subtract, acc, t.limb_width_);
        return;
      }
      for (std::uint32_t m = mask; m != 0; m &= m - 1) {
        const i128* v = t.slot_wfixed(static_cast<std::size_t>(first + __builtin_ctz(m)));
        if (subtract) {
          for (int j = 0; j < t.d_; ++j) sum[j] -= v[j];
        } else {
          for (int j = 0; j < t.d_; ++j) sum[j] += v[j];
        }
      }
    }
  };
  alignas(64) std::uint64_t acc[kMaxLimbWidth];
  F32Window f32;
  const bool use_f32 = !xtf_.empty() && f32_prefilter();
  if (use_f32) f32_thresholds(q, amax_.data(), d_, r2, f32.q, f32.sure_in, f32.sure_out);
  Visit v{*this, q, r2, weight, sum, limb_width_ > 0 ? acc : nullptr, use_f32 ? &f32 : nullptr};
  weight = 0;
  for (int j = 0; j < d_; ++j) sum[j] = 0;
  if (v.acc) std::fill(acc, acc + limb_width_, std::uint64_t{0});
  ball(q, r2, v);
  if (v.acc) {
    const int half = limb_width_ / 2;
    for (int j = 0; j < d_; ++j) {
      const i128 lo = static_cast<std::int64_t>(acc[j]);
      const i128 hi = static_cast<std::int64_t>(acc[half + j]);
      sum[j] += hi * (static_cast<i128>(1) << 32) + lo;
    }
  }
}

std::int64_t KdTree::count_within(const double* q, double r2) const {
  struct Visit {
    const KdTree& t;
    const double* q;
    double r2;
    std::int64_t weight = 0;
    bool leaves_unclassified() const { return false; }
    bool skip(int) const { return false; }
    void inside(const Node& nd, int) { weight += nd.weight; }
    void cut(const Node& nd, int) {
      for (int s = nd.begin; s < nd.end; ++s)
        if (within(q, t.slot_point(static_cast<std::size_t>(s)), t.d_, r2)) weight += t.w_[static_cast<std::size_t>(s)];
    }
  } v{*this, q, r2};
  ball(q, r2, v);
  return v.weight;
}

bool KdTree::any_within(const double* q, double r2) const {
  // The ball traversal, stopped at the first row found: nodes settle with classify()'s
  // margin, leaves with leaf_mask(), so the verdict is rdist()'s.
  struct Visit {
    const KdTree& t;
    const double* q;
    double r2;
    bool found = false;
    bool leaves_unclassified() const { return false; }
    bool skip(int) const { return found; }
    void inside(const Node&, int) { found = true; }
    void cut(const Node& nd, int) {
      const int len = nd.end - nd.begin;
      const double* xt = t.xt_.data() + static_cast<std::size_t>(nd.begin) * t.d_;
      for (int b = 0; b < len && !found; b += 32) found = leaf_mask(q, xt, len, b, std::min(32, len - b), t.d_, r2) != 0;
    }
  } v{*this, q, r2};
  ball(q, r2, v);
  return v.found;
}

void KdTree::slots_within(const double* q, double r2, std::vector<int>& out) const {
  struct Visit {
    const KdTree& t;
    const double* q;
    double r2;
    std::vector<int>& out;
    bool leaves_unclassified() const { return false; }
    bool skip(int) const { return false; }
    void inside(const Node& nd, int) {
      for (int s = nd.begin; s < nd.end; ++s) out.push_back(s);
    }
    void cut(const Node& nd, int) {
      const int len = nd.end - nd.begin;
      const double* xt = t.xt_.data() + static_cast<std::size_t>(nd.begin) * t.d_;
      for (int first = 0; first < len; first += 32) {
        const int count = std::min(32, len - first);
        for (std::uint32_t mask = leaf_mask(q, xt, len, first, count, t.d_, r2); mask != 0; mask &= mask - 1)
          out.push_back(nd.begin + first + __builtin_ctz(mask));
      }
    }
  } v{*this, q, r2, out};
  ball(q, r2, v);
}

std::pair<std::size_t, double> KdTree::nearest(const double* q) const {
  std::size_t best_i = 0;
  double best = std::numeric_limits<double>::infinity();
  if (nodes_.empty()) return {0, best};
  // Depth-first, nearer child first; a node is pruned only when its lower
  // bound is strictly worse, so exact ties are all seen and the lowest index wins.
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const int k = stack[--top];
    const Node& nd = nodes_[static_cast<std::size_t>(k)];
    double mn, mx;
    bounds(k, q, mn, mx);
    if (mn > best) continue;
    if (nd.left < 0) {
      for (int t = nd.begin; t < nd.end; ++t) {
        const double r = rdist(q, x_.data() + static_cast<std::size_t>(t) * d_, d_);
        const std::size_t i = perm_[static_cast<std::size_t>(t)];
        if (r < best || (r == best && i < best_i)) {
          best = r;
          best_i = i;
        }
      }
      continue;
    }
    double ml, xl, mr, xr;
    bounds(nd.left, q, ml, xl);
    bounds(nd.right, q, mr, xr);
    if (ml <= mr) {
      stack[top++] = nd.right;
      stack[top++] = nd.left;
    } else {
      stack[top++] = nd.left;
      stack[top++] = nd.right;
    }
  }
  return {best_i, best};
}

double KdTree::kth_rdist(const double* q, std::int64_t k, double lo, double hi, KthScratch& s) const {
  // Count the weight strictly below `lo` and list the points in [lo, hi]; if
  // the k-th value lies in the list, select it, otherwise move the bracket.
  const double inf = std::numeric_limits<double>::infinity();
  if (!(lo >= 0)) lo = 0;
  if (!(hi >= lo)) hi = inf;
  if (s.cv.size() < w_.size() + 8) {  // shell_split's spare entries
    s.cv.resize(w_.size() + 8);
    s.cw.resize(w_.size() + 8);
    s.cv2.resize(w_.size() + 8);
    s.cw2.resize(w_.size() + 8);
  }
  for (int attempt = 0;; ++attempt) {
    std::int64_t below = 0;
    std::size_t nc = 0;
    s.stack.clear();
    s.stack.push_back(0);
    while (!s.stack.empty()) {
      const int n = s.stack.back();
      s.stack.pop_back();
      const Node& nd = nodes_[static_cast<std::size_t>(n)];
      // The box's bounds with a margin (box_range is not summed like rdist()): a node is
      // beyond hi or below lo only when it is so by far more than rounding.
      double mn, mx;
      const std::size_t off = static_cast<std::size_t>(n) * d_;
      box_range(lo_.data() + off, hi_.data() + off, q, d_, mn, mx);
      if (mn > hi * (1 + 1e-12)) continue;
      if (mx < lo * (1 - 1e-12)) {  // lo > 0 here: mx >= 0
        below += nd.weight;
        continue;
      }
      if (nd.left < 0) {
        const int len = nd.end - nd.begin;
        if (s.r.size() < static_cast<std::size_t>(len)) s.r.resize(static_cast<std::size_t>(len));
        leaf_rdist(q, xt_.data() + static_cast<std::size_t>(nd.begin) * d_, len, d_, s.r.data());
        below += shell_split(s.r.data(), w_.data() + nd.begin, static_cast<std::size_t>(len), lo, hi, s.cv.data(),
                             s.cw.data(), nc);
        continue;
      }
      s.stack.push_back(nd.right);
      s.stack.push_back(nd.left);
    }
    std::int64_t listed = 0;
    for (std::size_t c = 0; c < nc; ++c) listed += s.cw[c];
    const double a = lo, b = hi;
    if (!widen_bracket(below, listed, k, attempt, lo, hi))
      return select_in_bracket(s.cv.data(), s.cw.data(), nc, k - below, a, b, s.cv2.data(), s.cw2.data());
  }
}

double select_in_bracket(double* v, std::int64_t* w, std::size_t n, std::int64_t need, double lo, double hi,
                         double* v2, std::int64_t* w2) {
  // One bucket pass: bucket(v) = floor((v - lo)·scale) is monotone in v (each operation
  // rounds monotonically), so the need-th value is in the bucket where the cumulative
  // weight reaches need, and only that bucket's values go on to the quickselect.
  constexpr int kBuckets = 256;
  const double scale = kBuckets / (hi - lo);
  if (n <= 64 || !(hi > lo) || !std::isfinite(hi - lo) || !std::isfinite(scale)) return select_weighted(v, w, n, need);
  auto bucket = [&](double x) { return std::min(kBuckets, static_cast<int>((x - lo) * scale)); };
  std::int64_t count[kBuckets + 1] = {};
  for (std::size_t c = 0; c < n; ++c) count[bucket(v[c])] += w[c];
  int t = 0;
  while (need > count[t]) need -= count[t++];
  std::size_t nb = 0;
  for (std::size_t c = 0; c < n; ++c) {
    v2[nb] = v[c];
    w2[nb] = w[c];
    nb += bucket(v[c]) == t;
  }
  return select_weighted(v2, w2, nb, need);
}

double select_weighted(double* v, std::int64_t* w, std::size_t n, std::int64_t need) {
  // Weighted quickselect: the smallest value x with (weight of values <= x) >= need.
  std::size_t a = 0, b = n;
  auto swap = [&](std::size_t i, std::size_t j) {
    std::swap(v[i], v[j]);
    std::swap(w[i], w[j]);
  };
  while (b - a > 32) {
    const double x = v[a], y = v[(a + b) / 2], z = v[b - 1];
    const double pivot = std::max(std::min(x, y), std::min(std::max(x, y), z));  // median of three
    // Three-way partition: [a, lt) < pivot, [lt, gt) == pivot, [gt, b) > pivot.
    std::size_t lt = a, i = a, gt = b;
    std::int64_t wl = 0, we = 0;
    while (i < gt) {
      if (v[i] < pivot) {
        wl += w[i];
        swap(lt++, i++);
      } else if (v[i] > pivot) {
        swap(i, --gt);
      } else {
        we += w[i];
        ++i;
      }
    }
    if (need <= wl) {
      b = lt;
    } else if (need <= wl + we) {
      return pivot;
    } else {
      need -= wl + we;
      a = gt;
    }
  }
  // Insertion sort of the last few (values with their weights).
  for (std::size_t i = a + 1; i < b; ++i)
    for (std::size_t j = i; j > a && v[j - 1] > v[j]; --j) swap(j - 1, j);
  for (std::size_t i = a; i < b; ++i) {
    need -= w[i];
    if (need <= 0) return v[i];
  }
  throw Error("cluster: internal error in the k-th neighbour search");  // unreachable: counts bracket k
}

}  // namespace cod::cluster::detail
