// Tests of cod/mapping.hpp: parity with the SciPy reference (golden/mapping.json),
// the guarantees of every method, and the error messages.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cod/error.hpp"
#include "cod/mapping.hpp"
#include "mapping_test_util.hpp"

using namespace mapping_test;

// Spline parity. The reference judges monotonicity on a 1001-point grid; the engine by
// default judges it exactly (smallest slope of every piece). Both are checked: the grid
// mode must reproduce the reference to its own tolerances (curve 1e-6, rmse 1e-9,
// log10 lambda 1e-4); the exact mode to the project's bar (curve and log10 lambda 1e-4).
struct SplineParity {
  double curve = 0.0, log_lambda = 0.0, rmse = 0.0, min_slope = 1.0;
};

SplineParity spline_parity(int monotone_grid, double curve_tol, double rmse_tol) {
  const json g = load_golden();
  SplineParity worst;
  for (const auto& c : g["cases"]) {
    const std::string name = c["name"];
    CAPTURE(name);
    CAPTURE(monotone_grid);
    const auto x = vec(c["inputs"]["x"]), y = vec(c["inputs"]["y"]);
    const auto& ref = c["outputs"]["spline"];
    MappingOptions o;
    o.threshold = g["settings"]["T"].get<double>();
    o.monotone_grid = monotone_grid;
    const cod::Mapping m = cod::fit_mapping(x, y, o);

    const auto mx = vec(ref["merged_x"]), my = vec(ref["merged_y"]);
    REQUIRE(m.points().size() == mx.size());
    for (std::size_t i = 0; i < mx.size(); ++i) {
      CHECK(m.points()[i].x == mx[i]);
      CHECK(std::abs(m.points()[i].y - my[i]) < 1e-15);
    }

    const double dc = max_abs_diff(m.eval(vec(ref["curve"]["x"])), vec(ref["curve"]["y"]));
    const double dr = std::abs(m.rmse() - ref["rmse"].get<double>());
    worst.curve = std::max(worst.curve, dc);
    worst.rmse = std::max(worst.rmse, dr);
    worst.min_slope = std::min(worst.min_slope, m.min_slope());
    CHECK(dc < curve_tol);
    CHECK(dr < rmse_tol);
    CHECK(m.monotone_forced() == ref["monotone_forced"].get<bool>());
    CHECK_FALSE(m.interpolation_missed());
    CHECK(m.threshold() == 0.005);

    if (std::string(ref["status"]).rfind("line", 0) == 0) {
      // The reference reports lambda_hi = 1e8; the engine reports infinity and the exact line.
      CHECK(m.status() == MappingStatus::Line);
      CHECK(std::isinf(m.lambda()));
      CHECK(std::isinf(m.lambda_rmse()));
      CHECK(m.reason().find("already meets the threshold") != std::string::npos);
    } else {
      CHECK(m.status() == MappingStatus::Fitted);
      const double dl = std::abs(std::log10(m.lambda()) - std::log10(ref["lam"].get<double>()));
      const double dlr = std::abs(std::log10(m.lambda_rmse()) - std::log10(ref["lam_rmse_only"].get<double>()));
      worst.log_lambda = std::max({worst.log_lambda, dl, dlr});
      CHECK(dl < 1e-4);
      CHECK(dlr < 1e-4);
      CHECK(m.reason().empty() == !m.monotone_forced());
    }
  }
  return worst;
}

TEST_CASE("mapping: spline parity with the golden, reference (grid) monotonicity") {
  const SplineParity w = spline_parity(1001, 1e-6, 1e-9);
  MESSAGE("spline parity, grid-1001 monotonicity: max |curve - ref| = "
          << w.curve << ", max |log10 lambda - ref| = " << w.log_lambda << ", max |rmse - ref| = " << w.rmse
          << ", smallest exact slope = " << w.min_slope);
}

