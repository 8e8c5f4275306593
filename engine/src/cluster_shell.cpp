// The window cache of Improved MeanShift's climbs (KdTree::Shell). Climbs of nearby seeds
// pass through the same regions with short steps; one walk around an anchor a settles, for
// every query q with |q - a| <= s, the points within h - s of a (inside every such window)
// and those beyond h + s (outside every one), and keeps those in between sorted by their
// distance from a, with prefix sums. A query at distance δ from a then settles the rows
// within h - δ of a by one prefix sum, drops those beyond h + δ, and tests only the band in
// between with the vector kernel: no tree walk, and a band ∝ δ instead of the leaves cut.
//
// Why the verdicts are rdist()'s: with exact distances, |q - p| <= |q - a| + |a - p| and
// |q - p| >= |a - p| - |q - a|. The computed rdist() and box_range() are within a relative
// 2^-46 of the exact squared distances (d <= 64 columns; no overflow: h is kept in
// [1e-100, 1e100], and a point whose distance overflows is far beyond h + s), so the radii
// in = h(1 - m) - δ(1 + m) and out = h(1 + m) + δ(1 + m) with m = 1e-9 absorb every
// rounding: a row with rdist(a, p) <= in² has rdist(q, p) < h²(1 - m) <= fl(h·h), one with
// rdist(a, p) > out² has rdist(q, p) > h²(1 + m). Both radii are monotone in δ, so what the
// build settled with δ = s stays settled for any δ <= s. Band rows get the bit-identical
// leaf_mask() test and the sums are exact integers: a cached window has window()'s bits.

#include <atomic>

#include "cluster_kdtree.hpp"

