// Tests of cod/mapping.hpp's solvers on hard inputs: the monotone quartic's convergence and
// optimality, the spline solve against a quad-precision reference, and the lambda cap.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "mapping_test_util.hpp"

using namespace mapping_test;

TEST_CASE("mapping: the monotone quartic converges and is optimal on hard random sets") {
  // Clustered x, ties, endpoint data and steep noisy y: the active-set QP's degenerate cases.
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  int constrained = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    CAPTURE(trial);
    const int n = 1 + static_cast<int>(U(rng) * 10);
    const double centre = U(rng), spread = std::pow(10.0, -3.0 * U(rng));
    std::vector<double> x, y;
    for (int i = 0; i < n; ++i) {
      double xi = std::clamp(centre + spread * (U(rng) - 0.5), 0.0, 1.0);
      if (U(rng) < 0.1) xi = 0.0;
      if (U(rng) < 0.1 && !x.empty()) xi = x.front();
      x.push_back(xi);
      y.push_back(U(rng) < 0.5 ? U(rng) : std::clamp(xi + 0.2 * (U(rng) - 0.5), 0.0, 1.0));
    }
    const cod::Mapping m = cod::fit_mapping(x, y, with(MappingMethod::Quartic));
    REQUIRE(m.monotone());
    if (!m.monotone_forced()) continue;
    ++constrained;
    // Optimality spot check: no feasible (monotone) quartic nearby fits better. Perturb the
    // coefficients along random directions; any monotone neighbour must not lower the SSE.
    const auto& c0 = m.coefficients()[0];
    auto sse = [&](const std::array<double, 5>& c) {
      double s = 0.0;
      for (const auto& p : m.points()) {
        const double v = c[0] + p.x * (c[1] + p.x * (c[2] + p.x * (c[3] + p.x * c[4])));
        s += (p.y - v) * (p.y - v);
      }
      return s;
    };
    // Feasible as the engine's problem is: slope >= 1e-10 (its margin), here on a finer grid.
    auto monotone = [](const std::array<double, 5>& c) {
      for (int i = 0; i <= 20000; ++i) {
        const double t = i / 20000.0;
        if (c[1] + t * (2 * c[2] + t * (3 * c[3] + t * 4 * c[4])) < 1e-10) return false;
      }
      return true;
    };
    const double best = sse(c0);
    // The model class: q has min(3, interior points) entries (degree 2, 3 or 4).
    int basis = 0;
    for (const auto& p : m.points()) basis += (p.x > 0.0 && p.x < 1.0) ? 1 : 0;
    basis = std::min(basis, 3);
    for (int k = 0; k < 20; ++k) {
      // q -> q + e d keeps p(0) = 0 and p(1) = 1: c[k+1] += d_k, c[k+2] -= d_k.
      std::array<double, 5> c = c0;
      for (int j = 0; j < basis; ++j) {
        const double d = 1e-3 * (U(rng) - 0.5);
        c[static_cast<std::size_t>(j + 1)] += d;
        c[static_cast<std::size_t>(j + 2)] -= d;
      }
      if (monotone(c)) CHECK(sse(c) >= best - 1e-12);
    }
  }
  MESSAGE("hard quartic sets: " << constrained << " of 1500 needed the monotonicity constraints");
  CHECK(constrained > 100);
}

