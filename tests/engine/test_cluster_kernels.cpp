// The vector kernels and the 64-bit limb sums of the cluster module's KD-tree against the
// scalar reference path: every level (scalar, AVX2, AVX-512, as far as the CPU has them),
// with and without limb sums, must give the same bits, on sampled pass rates (ties on a
// 1/100 grid, repeated rows) of a few sizes and dimensions, and on values that switch the
// fast paths off (magnitudes beyond the float pre-pass and the limb bound).

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "../../engine/src/cluster_kdtree.hpp"
#include "cod/cluster.hpp"

namespace {

using cod::Matrix;
namespace cl = cod::cluster;
namespace dt = cod::cluster::detail;

// Pass rates of a model ladder: k correct out of `trials` (binomial), so values sit on a
// 1/trials grid; hard items are all zero and easy ones all one; every 7th row repeats an
// earlier one (weighted points after the collapse).
Matrix sampled_rates(int n, int d, unsigned seed, int trials = 100) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  Matrix X(n, d);
  for (int i = 0; i < n; ++i) {
    if (i % 7 == 6) {
      X.row(i) = X.row(static_cast<int>(g() % static_cast<unsigned>(i)));
      continue;
    }
    const double b = -4.0 + 11.0 * U(g), s = 0.6 + 1.2 * U(g);
    for (int j = 0; j < d; ++j) {
      const double a = d == 1 ? 0.0 : -3.0 + 6.0 * j / (d - 1);
      std::binomial_distribution<int> B(trials, 1.0 / (1.0 + std::exp(-s * (a - b))));
      X(i, j) = B(g) / static_cast<double>(trials);
    }
  }
  return X;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_bits(const Matrix& a, const Matrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (!same_bits(a.data()[i], b.data()[i])) return false;
  return true;
}

struct Outcome {
  cl::ImprovedMeanShiftResult ims;
  double bandwidth = 0;
};

Outcome run(const Matrix& X, dt::Simd level, bool limbs, int threads) {
  dt::limit_simd(level);
  dt::allow_limb_sums(limbs);
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
  return o;
}

void check_same(const Outcome& ref, const Outcome& got) {
  const auto& a = ref.ims;
  const auto& b = got.ims;
  CHECK(same_bits(ref.bandwidth, got.bandwidth));
  CHECK(same_bits(a.bandwidth.bandwidth, b.bandwidth.bandwidth));
  CHECK(a.labels == b.labels);
  CHECK(same_bits(a.centres, b.centres));
  CHECK(same_bits(a.member_means, b.member_means));
  CHECK(a.sizes == b.sizes);
  CHECK(a.rounds == b.rounds);
  REQUIRE(a.history.size() == b.history.size());
  for (std::size_t r = 0; r < a.history.size(); ++r) {
    CHECK(a.history[r].n_meanshift_clusters == b.history[r].n_meanshift_clusters);
    CHECK(a.history[r].n_new_labelled == b.history[r].n_new_labelled);
  }
}

void check_every_path(const Matrix& X) {
  const Outcome ref = run(X, dt::Simd::scalar, false, 1);
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
