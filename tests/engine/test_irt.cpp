// The joint item-response fit (irt.hpp): the analytic gradient against central differences,
// recovery of known abilities and difficulties from simulated 0/1 answers, determinism, errors,
// and the extrapolation of abilities in log-compute.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "cod/error.hpp"
#include "cod/irt.hpp"
#include "cod/synth.hpp"

namespace {

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

struct Simulated {
  cod::Matrix Y;
  std::vector<double> theta, b, a;
};

// 0/1 answers of `m` models with abilities evenly spread in [-2, 2] to `n` items (b ~ U[-2.5, 2.5], a ~ U[0.7, 1.5]).
Simulated simulate(int n, int m, std::uint64_t seed) {
  cod::SynthRng rng(seed);
  Simulated s;
  s.Y.resize(n, m);
  for (int j = 0; j < m; ++j) s.theta.push_back(-2 + 4.0 * j / (m - 1));
  for (int i = 0; i < n; ++i) {
    s.b.push_back(-2.5 + 5 * rng.uniform());
    s.a.push_back(0.7 + 0.8 * rng.uniform());
    for (int j = 0; j < m; ++j) {
      const double p = 1 / (1 + std::exp(-s.a.back() * (s.theta[static_cast<std::size_t>(j)] - s.b.back())));
      s.Y(i, j) = rng.uniform() < p ? 1.0 : 0.0;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("irt: the analytic gradient matches central differences (with and without weights)") {
  const Simulated s = simulate(30, 6, 7);
  cod::Matrix W = cod::Matrix::Constant(30, 6, 1.0);
  W(3, 2) = 5;
  W(10, 0) = 0;
  cod::SynthRng rng(3);
  std::vector<double> x(6 + 2 * 30);
  for (double& v : x) v = rng.normal() * 0.7;
  for (const cod::Matrix* w : {static_cast<const cod::Matrix*>(nullptr), static_cast<const cod::Matrix*>(&W)}) {
    const cod::Matrix weights = w ? *w : cod::Matrix();
    std::vector<double> g;
    cod::irt_objective(s.Y, weights, cod::IrtOptions{}, x, &g);
    for (std::size_t k = 0; k < x.size(); ++k) {
      const double h = 1e-6;
      std::vector<double> xp = x, xm = x;
      xp[k] += h;
      xm[k] -= h;
      const double fd = (cod::irt_objective(s.Y, weights, cod::IrtOptions{}, xp, nullptr) -
                         cod::irt_objective(s.Y, weights, cod::IrtOptions{}, xm, nullptr)) / (2 * h);
      CHECK(g[k] == doctest::Approx(fd).epsilon(1e-5));
    }
  }
}

TEST_CASE("irt: abilities and difficulties are recovered from 0/1 answers; curves are smooth and deterministic") {
  const Simulated s = simulate(2000, 10, 11);
  const cod::IrtFit fit = cod::fit_irt(s.Y, cod::Matrix(), cod::IrtOptions{});
  CHECK(fit.converged);
  REQUIRE(fit.ability.size() == 10);
  for (std::size_t j = 1; j < 10; ++j) CHECK(fit.ability[j] > fit.ability[j - 1]);  // the ladder's order
  CHECK(correlation(fit.ability, s.theta) > 0.99);
  CHECK(correlation(fit.difficulty, s.b) > 0.85);  // ten 0/1 answers per item bound this
  // The point of the fit: each item's curve is far closer to its true probabilities than its 0/1 answers.
  double err_curve = 0, err_raw = 0;
  for (Eigen::Index i = 0; i < s.Y.rows(); ++i)
    for (Eigen::Index j = 0; j < s.Y.cols(); ++j) {
      const auto ii = static_cast<std::size_t>(i);
      const double p = 1 / (1 + std::exp(-s.a[ii] * (s.theta[static_cast<std::size_t>(j)] - s.b[ii])));
      err_curve += std::abs(fit.curves(i, j) - p);
      err_raw += std::abs(s.Y(i, j) - p);
    }
  MESSAGE("mean |curve - p| = ", err_curve / s.Y.size(), ", mean |answer - p| = ", err_raw / s.Y.size());
  CHECK(err_curve < 0.4 * err_raw);
  // Curves are increasing in ability for every item (slopes are positive by construction).
  for (Eigen::Index i = 0; i < fit.curves.rows(); i += 97)
    for (Eigen::Index j = 1; j < 10; ++j) CHECK(fit.curves(i, j) > fit.curves(i, j - 1));
  // Mean curve reproduces each model's accuracy closely (a calibrated fit).
  for (Eigen::Index j = 0; j < 10; ++j) CHECK(fit.curves.col(j).mean() == doctest::Approx(s.Y.col(j).mean()).epsilon(0.03));
  const cod::IrtFit again = cod::fit_irt(s.Y, cod::Matrix(), cod::IrtOptions{});
  CHECK(again.objective == fit.objective);
  CHECK(again.curves == fit.curves);
}

TEST_CASE("irt: extrapolation reads the ability line at the target's log-compute") {
  cod::IrtFit fit;
  fit.ability = {-1, 0, 1};
  fit.difficulty = {0, 2};
  fit.slope = {1, 2};
  const cod::IrtExtrapolation e = cod::extrapolate_irt(fit, {1, 10, 100}, 1000);
  CHECK(e.slope == doctest::Approx(1 / std::log(10.0)));
  CHECK(e.ability == doctest::Approx(2));
  CHECK(e.items[0] == doctest::Approx(1 / (1 + std::exp(-2.0))));
  CHECK(e.items[1] == doctest::Approx(0.5));
  CHECK(e.metric == doctest::Approx((e.items[0] + e.items[1]) / 2));
  CHECK_THROWS_WITH_AS(cod::extrapolate_irt(fit, {5, 5, 5}, 10), doctest::Contains("does not vary"), cod::Error);
  CHECK_THROWS_WITH_AS(cod::extrapolate_irt(fit, {1, 2}, 10), doctest::Contains("2 compute values for 3 models"),
                       cod::Error);
}

TEST_CASE("irt: bad inputs are errors with the numbers") {
  cod::Matrix Y = cod::Matrix::Zero(3, 1);
  CHECK_THROWS_WITH_AS(cod::fit_irt(Y, cod::Matrix(), {}), doctest::Contains("at least 1 item and 2 models, got 3 x 1"),
                       cod::Error);
  Y = cod::Matrix::Zero(3, 2);
  Y(1, 1) = 1.5;
  CHECK_THROWS_WITH_AS(cod::fit_irt(Y, cod::Matrix(), {}), doctest::Contains("values must be in [0, 1]"), cod::Error);
  Y(1, 1) = 1;
  CHECK_THROWS_WITH_AS(cod::fit_irt(Y, cod::Matrix::Ones(2, 2), {}), doctest::Contains("weights are 2 x 2, expected 3 x 2"),
                       cod::Error);
  cod::IrtOptions opt;
  opt.slope_sd = 0;
  CHECK_THROWS_WITH_AS(cod::fit_irt(Y, cod::Matrix(), opt), doctest::Contains("prior sds must be positive"), cod::Error);
}
