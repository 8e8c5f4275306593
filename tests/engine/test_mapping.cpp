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

namespace {

using cod::MappingMethod;
using cod::MappingOptions;
using cod::MappingStatus;
using nlohmann::json;

json load_golden() {
  std::ifstream in(std::string(COD_TEST_DATA_DIR) + "/golden/mapping.json");
  REQUIRE(in.good());
  return json::parse(in);
}

std::vector<double> vec(const json& j) { return j.get<std::vector<double>>(); }

MappingOptions with(MappingMethod m) {
  MappingOptions o;
  o.method = m;
  return o;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// Exact error message of a call.
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const cod::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

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