namespace {

__extension__ typedef __float128 quad;

// Reference knot values of the penalised spline in quad precision (113-bit mantissa): the
// textbook Reinsch elimination, (R + lambda Q'Q) gamma = Q'z, g = z - lambda Q gamma, by
// Gaussian elimination with partial pivoting. Its cancellation costs ~20 digits at worst
// here, which quad precision can afford and double cannot.
std::vector<double> quad_reference(const std::vector<double>& t, const std::vector<double>& z, double lambda) {
  const int nk = static_cast<int>(t.size()), ni = nk - 2;
  std::vector<quad> h(static_cast<std::size_t>(nk - 1));
  for (int i = 0; i + 1 < nk; ++i) h[static_cast<std::size_t>(i)] = static_cast<quad>(t[i + 1]) - static_cast<quad>(t[i]);
  auto H = [&](int i) { return h[static_cast<std::size_t>(i)]; };
  std::vector<std::vector<quad>> Q(static_cast<std::size_t>(nk), std::vector<quad>(static_cast<std::size_t>(ni), 0));
  std::vector<std::vector<quad>> M(static_cast<std::size_t>(ni), std::vector<quad>(static_cast<std::size_t>(ni + 1), 0));
  auto q = [&](int r, int c) -> quad& { return Q[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]; };
  auto mm = [&](int r, int c) -> quad& { return M[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]; };
  for (int j = 1; j <= ni; ++j) {
    q(j - 1, j - 1) = 1 / H(j - 1);
    q(j, j - 1) = -1 / H(j - 1) - 1 / H(j);
    q(j + 1, j - 1) = 1 / H(j);
    mm(j - 1, j - 1) += (H(j - 1) + H(j)) / 3;
    if (j < ni) mm(j - 1, j) += H(j) / 6, mm(j, j - 1) += H(j) / 6;
  }
  const quad lam = static_cast<quad>(lambda);
  for (int a = 0; a < ni; ++a) {
    for (int b = 0; b < ni; ++b) {
      quad s = 0;
      for (int k = 1; k <= ni; ++k) s += q(k, a) * q(k, b);  // interior rows: W^-1 = 0 at the ends
      mm(a, b) += lam * s;
    }
    quad s = 0;
    for (int k = 0; k < nk; ++k) s += q(k, a) * static_cast<quad>(z[static_cast<std::size_t>(k)]);
    mm(a, ni) = s;
  }
  auto qabs = [](quad v) { return v < 0 ? -v : v; };
  for (int c = 0; c < ni; ++c) {
    int p = c;
    for (int r = c + 1; r < ni; ++r)
      if (qabs(mm(r, c)) > qabs(mm(p, c))) p = r;
    std::swap(M[static_cast<std::size_t>(c)], M[static_cast<std::size_t>(p)]);
    for (int r = c + 1; r < ni; ++r) {
      const quad f = mm(r, c) / mm(c, c);
      for (int k = c; k <= ni; ++k) mm(r, k) -= f * mm(c, k);
    }
  }
  std::vector<quad> gam(static_cast<std::size_t>(ni));
  for (int r = ni - 1; r >= 0; --r) {
    quad s = mm(r, ni);
    for (int k = r + 1; k < ni; ++k) s -= mm(r, k) * gam[static_cast<std::size_t>(k)];
    gam[static_cast<std::size_t>(r)] = s / mm(r, r);
  }
  std::vector<double> g(static_cast<std::size_t>(nk));
  for (int i = 0; i < nk; ++i) {
    quad s = 0;
    if (i > 0 && i < nk - 1)
      for (int k = 0; k < ni; ++k) s += q(i, k) * gam[static_cast<std::size_t>(k)];
    g[static_cast<std::size_t>(i)] = static_cast<double>(static_cast<quad>(z[static_cast<std::size_t>(i)]) - lam * s);
  }
  return g;
}

}  // namespace

TEST_CASE("mapping: the spline solve is accurate with close knots and many points (quad-precision reference)") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::normal_distribution<double> N(0.0, 0.003);
  struct Case {
    int n;
    double gap;  // a second point this far from the first (0: none)
    double tol;
  };
  // Tolerances: the problem's own sensitivity (two knots 1e-9 apart amplify rounding of the
  // data by ~1e8), with a factor ~10 of room over the measured errors.
  for (const Case& k : {Case{10, 0.0, 1e-12}, Case{10, 1e-6, 1e-10}, Case{10, 1e-9, 2e-7}, Case{120, 0.0, 1e-10}}) {
    CAPTURE(k.n);
    CAPTURE(k.gap);
    std::vector<double> xs;
    for (int i = 0; i < k.n; ++i) xs.push_back(0.05 + 0.9 * U(rng));
    if (k.gap > 0) xs.push_back(xs[0] + k.gap);
    std::sort(xs.begin(), xs.end());
    std::vector<cod::MappingPoint> pts;
    std::vector<double> t{0.0}, z{0.0};
    for (double x : xs) {
      const double y = std::clamp(x - 0.12 * x * (1 - x) + N(rng), 0.0, 1.0);
      pts.push_back({x, y, false, ""});
      t.push_back(x);
      z.push_back(y);
    }
    t.push_back(1.0);
    z.push_back(1.0);
    const auto merged = cod::merge_mapping_points(pts);
    REQUIRE(merged.size() == xs.size());
    for (double l10 = -8; l10 <= 8; l10 += 2) {
      CAPTURE(l10);
      const double lambda = std::pow(10.0, l10);
      const cod::Mapping m = cod::fit_penalised_spline(merged, lambda);
      const auto ref = quad_reference(t, z, lambda);
      double err = 0.0;
      for (std::size_t i = 0; i < t.size(); ++i) err = std::max(err, std::abs(m(t[i]) - ref[i]));
      CHECK(err <= k.tol);
    }
  }
}

TEST_CASE("mapping: lambda capped at lambda_max says so") {
  const json g = load_golden();
  const auto& c = g["cases"][0];  // ladder8: its boundary lambda is 2.86e-5
  MappingOptions o;
  o.lambda_max = 1e-6;
  const cod::Mapping m = cod::fit_mapping(vec(c["inputs"]["x"]), vec(c["inputs"]["y"]), o);
  CHECK(m.status() == MappingStatus::Fitted);
  CHECK(std::abs(std::log10(m.lambda()) + 6.0) < 1e-9);
  CHECK(m.rmse() < 0.005);
  CHECK(m.reason().rfind("the RMSE still meets the threshold at lambda_max = 1e-06 (RMSE ", 0) == 0);
  // Inside the bounds no such reason.
  CHECK(cod::fit_mapping(vec(c["inputs"]["x"]), vec(c["inputs"]["y"])).reason().empty());
}