TEST_CASE("mapping: spline parity with the golden, exact monotonicity (default)") {
  const SplineParity w = spline_parity(0, 1e-4, 1e-4);
  CHECK(w.min_slope >= -1e-12);
  MESSAGE("spline parity, exact monotonicity: max |curve - ref| = "
          << w.curve << ", max |log10 lambda - ref| = " << w.log_lambda << ", max |rmse - ref| = " << w.rmse
          << ", smallest exact slope = " << w.min_slope);
}

TEST_CASE("mapping: quartic and pchip parity with the golden") {
  const json g = load_golden();
  double worst_q = 0.0, worst_p = 0.0;
  for (const auto& c : g["cases"]) {
    const std::string name = c["name"];
    CAPTURE(name);
    const auto x = vec(c["inputs"]["x"]), y = vec(c["inputs"]["y"]);
    const auto gx = vec(c["outputs"]["spline"]["curve"]["x"]);

    const auto& rq = c["outputs"]["quartic"];
    const cod::Mapping q = cod::fit_mapping(x, y, with(MappingMethod::Quartic));
    const double dq = max_abs_diff(q.eval(gx), vec(rq["curve_y"]));
    worst_q = std::max(worst_q, dq);
    CHECK(dq < 1e-6);
    CHECK(q.monotone_forced() == rq["monotone_constrained"].get<bool>());
    CHECK(q.monotone());

    const cod::Mapping p = cod::fit_mapping(x, y, with(MappingMethod::Pchip));
    const double dp = max_abs_diff(p.eval(gx), vec(c["outputs"]["pchip"]["curve_y"]));
    worst_p = std::max(worst_p, dp);
    CHECK(dp < 1e-12);
  }
  MESSAGE("quartic parity: max |curve - ref| = " << worst_q << "; pchip: " << worst_p);
}

namespace {

// The curve evaluated straight from breaks() and coefficients(), without eval's checks
// or clamping: an independent evaluator for the range and monotonicity properties.
double raw_curve(const cod::Mapping& m, double x) {
  const auto& b = m.breaks();
  std::size_t i = 0;
  while (i + 2 < b.size() && x >= b[i + 1]) ++i;
  const auto& c = m.coefficients()[i];
  const double d = x - b[i];
  double v = 0.0;
  for (int k = 4; k >= 0; --k) v = v * d + c[static_cast<std::size_t>(k)];
  return v;
}

bool merged_data_non_decreasing(const cod::Mapping& m) {
  double prev = 0.0;
  for (const auto& p : m.points()) {
    if (p.x <= 0.0 || p.x >= 1.0) continue;  // pchip replaces those by the endpoints
    if (p.y < prev) return false;
    prev = p.y;
  }
  return prev <= 1.0;
}

const MappingMethod kAll[] = {MappingMethod::Spline, MappingMethod::Identity, MappingMethod::Quartic,
                              MappingMethod::Pchip};

}  // namespace

