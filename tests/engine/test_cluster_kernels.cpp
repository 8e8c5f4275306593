// The vector kernels, the 64-bit limb sums and the window caches of the cluster module's
// KD-tree against the scalar reference path (tree walks only): every level (scalar, AVX2,
// AVX-512, as far as the CPU has them), with and without limb sums, must give the same bits, on sampled pass rates (ties on a
// 1/100 grid, repeated rows) of a few sizes and dimensions, and on values that switch the
// fast paths off (magnitudes beyond the float pre-pass and the limb bound).

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../../engine/src/cluster_kdtree.hpp"
#include "cluster_test_util.hpp"
#include "cod/cluster.hpp"

namespace {

using cod::Matrix;
namespace cl = cod::cluster;
namespace dt = cod::cluster::detail;

using cluster_test::sampled_rates;
using cluster_test::same_bits;

struct Outcome {
  cl::ImprovedMeanShiftResult ims;
  double bandwidth = 0;
};

Outcome run(const Matrix& X, dt::Simd level, bool limbs, int threads, bool shells = true) {
  dt::limit_simd(level);
  dt::allow_limb_sums(limbs);
  dt::allow_shell_cache(shells);
  Outcome o;
  cl::ImprovedMeanShiftOptions opt;
  opt.exec.threads = threads;
  o.ims = cl::improved_meanshift(X, opt);
  cl::BandwidthOptions b;
  b.quantile = 0.1;
  b.exec.threads = threads;
  o.bandwidth = cl::estimate_bandwidth(X, b);
  dt::limit_simd(dt::Simd::avx512);
  dt::allow_limb_sums(true);
  dt::allow_shell_cache(true);
  return o;
}

void check_same(const Outcome& ref, const Outcome& got) {
  const auto& a = ref.ims;
  const auto& b = got.ims;
  CHECK(same_bits(ref.bandwidth, got.bandwidth));
  cluster_test::check_same_result(a, b);
}

void check_every_path(const Matrix& X) {
  const Outcome ref = run(X, dt::Simd::scalar, false, 1, false);  // no window caches either
  REQUIRE(ref.ims.centres.rows() > 0);
  for (dt::Simd level : {dt::Simd::scalar, dt::Simd::avx2, dt::Simd::avx512})
    for (bool limbs : {false, true}) {
      CAPTURE(static_cast<int>(level));
      CAPTURE(limbs);
      check_same(ref, run(X, level, limbs, level == dt::Simd::avx2 ? 2 : 1));
    }
}

}  // namespace

TEST_CASE("cluster kernels: every kernel level and sum path gives the same bits on sampled pass rates") {
  for (int d : {1, 3, 5, 8, 9}) {
    for (int n : {150, 1200}) {
      CAPTURE(d);
      CAPTURE(n);
      check_every_path(sampled_rates(n, d, 17u * static_cast<unsigned>(d) + static_cast<unsigned>(n)));
    }
  }
  CAPTURE("n = 2500, d = 8");
  check_every_path(sampled_rates(2500, 8, 5));
}

TEST_CASE("cluster kernels: values that switch the float pre-pass and the limb sums off") {
  // Beyond 2^40 the float pre-pass is off; huge magnitudes with fine fractions make the
  // fixed-point values too wide for 64-bit limbs. Tiny values (subnormal as floats) stay on.
  Matrix X = sampled_rates(400, 4, 9);
  Matrix big = X * 3.0e12;
  Matrix wide = X;
  for (Eigen::Index i = 0; i < wide.rows(); i += 3) wide(i, 1) = wide(i, 1) * 1e15 + 0.25;
  Matrix tiny = X * 1e-41;
  for (const Matrix* M : {&big, &wide, &tiny}) check_every_path(*M);
}