namespace cod::cluster::detail {
namespace {
std::atomic<bool> g_shell{true};
constexpr int kBlock = 32;  // rows per transposed block: one leaf_mask() call
constexpr double kMargin = 1e-9;

// Squared radii within which (in) and beyond which (out) a row at that squared distance
// from the anchor is settled for a query at distance delta from it; in2 < 0 settles none.
void settled_radii(double h, double delta, double& in2, double& out2) {
  const double in = h * (1 - kMargin) - delta * (1 + kMargin), out = h * (1 + kMargin) + delta * (1 + kMargin);
  in2 = in > 0 ? in * in : -1.0;
  out2 = out * out;
}
}  // namespace

bool shell_cache_allowed() { return g_shell.load(std::memory_order_relaxed); }
void allow_shell_cache(bool on) { g_shell.store(on); }

namespace {
std::atomic<std::size_t> g_shell_budget{0}, g_shells_refused{0};
}
void set_shell_budget(std::size_t bytes) { g_shell_budget.store(bytes); }
std::size_t shell_budget(std::size_t default_bytes) {
  const std::size_t b = g_shell_budget.load(std::memory_order_relaxed);
  return b > 0 ? b : default_bytes;
}
std::size_t shells_refused() { return g_shells_refused.load(); }
void count_shell_refused() { g_shells_refused.fetch_add(1, std::memory_order_relaxed); }

KdTree::ShellBuild KdTree::build_shell(const double* a, double h, double s, std::size_t max_bytes, Shell& sh) const {
  sh.reach = -1;
  if (!fx_ || nodes_.empty() || !(h >= 1e-100 && h <= 1e100) || !(s > 0 && s < h)) return ShellBuild::unusable;
  const std::size_t row_bytes = sizeof(double) * (2 + d_) + sizeof(float) * d_ + 2 * sizeof(std::int64_t) +
                                sizeof(std::uint64_t) * limb_width_ + sizeof(i128) * d_ * (limb_width_ > 0 ? 1 : 2) +
                                sizeof(std::pair<double, int>);
  const std::size_t max_rows = max_bytes / row_bytes;
  double in2, out2;
  settled_radii(h, s, in2, out2);
  const std::size_t du = static_cast<std::size_t>(d_);
  sh.anchor.assign(a, a + d_);
  sh.h = h;
  sh.inner_weight = 0;
  sh.inner_sum.assign(du, 0);
  sh.scratch.clear();
  int stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const int k = stack[--top];
    const Node& nd = nodes_[static_cast<std::size_t>(k)];
    double mn, mx;
    const std::size_t off = static_cast<std::size_t>(k) * du;
    box_range(lo_.data() + off, hi_.data() + off, a, d_, mn, mx);
    if (mn > out2) continue;
    if (mx <= in2) {
      sh.inner_weight += nd.weight;
      for (std::size_t j = 0; j < du; ++j) sh.inner_sum[j] += sums_[off + j];
      continue;
    }
    if (nd.left >= 0) {
      stack[top++] = nd.right;
      stack[top++] = nd.left;
      continue;
    }
    for (int t = nd.begin; t < nd.end; ++t) {
      const std::size_t tu = static_cast<std::size_t>(t);
      const double r = rdist(a, slot_point(tu), d_);
      if (r > out2) continue;
      if (r <= in2) {
        sh.inner_weight += w_[tu];
        const i128* v = slot_wfixed(tu);
        for (std::size_t j = 0; j < du; ++j) sh.inner_sum[j] += v[j];
      } else {
        if (sh.scratch.size() == max_rows) return ShellBuild::too_large;
        sh.scratch.emplace_back(r, t);
      }
    }
  }
  std::sort(sh.scratch.begin(), sh.scratch.end());
  // The band's rows, laid out like leaves for the vector kernels, and their prefix sums.
  const int n = static_cast<int>(sh.scratch.size());
  const std::size_t nu = static_cast<std::size_t>(n), lw = static_cast<std::size_t>(limb_width_);
  const bool f32 = !xtf_.empty();
  sh.rows = n;
  sh.ra.resize(nu);
  sh.xt.resize(nu * du);
  sh.xtf.resize(f32 ? nu * du : 0);
  sh.w.resize(nu);
  sh.limbs.resize(nu * lw);
  sh.wfixed.resize(lw > 0 ? 0 : nu * du);
  sh.pre_w.resize(nu + 1);
  sh.pre_sum.resize((nu + 1) * du);
  sh.pre_w[0] = 0;
  std::fill(sh.pre_sum.begin(), sh.pre_sum.begin() + static_cast<std::ptrdiff_t>(du), i128{0});
  for (std::size_t r = 0; r < nu; ++r) {
    const std::size_t t = static_cast<std::size_t>(sh.scratch[r].second);
    const std::size_t b = r / kBlock * kBlock, len = std::min<std::size_t>(kBlock, nu - b), i = r - b;
    const double* p = slot_point(t);
    for (std::size_t j = 0; j < du; ++j) {
      sh.xt[b * du + j * len + i] = p[j];
      if (f32) sh.xtf[b * du + j * len + i] = static_cast<float>(p[j]);
    }
    sh.ra[r] = sh.scratch[r].first;
    sh.w[r] = w_[t];
    sh.pre_w[r + 1] = sh.pre_w[r] + w_[t];
    const i128* v = slot_wfixed(t);
    for (std::size_t j = 0; j < du; ++j) sh.pre_sum[(r + 1) * du + j] = sh.pre_sum[r * du + j] + v[j];
    if (lw > 0)
      std::copy(limbs_.begin() + static_cast<std::ptrdiff_t>(t * lw), limbs_.begin() + static_cast<std::ptrdiff_t>((t + 1) * lw),
                sh.limbs.begin() + static_cast<std::ptrdiff_t>(r * lw));
    else
      std::copy(v, v + du, sh.wfixed.begin() + static_cast<std::ptrdiff_t>(r * du));
  }
  sh.reach = s;
  return ShellBuild::built;
}