TEST_CASE("mapping: every method stays in [0,1], is non-decreasing, and keeps the endpoints (random sets)") {
  std::mt19937_64 rng(20250214);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::normal_distribution<double> N(0.0, 1.0);
  int forced = 0, missed = 0, lines = 0, fitted = 0, pchip_bent = 0;
  for (int trial = 0; trial < 300; ++trial) {
    CAPTURE(trial);
    const int n = 1 + static_cast<int>(U(rng) * 12);
    const double noise = std::pow(10.0, -3.0 + 2.5 * U(rng));
    const double bend = 2.0 * U(rng) - 1.0;
    std::vector<double> x, y;
    for (int i = 0; i < n; ++i) {
      double xi = U(rng);
      const double r = U(rng);
      if (r < 0.05) xi = 0.0;
      else if (r < 0.08) xi = 1.0;
      else if (r < 0.2 && !x.empty()) xi = x.front();  // a tie
      const double base = xi + bend * xi * (1.0 - xi);
      x.push_back(xi);
      y.push_back(std::clamp(base + noise * N(rng), 0.0, 1.0));
    }
    for (MappingMethod method : kAll) {
      CAPTURE(cod::to_string(method));
      const cod::Mapping m = cod::fit_mapping(x, y, with(method));
      CHECK(std::abs(raw_curve(m, 0.0)) <= 1e-12);
      CHECK(std::abs(raw_curve(m, 1.0) - 1.0) <= 1e-12);
      CHECK(m(0.0) == 0.0);
      double prev = raw_curve(m, 0.0), lowest_step = 0.0, lo = 0.0, hi = 0.0;
      int eval_mismatch = 0;
      for (int i = 1; i <= 4000; ++i) {
        const double xi = i / 4000.0, v = raw_curve(m, xi);
        lowest_step = std::min(lowest_step, v - prev);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        prev = v;
        if (m(xi) != std::clamp(v, 0.0, 1.0)) ++eval_mismatch;
      }
      CHECK(eval_mismatch == 0);
      CHECK(lo >= -1e-12);
      CHECK(hi <= 1.0 + 1e-12);
      if (method == MappingMethod::Pchip && !merged_data_non_decreasing(m)) {
        // PCHIP interpolates: through data that go down, the curve goes down (and says so).
        ++pchip_bent;
        CHECK_FALSE(m.monotone());
        CHECK(lowest_step < 0.0);
        CHECK(m.reason().find("not non-decreasing") != std::string::npos);
        continue;
      }
      CHECK(m.monotone());
      CHECK(m.min_slope() >= -1e-12);
      CHECK(lowest_step >= -1e-12);
      if (method != MappingMethod::Spline) continue;

      // The spline's search: lambda is the boundary of the RMSE (or monotonicity) constraint.
      const double T = 0.005;
      switch (m.status()) {
        case MappingStatus::Line:
          ++lines;
          CHECK(std::isinf(m.lambda()));
          CHECK(m.rmse() <= T);
          break;
        case MappingStatus::InterpolationMissed:
          ++missed;
          CHECK(m.interpolation_missed());
          CHECK(m.lambda_rmse() == 1e-16);
          CHECK(m.rmse() > T);
          break;
        case MappingStatus::Fitted: {
          ++fitted;
          const double above = cod::fit_penalised_spline(m.points(), m.lambda_rmse() * (1.0 + 1e-8)).rmse();
          CHECK(above > T);
          if (!m.monotone_forced()) CHECK(m.rmse() <= T);
          break;
        }
        case MappingStatus::NoData: FAIL("points were given"); break;
      }
      if (m.monotone_forced()) {
        ++forced;
        CHECK(m.lambda() > m.lambda_rmse());
        if (std::isfinite(m.lambda())) {
          const cod::Mapping below = cod::fit_penalised_spline(m.points(), m.lambda() / (1.0 + 1e-8));
          CHECK(below.min_slope() < -1e-12);
        }
        CHECK(m.reason().find("monotonicity forced extra smoothing") != std::string::npos);
      } else if (std::isfinite(m.lambda())) {
        CHECK(m.lambda() == m.lambda_rmse());
      }
    }
  }
  MESSAGE("random sets: spline fitted " << fitted << ", line " << lines << ", interpolation missed " << missed
                                        << ", monotonicity forced " << forced << "; pchip through falling data "
                                        << pchip_bent);
  CHECK(forced > 0);
  CHECK(missed > 0);
  CHECK(lines > 0);
  CHECK(fitted > 0);
  CHECK(pchip_bent > 0);
}