TEST_CASE("cluster kernels: the float pre-pass decides rows on the sphere exactly like rdist") {
  // Rows at exactly the ball's squared radius (r2 = rdist of a row), just inside and just
  // outside it: leaf_mask_f32 must agree with leaf_mask on every one.
  std::mt19937_64 g(3);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  for (int d : {1, 2, 7, 8, 16}) {
    const int len = 32;
    std::vector<double> xt(static_cast<std::size_t>(len * d));
    std::vector<float> xtf(xt.size());
    std::vector<double> q(static_cast<std::size_t>(d)), amax(static_cast<std::size_t>(d), 0.0);
    std::vector<float> qf(static_cast<std::size_t>(d));
    for (int trial = 0; trial < 200; ++trial) {
      for (int j = 0; j < d; ++j) q[static_cast<std::size_t>(j)] = std::round(U(g) * 100) / 100;
      for (int i = 0; i < len; ++i)
        for (int j = 0; j < d; ++j) {
          // Grid values (ties) and a few rows copied from q's neighbourhood.
          double v = std::round(U(g) * 100) / 100;
          if (i % 5 == 0) v = q[static_cast<std::size_t>(j)] + (i % 2 ? 1e-9 : -1e-9) * (j + 1);
          xt[static_cast<std::size_t>(j * len + i)] = v;
        }
      for (std::size_t t = 0; t < xt.size(); ++t) xtf[t] = static_cast<float>(xt[t]);
      for (int j = 0; j < d; ++j) {
        qf[static_cast<std::size_t>(j)] = static_cast<float>(q[static_cast<std::size_t>(j)]);
        for (int i = 0; i < len; ++i)
          amax[static_cast<std::size_t>(j)] =
              std::max(amax[static_cast<std::size_t>(j)], std::fabs(xt[static_cast<std::size_t>(j * len + i)]));
      }
      // The ball's radius: exactly one row's rdist, so that row (and its ties) sit on the sphere.
      const int on = trial % len;
      double r2 = 0;
      for (int j = 0; j < d; ++j) {
        const double t = q[static_cast<std::size_t>(j)] - xt[static_cast<std::size_t>(j * len + on)];
        r2 += t * t;
      }
      float sure_in, sure_out;
      dt::f32_thresholds(q.data(), amax.data(), d, r2, qf.data(), sure_in, sure_out);
      for (int first : {0, 3}) {
        const int count = len - first;
        const std::uint32_t ref = dt::leaf_mask(q.data(), xt.data(), len, first, count, d, r2);
        const std::uint32_t got =
            dt::leaf_mask_f32(q.data(), qf.data(), xt.data(), xtf.data(), len, first, count, d, r2, sure_in, sure_out);
        CHECK(ref == got);
        if (first == 0) CHECK(((ref >> on) & 1u) == 1u);
      }
    }
  }
}

// ------------------------------------------------------------------ estimate_bandwidth

namespace {

// estimate_bandwidth as specified, the slow way, for each of kQuantiles: rows collapsed in
// order of first appearance (numeric equality), every squared distance by rdist(), each
// point's k-th smallest with copies counted by a full sort, sum of k-th distance × copies in
// point order in long double, divided by n: the same doubles as the engine must give.
const std::vector<double> kQuantiles = {0.0, 0.01, 0.1, 0.3, 0.5, 1.0};

std::vector<double> bandwidth_reference(const Matrix& X) {
  const int n = static_cast<int>(X.rows()), d = static_cast<int>(X.cols());
  std::vector<std::vector<double>> pts;
  std::vector<std::int64_t> w;
  for (int i = 0; i < n; ++i) {
    std::vector<double> r(static_cast<std::size_t>(d));
    for (int j = 0; j < d; ++j) r[static_cast<std::size_t>(j)] = X(i, j);
    std::size_t p = 0;
    while (p < pts.size() && !std::equal(r.begin(), r.end(), pts[p].begin())) ++p;
    if (p == pts.size()) {
      pts.push_back(r);
      w.push_back(0);
    }
    ++w[p];
  }
  std::vector<long double> sum(kQuantiles.size(), 0);
  std::vector<std::pair<double, std::int64_t>> r(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) {
    for (std::size_t j = 0; j < pts.size(); ++j) r[j] = {dt::rdist(pts[i].data(), pts[j].data(), d), w[j]};
    std::sort(r.begin(), r.end());
    for (std::size_t u = 0; u < kQuantiles.size(); ++u) {
      std::int64_t k = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * kQuantiles[u]));
      std::int64_t need = std::min<std::int64_t>(std::max<std::int64_t>(k, 1), n);
      std::size_t t = 0;
      while ((need -= r[t].second) > 0) ++t;
      sum[u] += static_cast<long double>(std::sqrt(r[t].first)) * static_cast<long double>(w[i]);
    }
  }
  std::vector<double> out;
  for (long double s : sum) out.push_back(static_cast<double>(s / static_cast<long double>(n)));
  return out;
}