bool KdTree::shell_window(const Shell& sh, const double* q, std::int64_t& weight, i128* sum) const {
  if (!(sh.reach > 0)) return false;
  const double delta = std::sqrt(rdist(q, sh.anchor.data(), d_));
  if (!(delta <= sh.reach)) return false;
  double in2, out2;
  settled_radii(sh.h, delta, in2, out2);
  const auto first_beyond = [&](double v) {
    return static_cast<int>(std::upper_bound(sh.ra.begin(), sh.ra.end(), v) - sh.ra.begin());
  };
  const int lo = first_beyond(in2), hi = first_beyond(out2);  // rows [0, lo) in, [hi, rows) out
  const std::size_t du = static_cast<std::size_t>(d_), lou = static_cast<std::size_t>(lo);
  weight = sh.inner_weight + sh.pre_w[lou];
  for (std::size_t j = 0; j < du; ++j) sum[j] = sh.inner_sum[j] + sh.pre_sum[lou * du + j];
  if (lo == hi) return true;
  const double r2 = sh.h * sh.h;
  F32Window f32;
  const bool use_f32 = !sh.xtf.empty() && f32_prefilter();
  if (use_f32) f32_thresholds(q, amax_.data(), d_, r2, f32.q, f32.sure_in, f32.sure_out);
  const int lw = limb_width_;
  alignas(64) std::uint64_t acc[kMaxLimbWidth] = {};
  for (int b = lo / kBlock * kBlock; b < hi; b += kBlock) {
    const int len = std::min(kBlock, sh.rows - b);
    const int first = std::max(lo - b, 0), count = std::min(hi, b + len) - b - first;
    const std::size_t base = static_cast<std::size_t>(b) * du;
    const std::uint32_t mask =
        use_f32 ? leaf_mask_f32(q, f32.q, sh.xt.data() + base, sh.xtf.data() + base, len, first, count, d_, r2,
                                f32.sure_in, f32.sure_out)
                : leaf_mask(q, sh.xt.data() + base, len, first, count, d_, r2);
    if (mask == 0) continue;
    const std::size_t row0 = static_cast<std::size_t>(b + first);
    // When most rows are in, add the run's prefix difference and take the others out.
    const std::uint32_t all = count == 32 ? ~0u : (1u << count) - 1;
    const bool complement = 2 * bit_count(mask) > count;
    const std::uint32_t rows = complement ? all & ~mask : mask;
    if (complement) {
      const std::size_t end = row0 + static_cast<std::size_t>(count);
      weight += sh.pre_w[end] - sh.pre_w[row0];
      for (std::size_t j = 0; j < du; ++j) sum[j] += sh.pre_sum[end * du + j] - sh.pre_sum[row0 * du + j];
    }
    for (std::uint32_t m = rows; m != 0; m &= m - 1) {
      const std::int64_t wr = sh.w[row0 + static_cast<std::size_t>(__builtin_ctz(m))];
      weight += complement ? -wr : wr;
    }
    if (rows == 0) continue;
    if (lw > 0) {
      limb_accumulate(sh.limbs.data() + row0 * static_cast<std::size_t>(lw), lw, rows, complement, acc, lw);
      continue;
    }
    for (std::uint32_t m = rows; m != 0; m &= m - 1) {
      const i128* v = sh.wfixed.data() + (row0 + static_cast<std::size_t>(__builtin_ctz(m))) * du;
      if (complement) {
        for (std::size_t j = 0; j < du; ++j) sum[j] -= v[j];
      } else {
        for (std::size_t j = 0; j < du; ++j) sum[j] += v[j];
      }
    }
  }
  if (lw > 0) {
    const std::size_t half = static_cast<std::size_t>(lw / 2);
    for (std::size_t j = 0; j < du; ++j)
      sum[j] += static_cast<i128>(static_cast<std::int64_t>(acc[half + j])) * (static_cast<i128>(1) << 32) +
                static_cast<i128>(static_cast<std::int64_t>(acc[j]));
  }
  return true;
}

}  // namespace cod::cluster::detail
