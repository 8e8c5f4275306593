// Fitting every cluster of a labelled item set, and the subset extrapolation.

#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "cod/error.hpp"
#include "cod/extrapolate.hpp"
#include "cod/law.hpp"

namespace {

const std::vector<double> kLadder = {40, 129.6, 420, 1360.8, 4409.2, 14287, 46293, 150000};

// Items of three clusters (curves with different a) plus unclustered noise.
struct Set {
  cod::Matrix P;
  cod::Labels labels;
};

Set make_set() {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> jitter(-0.02, 0.02);
  const double as[3] = {3, 8, 20};
  Set s;
  const int per = 30;
  s.P.resize(3 * per + 5, static_cast<Eigen::Index>(kLadder.size()));
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < per; ++i) {
      const int row = k * per + i;
      s.labels.push_back(k == 1 ? 7 : k);  // labels need not be contiguous
      for (std::size_t j = 0; j < kLadder.size(); ++j) {
        const double v = 0.25 + 0.75 * std::exp(-as[k] * std::pow(kLadder[j], -0.3) - 0.05);
        s.P(row, static_cast<Eigen::Index>(j)) = std::clamp(v + jitter(rng), 0.0, 1.0);
      }
    }
  for (int i = 0; i < 5; ++i) {
    s.labels.push_back(-1);
    for (std::size_t j = 0; j < kLadder.size(); ++j) s.P(3 * per + i, static_cast<Eigen::Index>(j)) = 0.5;
  }
  return s;
}

}  // namespace

TEST_CASE("law: fit_clusters means, order and threads") {
  const Set s = make_set();
  const auto form = cod::law::builtin_form("cod");
  const auto one = cod::law::fit_clusters(form, s.P, s.labels, kLadder, {}, 1);
  REQUIRE(one.size() == 3);
  CHECK(one[0].label == 0);
  CHECK(one[1].label == 2);
  CHECK(one[2].label == 7);
  for (const auto& cf : one) CHECK(cf.size == 30);
  // The mean pass rate per model, then an independent fit of it.
  for (std::size_t j = 0; j < kLadder.size(); ++j) {
    double m = 0;
    for (int i = 60; i < 90; ++i) m += s.P(i, static_cast<Eigen::Index>(j));
    CHECK(one[1].y[j] == doctest::Approx(m / 30).epsilon(1e-14));
  }
  const auto direct = cod::law::fit(form, kLadder, one[1].y);
  CHECK(one[1].fit.fit_params == direct.fit_params);
  // Threads change nothing.
  const auto two = cod::law::fit_clusters(form, s.P, s.labels, kLadder, {}, 2);
  for (std::size_t k = 0; k < 3; ++k) {
    CHECK(two[k].fit.fit_params == one[k].fit.fit_params);
    CHECK(two[k].fit.sse == one[k].fit.sse);
  }
  // A harder curve (larger a) has a larger fitted a.
  CHECK(one[0].fit.param("a") < one[2].fit.param("a"));
  CHECK(one[2].fit.param("a") < one[1].fit.param("a"));
}

TEST_CASE("law: fit_clusters bad input") {
  const Set s = make_set();
  const auto form = cod::law::builtin_form("cod");
  cod::Labels short_labels(s.labels.begin(), s.labels.end() - 1);
  CHECK_THROWS_WITH_AS(cod::law::fit_clusters(form, s.P, short_labels, kLadder),
                       "labels has 94 values but the pass-rate matrix has 95 items (rows)", cod::Error);
  CHECK_THROWS_WITH_AS(cod::law::fit_clusters(form, s.P, s.labels, {1, 2, 3}),
                       "compute has 3 values but the pass-rate matrix has 8 models (columns)", cod::Error);
  auto bad = s.labels;
  bad[4] = -2;
  CHECK_THROWS_WITH_AS(cod::law::fit_clusters(form, s.P, bad, kLadder),
                       "label -2 of item 5 is invalid (cluster ids are >= 0, -1 = not in a cluster)", cod::Error);
  cod::Matrix P = s.P;
  P(3, 2) = std::nan("");
  CHECK_THROWS_WITH_AS(cod::law::fit_clusters(form, P, s.labels, kLadder),
                       "pass rate of item 4, model 3 is nan, outside [0, 1]", cod::Error);
  P(3, 2) = 1.5;
  CHECK_THROWS_WITH_AS(cod::law::fit_clusters(form, P, s.labels, kLadder),
                       "pass rate of item 4, model 3 is 1.5, outside [0, 1]", cod::Error);
  auto C = kLadder;
  C[1] = 0;
  CHECK_THROWS_WITH_AS(cod::law::fit_clusters(form, s.P, s.labels, C, {}, 2),
                       "C at point 2 of 8 is 0, must be positive and finite", cod::Error);
  CHECK_THROWS_WITH_AS(cod::law::fit_clusters(form, s.P, s.labels, kLadder, {}, 0), "threads must be >= 1, got 0",
                       cod::Error);
  // No cluster at all is not an error: nothing to fit.
  CHECK(cod::law::fit_clusters(form, s.P, cod::Labels(95, -1), kLadder).empty());
}

TEST_CASE("extrapolate: size-weighted subset prediction") {
  const Set s = make_set();
  const auto fits = cod::law::fit_clusters(cod::law::builtin_form("cod"), s.P, s.labels, kLadder);
  const double Ct = 3.8e6;
  const auto ex = cod::extrapolate(fits, {true, false, true}, Ct);
  REQUIRE(ex.ok);
  CHECK(ex.reason.empty());
  CHECK(ex.size == 60);
  const double p0 = fits[0].fit.eval(Ct), p1 = fits[1].fit.eval(Ct), p2 = fits[2].fit.eval(Ct);
  CHECK(ex.value == doctest::Approx((30 * p0 + 30 * p2) / 60).epsilon(1e-15));
  REQUIRE(ex.clusters.size() == 3);
  CHECK(ex.clusters[1].prediction == p1);  // kept although not extrapolatable
  CHECK_FALSE(ex.clusters[1].extrapolatable);
  CHECK(ex.clusters[2].label == 7);

  const auto none = cod::extrapolate(fits, {false, false, false}, Ct);
  CHECK_FALSE(none.ok);
  CHECK(none.reason == "no extrapolatable cluster");
  CHECK(std::isnan(none.value));
  CHECK(none.clusters.size() == 3);
  CHECK(cod::extrapolate({}, {}, Ct).reason == "no clusters to extrapolate");

  CHECK_THROWS_WITH_AS(cod::extrapolate(fits, {true}, Ct), "1 verdicts for 3 clusters", cod::Error);
  CHECK_THROWS_WITH_AS(cod::extrapolate(fits, {true, true, true}, 0),
                       "target compute must be positive and finite, got 0", cod::Error);
  auto broken = fits;
  broken[0].fit = cod::law::fit("cod", {1, 2}, {0.1, 0.2});  // too few points
  CHECK_THROWS_WITH_AS(cod::extrapolate(broken, {true, false, false}, Ct),
                       "cluster 0 is marked extrapolatable but its fit failed: too few points: 2 for 4 free parameters",
                       cod::Error);
  const auto skip = cod::extrapolate(broken, {false, true, false}, Ct);
  CHECK(std::isnan(skip.clusters[0].prediction));
  CHECK(skip.value == doctest::Approx(p1).epsilon(1e-15));
}