double bandwidth_at(const Matrix& X, double quantile, dt::Simd level, int threads) {
  dt::limit_simd(level);
  cl::BandwidthOptions b;
  b.quantile = quantile;
  b.exec.threads = threads;
  const double h = cl::estimate_bandwidth(X, b);
  dt::limit_simd(dt::Simd::avx512);
  return h;
}

void check_bandwidth(const Matrix& X) {
  const std::vector<double> ref = bandwidth_reference(X);
  for (std::size_t u = 0; u < kQuantiles.size(); ++u) {
    const double quantile = kQuantiles[u];
    CAPTURE(quantile);
    for (dt::Simd level : {dt::Simd::scalar, dt::Simd::avx2, dt::Simd::avx512}) {
      CAPTURE(static_cast<int>(level));
      CHECK(same_bits(ref[u], bandwidth_at(X, quantile, level, 1)));
    }
    CHECK(same_bits(ref[u], bandwidth_at(X, quantile, dt::simd_level(), 2)));
  }
}

}  // namespace

TEST_CASE("estimate_bandwidth: the same doubles as a full sort of every distance, at every kernel level") {
  // Sampled pass rates: ties on a 1/100 grid and repeated rows (weighted points); sizes around
  // the tree's leaf (128 rows) and its vector runs, and a set where most rows are copies.
  for (int d : {1, 3, 8, 10}) {
    for (int n : {1, 2, 9, 127, 129, 700}) {
      CAPTURE(d);
      CAPTURE(n);
      check_bandwidth(sampled_rates(n, d, 31u * static_cast<unsigned>(n) + static_cast<unsigned>(d)));
    }
  }
  CAPTURE("n = 2000, d = 8");
  check_bandwidth(sampled_rates(2000, 8, 2));
  Matrix coarse = sampled_rates(900, 5, 8, 4);  // 4 trials: only 5 values per column, mostly copies
  check_bandwidth(coarse);
  Matrix same(50, 3);  // one distinct row: every k-th distance is 0
  same.setConstant(0.25);
  check_bandwidth(same);
  std::mt19937_64 g(12);  // continuous values: no ties, at several scales
  std::normal_distribution<double> N(0.0, 1.0);
  Matrix cont(600, 6);
  for (Eigen::Index i = 0; i < cont.size(); ++i) cont.data()[i] = N(g);
  check_bandwidth(cont);
  check_bandwidth(cont * 1e12);
  check_bandwidth(cont * 1e-9);
  Matrix huge = cont;  // squared distances overflow to inf for a third of the rows
  for (Eigen::Index i = 0; i < huge.rows(); i += 3) huge(i, 2) = 1e200;
  check_bandwidth(huge);
  Matrix narrow = cont * 1e-160;  // squared distances near the bottom of the doubles (subnormal)
  check_bandwidth(narrow);
}