TEST_CASE("mapping: fits are deterministic") {
  const std::vector<double> x{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, y{0.15, 0.3, 0.22, 0.45, 0.4, 0.62, 0.7};
  for (MappingMethod method : kAll) {
    const cod::Mapping a = cod::fit_mapping(x, y, with(method)), b = cod::fit_mapping(x, y, with(method));
    CHECK(a.breaks() == b.breaks());
    CHECK(a.coefficients() == b.coefficients());
    CHECK((a.lambda() == b.lambda() || (std::isnan(a.lambda()) && std::isnan(b.lambda()))));
    CHECK(a.rmse() == b.rmse());
  }
}

TEST_CASE("mapping: the penalised spline's limits") {
  const std::vector<cod::MergedPoint> pts = cod::merge_mapping_points(
      {{0.2, 0.1, false, ""}, {0.45, 0.5, false, ""}, {0.7, 0.6, false, ""}, {0.9, 0.95, false, ""}});
  // lambda -> 0 interpolates, lambda -> infinity is the line.
  const cod::Mapping interp = cod::fit_penalised_spline(pts, 1e-14);
  for (const auto& p : pts) CHECK(interp(p.x) == doctest::Approx(p.y).epsilon(1e-10));
  const cod::Mapping stiff = cod::fit_penalised_spline(pts, 1e12);
  for (double x = 0.0; x <= 1.0; x += 0.01) CHECK(std::abs(stiff(x) - x) < 1e-9);
  const cod::Mapping line = cod::fit_penalised_spline(pts, std::numeric_limits<double>::infinity());
  CHECK(line.status() == MappingStatus::Line);
  CHECK(line(0.37) == 0.37);
  // The RMSE grows with lambda (the search relies on it).
  double prev = 0.0;
  for (double l10 = -12; l10 <= 6; l10 += 0.5) {
    const double r = cod::fit_penalised_spline(pts, std::pow(10.0, l10)).rmse();
    CHECK(r >= prev - 1e-15);
    prev = r;
  }
  // The natural spline: second derivative zero at both ends; continuity of value,
  // slope and curvature at every knot.
  const cod::Mapping s = cod::fit_penalised_spline(pts, 1e-4);
  const auto& b = s.breaks();
  const auto& c = s.coefficients();
  REQUIRE(b.size() == 6);
  CHECK(c.front()[2] == 0.0);
  const double hl = b[b.size() - 1] - b[b.size() - 2];
  CHECK(std::abs(2.0 * c.back()[2] + 6.0 * c.back()[3] * hl) < 1e-9);
  for (std::size_t i = 0; i + 1 < c.size(); ++i) {
    const double h = b[i + 1] - b[i];
    CHECK(c[i][0] + c[i][1] * h + c[i][2] * h * h + c[i][3] * h * h * h == doctest::Approx(c[i + 1][0]));
    CHECK(c[i][1] + 2 * c[i][2] * h + 3 * c[i][3] * h * h == doctest::Approx(c[i + 1][1]));
    CHECK(2 * c[i][2] + 6 * c[i][3] * h == doctest::Approx(2 * c[i + 1][2]));
  }
}

TEST_CASE("mapping: merging, anchors and names") {
  const std::vector<cod::MappingPoint> pts{{0.3, 0.24, false, "m1"}, {0.6, 0.5, true, "anchorA"},
                                           {0.3, 0.26, true, "anchorB"}, {1e-13, 0.02, false, ""},
                                           {0.3 + 5e-13, 0.28, false, "m3"}};
  const auto merged = cod::merge_mapping_points(pts);
  REQUIRE(merged.size() == 3);
  CHECK(merged[0].x == 0.0);  // snapped to the endpoint
  CHECK(merged[0].y == 0.02);
  CHECK(merged[0].names.empty());
  CHECK(merged[1].count == 3);
  CHECK(merged[1].anchors == 1);
  CHECK(merged[1].y == doctest::Approx(0.26).epsilon(1e-15));
  CHECK(merged[1].x == doctest::Approx(0.3).epsilon(1e-12));
  CHECK(merged[1].names == std::vector<std::string>{"m1", "anchorB", "m3"});
  CHECK(merged[2].anchors == 1);
  CHECK(merged[2].names == std::vector<std::string>{"anchorA"});
  // Anchors are ordinary points for the fit: flags change nothing.
  std::vector<cod::MappingPoint> plain = pts;
  for (auto& p : plain) p.anchor = false, p.name.clear();
  CHECK(cod::fit_mapping(pts).coefficients() == cod::fit_mapping(plain).coefficients());
}

TEST_CASE("mapping: degenerate data") {
  SUBCASE("no data points: the line, with a reason (identity needs none)") {
    for (MappingMethod method : kAll) {
      CAPTURE(cod::to_string(method));
      const cod::Mapping m = cod::fit_mapping(std::vector<cod::MappingPoint>{}, with(method));
      CHECK(m.method() == method);
      CHECK(m(0.25) == 0.25);
      CHECK(std::isnan(m.rmse()));
      CHECK(m.points().empty());
      if (method == MappingMethod::Identity) {
        CHECK(m.status() == MappingStatus::Fitted);
        CHECK(m.reason().empty());
      } else {
        CHECK(m.status() == MappingStatus::NoData);
        CHECK(m.reason() == "no data points: the mapping is the line y = x");
      }
      CHECK(std::isinf(m.lambda()) == (method == MappingMethod::Spline));
    }
  }
  SUBCASE("even interpolation misses T: the endpoint constraint wins") {
    const cod::Mapping m = cod::fit_mapping({0.0, 0.5}, {0.1, 0.5});
    CHECK(m.status() == MappingStatus::InterpolationMissed);
    CHECK(m.interpolation_missed());
    CHECK(m.lambda() == 1e-16);
    CHECK(m.rmse() == doctest::Approx(std::sqrt(0.01 / 2)).epsilon(1e-9));
    CHECK(m(0.0) == 0.0);
    CHECK(m(0.5) == doctest::Approx(0.5).epsilon(1e-12));
    CHECK(m.reason() ==
          "even the smallest lambda searched (1e-16) misses the threshold 0.005: RMSE 0.07071067811865477");
  }
  SUBCASE("only endpoint data: the line whatever lambda") {
    const cod::Mapping ok = cod::fit_mapping({1.0}, {0.998});
    CHECK(ok.status() == MappingStatus::Line);
    CHECK(ok.rmse() == doctest::Approx(0.002));
    const cod::Mapping miss = cod::fit_mapping({1.0}, {0.9});
    CHECK(miss.status() == MappingStatus::InterpolationMissed);
    CHECK(miss(0.5) == 0.5);
  }
  SUBCASE("one and two interior points") {
    const cod::Mapping s1 = cod::fit_mapping({0.5}, {0.3});
    CHECK(s1.rmse() <= 0.005);
    CHECK(s1.monotone());
    // The quartic drops to the lowest degree the points determine and interpolates them.
    const cod::Mapping q1 = cod::fit_mapping({0.5}, {0.3}, with(MappingMethod::Quartic));
    CHECK(q1(0.5) == doctest::Approx(0.3).epsilon(1e-14));
    CHECK(q1.coefficients()[0][3] == 0.0);  // quadratic
    const cod::Mapping q2 = cod::fit_mapping({0.3, 0.6}, {0.2, 0.5}, with(MappingMethod::Quartic));
    CHECK(q2(0.3) == doctest::Approx(0.2).epsilon(1e-14));
    CHECK(q2(0.6) == doctest::Approx(0.5).epsilon(1e-14));
    CHECK(q2.coefficients()[0][4] == 0.0);  // cubic
    const cod::Mapping p1 = cod::fit_mapping({0.5}, {0.3}, with(MappingMethod::Pchip));
    CHECK(p1(0.5) == doctest::Approx(0.3).epsilon(1e-14));
    CHECK(p1.monotone());
  }
  SUBCASE("knots 1e-9 apart with a steep jump stay solvable and monotone") {
    const cod::Mapping m = cod::fit_mapping({0.5, 0.5 + 1e-9, 0.7}, {0.4, 0.6, 0.7});
    CHECK(m.monotone());
    CHECK(m.min_slope() >= -1e-12);
    CHECK(m(1.0) == 1.0);
  }
  SUBCASE("identity reports the RMSE of y = x") {
    const cod::Mapping m = cod::fit_mapping({0.2, 0.4}, {0.25, 0.35}, with(MappingMethod::Identity));
    CHECK(m.rmse() == doctest::Approx(0.05));
    CHECK(std::isnan(m.lambda()));
    CHECK(m(0.3) == 0.3);
  }
}

TEST_CASE("mapping: curve grid") {
  const cod::Mapping m = cod::fit_mapping({0.3, 0.6}, {0.2, 0.5});
  const auto [xs, ys] = m.curve(5);
  CHECK(xs == std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0});
  REQUIRE(ys.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(ys[i] == m(xs[i]));
}

TEST_CASE("mapping: bad input gives exact errors") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(message_of([&] { cod::fit_mapping({0.1, 0.2, nan}, {0.1, 0.2, 0.3}); }) ==
        "mapping: point 3 has x = nan (must be a number in [0, 1])");
  CHECK(message_of([&] { cod::fit_mapping({0.1, 0.2}, {0.1, -nan}); }) ==
        "mapping: point 2 has y = nan (must be a number in [0, 1])");
  CHECK(message_of([&] { cod::fit_mapping({0.1, inf}, {0.1, 0.2}); }) ==
        "mapping: point 2 has x = inf (must be a number in [0, 1])");
  CHECK(message_of([&] { cod::fit_mapping({0.1, 0.2}, {0.1, 1.5}); }) ==
        "mapping: point 2 has y = 1.5, outside [0, 1]");
  CHECK(message_of([&] { cod::fit_mapping({-0.25}, {0.1}); }) == "mapping: point 1 has x = -0.25, outside [0, 1]");
  CHECK(message_of([&] { cod::fit_mapping({0.1, 0.2, 0.3}, {0.1, 0.2}); }) == "mapping: x has 3 values but y has 2");
  CHECK(message_of([&] { cod::parse_mapping_method("cubic"); }) ==
        "mapping: unknown method 'cubic' (methods: spline, identity, quartic, pchip)");
  CHECK(cod::parse_mapping_method("pchip") == MappingMethod::Pchip);
  MappingOptions o;
  o.threshold = -1;
  CHECK(message_of([&] { cod::fit_mapping({0.1}, {0.1}, o); }) ==
        "mapping: threshold must be a finite number > 0, got -1");
  o.threshold = nan;
  CHECK(message_of([&] { cod::fit_mapping({0.1}, {0.1}, o); }) ==
        "mapping: threshold must be a finite number > 0, got nan");
  o = {};
  o.lambda_min = 1;
  o.lambda_max = 0.1;
  CHECK(message_of([&] { cod::fit_mapping({0.1}, {0.1}, o); }) ==
        "mapping: lambda bounds must satisfy 0 < lambda_min < lambda_max < inf, got 1 and 0.1");
  o = {};
  o.monotone_grid = 1;
  CHECK(message_of([&] { cod::fit_mapping({0.1}, {0.1}, o); }) ==
        "mapping: monotone_grid must be 0 (exact) or >= 2, got 1");
  const cod::Mapping m = cod::fit_mapping({0.5}, {0.4});
  CHECK(message_of([&] { m(1.5); }) == "mapping: cannot evaluate at x = 1.5: the mapping is defined on [0, 1]");
  CHECK(message_of([&] { m(nan); }) == "mapping: cannot evaluate at x = nan: the mapping is defined on [0, 1]");
  CHECK(message_of([&] { m.curve(1); }) == "mapping: curve needs n >= 2 grid points, got 1");
  CHECK(message_of([&] { cod::fit_penalised_spline(m.points(), 0.0); }) ==
        "mapping: lambda must be > 0 (or inf), got 0");
}