TEST_CASE("estimate_bandwidth kernels: the shell split at every level, and selection with any bracket") {
  std::mt19937_64 g(21);
  std::uniform_int_distribution<int> grid(0, 40);
  for (int len : {0, 1, 7, 8, 9, 31, 64, 133}) {
    std::vector<double> r(static_cast<std::size_t>(len));
    std::vector<std::int64_t> w(r.size());
    for (std::size_t i = 0; i < r.size(); ++i) {
      r[i] = grid(g) * 0.01;  // many ties
      w[i] = 1 + grid(g) % 3;
    }
    const double inf = std::numeric_limits<double>::infinity();
    for (auto [lo, hi] : std::vector<std::pair<double, double>>{{0.0, inf}, {0.1, 0.2}, {0.2, 0.2}, {0.25, 0.1},
                                                                 {0.0, 0.0}, {0.5, inf}, {-1.0, 0.07}}) {
      CAPTURE(len);
      CAPTURE(lo);
      CAPTURE(hi);
      std::vector<double> cv_ref(r.size() + 8), cv(r.size() + 8);
      std::vector<std::int64_t> cw_ref(r.size() + 8), cw(r.size() + 8);
      dt::limit_simd(dt::Simd::scalar);
      std::size_t n_ref = 0;
      const std::int64_t below_ref = dt::shell_split(r.data(), w.data(), r.size(), lo, hi, cv_ref.data(), cw_ref.data(), n_ref);
      std::int64_t below_direct = 0;
      std::size_t n_direct = 0;
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i] < lo) below_direct += w[i];
        else if (r[i] <= hi) ++n_direct;
      }
      CHECK(below_ref == below_direct);
      CHECK(n_ref == n_direct);
      for (dt::Simd level : {dt::Simd::avx2, dt::Simd::avx512}) {
        dt::limit_simd(level);
        std::size_t n = 0;
        CHECK(dt::shell_split(r.data(), w.data(), r.size(), lo, hi, cv.data(), cw.data(), n) == below_ref);
        REQUIRE(n == n_ref);
        for (std::size_t i = 0; i < n; ++i) {
          CHECK(same_bits(cv[i], cv_ref[i]));
          CHECK(cw[i] == cw_ref[i]);
        }
      }
      dt::limit_simd(dt::Simd::avx512);
    }
    // select_in_bracket (bucket pass) against select_weighted for every rank.
    if (len == 0) continue;
    std::int64_t total = 0;
    for (std::int64_t x : w) total += x;
    for (std::int64_t need = 1; need <= total; need += 1 + total / 37) {
      std::vector<double> a = r, a2(r.size() + 8);
      std::vector<std::int64_t> aw = w, aw2(r.size() + 8);
      std::vector<double> b = r;
      std::vector<std::int64_t> bw = w;
      const double lo = *std::min_element(r.begin(), r.end()), hi = *std::max_element(r.begin(), r.end());
      CHECK(same_bits(dt::select_in_bracket(a.data(), aw.data(), a.size(), need, lo, hi, a2.data(), aw2.data()),
                      dt::select_weighted(b.data(), bw.data(), b.size(), need)));
    }
  }
}

TEST_CASE("estimate_bandwidth kernels: the k-th distance is the same whatever bracket the search starts from") {
  const Matrix X = sampled_rates(300, 4, 44);
  std::vector<std::size_t> rows(static_cast<std::size_t>(X.rows()));
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const dt::Points P = dt::make_points(X, rows, true);
  const double inf = std::numeric_limits<double>::infinity();
  for (int leaf : {1, 16, 128, 1000}) {
    const dt::KdTree tree(P, nullptr, leaf);
    dt::KdTree::KthScratch s;
    for (std::size_t i = 0; i < P.size(); i += 7) {
      const double* q = P.row(i);
      std::vector<double> all;
      for (std::size_t j = 0; j < P.size(); ++j)
        for (std::int64_t c = 0; c < P.w[j]; ++c) all.push_back(dt::rdist(q, P.row(j), P.d));
      std::sort(all.begin(), all.end());
      for (std::int64_t k : {std::int64_t{1}, std::int64_t{30}, std::int64_t{150}, P.total}) {
        const double want = all[static_cast<std::size_t>(k - 1)];
        // Right, too low, too high, empty, inverted, unbounded and tiny brackets.
        for (auto [lo, hi] : std::vector<std::pair<double, double>>{
                 {want, want}, {0.0, inf}, {want * 2 + 1, want * 3 + 2}, {0.0, want * 0.5}, {want * 0.9, want * 0.9},
                 {1.0, 0.5}, {-1.0, -0.5}, {1e-300, 2e-300}, {want + 1e-12, inf}}) {
          CAPTURE(leaf);
          CAPTURE(k);
          CAPTURE(lo);
          CAPTURE(hi);
          CHECK(same_bits(tree.kth_rdist(q, k, lo, hi, s), want));
        }
      }
    }
  }
}
