// Scaling-law fits: golden parity, analytic gradients, options, bad input.

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "cod/error.hpp"
#include "cod/law.hpp"

using cod::law::FitOptions;
using cod::law::FitResult;

namespace {

nlohmann::json load_fits() {
  std::ifstream in(std::string(COD_TEST_DATA_DIR) + "/golden/fits.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// The paper's rule (SPEC §5) with the golden file's clause names; "" = passes.
std::string paper_verdict(const FitResult& r) {
  const double a = r.param("a"), b = r.param("b");
  const double c = r.has_param("c") ? r.param("c") : 0.0;
  if (!(a > 1.0)) return "a<=1";
  if (!(b > 0.1)) return "b<=0.1";
  if (c < 0.0) return "c<0";
  if (!(c < 1.0)) return "c>=1";
  return "";
}

const std::vector<double> kLadder = {40.00000000000001,  129.6092169305005, 419.96372783343844, 1360.7792475926433,
                                     4409.238317393953,  14286.948139434697, 46293.00401697,    150000.00000000003};

std::vector<double> cod_curve(double a, double b, double c, double g, const std::vector<double>& C) {
  std::vector<double> y;
  for (double x : C) y.push_back(g + (1 - g) * std::exp(-a * std::pow(x, -b) - c));
  return y;
}

}  // namespace

TEST_CASE("law: parity with golden/fits.json") {
  const auto gold = load_fits();
  int compared = 0, verdicts = 0;
  for (const auto& cs : gold["cases"]) {
    const std::string name = cs["name"];
    const auto C = cs["inputs"]["C"].get<std::vector<double>>();
    const auto y = cs["inputs"]["y"].get<std::vector<double>>();
    const double Ct = cs["inputs"]["C_target"];
    for (const auto& [form, out] : cs["outputs"].items()) {
      CAPTURE(name);
      CAPTURE(form);
      const FitResult r = cod::law::fit(form, C, y);
      REQUIRE(r.ok);
      CHECK(r.converged);
      CHECK(r.n == C.size());
      const double ref_sse = out["sse"];
      // The golden criterion: no worse than the reference by more than 1e-6 relative.
      CHECK(r.sse <= ref_sse * (1 + 1e-6) + 1e-12);
      ++compared;
      std::string verdict = paper_verdict(r);
      const std::string ref_verdict = out["rejected_by"].is_null() ? "" : out["rejected_by"].get<std::string>();
      if (name == "flat_near_g" && form == "cod") {
        // Degenerate: the optimum lies at infinity (six flat points fitted by
        // their mean, the last two exactly: SSE -> 1e-5). The reference's
        // trust-region runs stop at a local minimum (c = 0, SSE 1.0783e-5,
        // verdict "pass"); SLSQP follows the valley to c ~ 4.16 with SSE
        // 1.0000000005e-5, 7.3% lower, so the paper rule rejects it on c.
        CHECK(r.sse < ref_sse * (1 - 0.07));
        CHECK(r.sse >= 1e-5);
        CHECK(verdict == "c>=1");
        CHECK(ref_verdict.empty());
        continue;
      }
      CHECK(r.sse >= ref_sse * (1 - 1e-6) - 1e-12);  // a lower SSE would mean the reference missed
      CHECK(verdict == ref_verdict);
      CHECK(std::fabs(r.r2 - out["r2"].get<double>()) < 1e-9);
      ++verdicts;
      if (name == "flat_near_g") continue;  // degenerate: SSE and verdict only
      for (std::size_t i = 0; i < r.params.size(); ++i) {
        const std::string p = r.form->params[i];
        const double ref = out["params"][p];
        CAPTURE(p);
        if (std::fabs(ref) < 1e-9)
          CHECK(std::fabs(r.params[i]) < 1e-7);  // a bound (c = 0, g = 0) in both
        else
          CHECK(r.params[i] == doctest::Approx(ref).epsilon(1e-4));
      }
      CHECK(std::fabs(r.eval(Ct) - out["pred_at_target"].get<double>()) < 1e-5);
    }
  }
  CHECK(compared == 16);
  CHECK(verdicts == 15);
}

TEST_CASE("law: analytic gradients match central differences") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  for (const std::string name :
       {"cod", "f1", "f2", "f3", "bnsl", "bnsl2", "bnsl3", "bnsl4", "loss_power", "loss_sigmoid"}) {
    CAPTURE(name);
    auto form = cod::law::builtin_form(name);
    REQUIRE(form->analytic_gradient);
    const std::size_t P = form->fit_params.size();
    for (int trial = 0; trial < 20; ++trial) {
      // A point well inside the bounds (infinite bounds: a window around 0..3).
      std::vector<double> q(P);
      for (std::size_t i = 0; i < P; ++i) {
        const double lo = std::isfinite(form->lower[i]) ? form->lower[i] : -3.0;
        const double hi = std::isfinite(form->upper[i]) ? std::min(form->upper[i], lo + 6.0) : lo + 6.0;
        q[i] = lo + (0.05 + 0.9 * unif(rng)) * (hi - lo);
      }
      if (name == "cod" || name == "f1" || name == "f2" || name == "f3") {
        q[0] = 0.01 + 30 * unif(rng);  // u: the interesting range, not up to 1e4
        q[1] = 0.05 + 2 * unif(rng);
      }
      if (name.rfind("bnsl", 0) == 0) q[0] = 0.3 * unif(rng);  // floor below the error
      const double x = std::exp(-3 + 6 * unif(rng));
      std::vector<double> g(P);
      const double f = form->model(x, std::log(x), q.data(), g.data());
      auto at = [&](std::size_t i, double d) {
        std::vector<double> qq = q;
        qq[i] += d;
        return form->model(x, std::log(x), qq.data(), nullptr);
      };
      for (std::size_t i = 0; i < P; ++i) {
        CAPTURE(form->fit_params[i]);
        CAPTURE(trial);
        // Fourth-order central difference: truncation ~h^4, cancellation ~eps·|f|/h.
        const double h = 1e-4 * std::max(1.0, std::fabs(q[i]));
        const double num = (8 * (at(i, h) - at(i, -h)) - (at(i, 2 * h) - at(i, -2 * h))) / (12 * h);
        const double tol = 1e-7 * std::fabs(num) + 1e-10 * std::max(1.0, std::fabs(f));
        CHECK(std::fabs(g[i] - num) <= tol);
      }
    }
  }
}

TEST_CASE("law: every built-in form recovers a noise-free curve") {
  std::vector<double> C;
  for (int i = 0; i < 10; ++i) C.push_back(40 * std::pow(10.0, i * 0.4));
  SUBCASE("bnsl") {
    std::vector<double> y;
    auto err = [](double c) { return 0.05 + 0.8 * std::pow(c, -0.05) * std::pow(1 + std::pow(c / 3000, 1 / 0.3), -0.18); };
    for (double c : C) y.push_back(1 - err(c));
    const auto r = cod::law::fit("bnsl", C, y);
    REQUIRE(r.ok);
    CHECK(r.sse < 1e-20);
    CHECK(r.param("a") == doctest::Approx(0.05).epsilon(1e-6));
    CHECK(r.param("c1") == doctest::Approx(0.6).epsilon(1e-6));
    CHECK(r.param("d1") == doctest::Approx(3000).epsilon(1e-6));
    CHECK(r.param("f1") == doctest::Approx(0.3).epsilon(1e-6));
    CHECK(r.eval(1e7) == doctest::Approx(1 - err(1e7)).epsilon(1e-9));
  }
  SUBCASE("loss_power and loss_sigmoid") {
    std::vector<double> L, m;
    for (double c : C) L.push_back(1.7 + 9.0 * std::pow(c, -0.3));
    for (double l : L) m.push_back(0.25 + 0.75 / (1 + std::exp(4 * (l - 2.2))));
    const auto rl = cod::law::fit("loss_power", C, L);
    CHECK(rl.param("E") == doctest::Approx(1.7).epsilon(1e-8));
    CHECK(rl.param("A") == doctest::Approx(9.0).epsilon(1e-8));
    CHECK(rl.param("alpha") == doctest::Approx(0.3).epsilon(1e-8));
    const auto rs = cod::law::fit("loss_sigmoid", L, m);
    CHECK(rs.param("g") == doctest::Approx(0.25).epsilon(1e-8));
    CHECK(rs.param("k") == doctest::Approx(4.0).epsilon(1e-8));
    CHECK(rs.param("L0") == doctest::Approx(2.2).epsilon(1e-8));
    CHECK(rs.eval(2.2) == doctest::Approx(0.625).epsilon(1e-12));
  }
}

TEST_CASE("law: fixed parameters, bounds and caps") {
  const auto y = cod_curve(6, 0.3, 0.1, 0.25, kLadder);
  SUBCASE("a known random-guess rate") {
    FitOptions o;
    o.fixed["g"] = 0.25;
    const auto r = cod::law::fit("cod", kLadder, y, o);
    CHECK(r.param("g") == 0.25);
    CHECK(r.fixed == std::vector<bool>{false, false, false, true});
    CHECK(r.free == 3);
    CHECK(r.param("a") == doctest::Approx(6).epsilon(1e-7));
    CHECK(r.param("b") == doctest::Approx(0.3).epsilon(1e-7));
    CHECK(r.param("c") == doctest::Approx(0.1).epsilon(1e-6));
  }
  SUBCASE("a caller's bound binds") {
    FitOptions o;
    o.upper["b"] = 0.2;
    const auto r = cod::law::fit("cod", kLadder, y, o);
    CHECK(r.param("b") <= 0.2);
    CHECK(r.param("b") == doctest::Approx(0.2).epsilon(1e-9));
    CHECK(r.sse > 1e-8);
  }
  SUBCASE("the SPEC caps hold on a step-like cluster") {
    // Zero until the last model, then a jump: the optimum is at infinity.
    const std::vector<double> step = {0, 0, 0, 0, 0, 0, 0, 0.6};
    for (const std::string form : {"cod", "f1", "f2", "f3"}) {
      CAPTURE(form);
      const auto r = cod::law::fit(form, kLadder, step);
      REQUIRE(r.ok);
      CHECK(r.fit_params[0] <= 1e4);
      CHECK(r.fit_params[0] >= 0);
      CHECK(r.param("b") <= 10);
      CHECK(r.param("a") == doctest::Approx(r.fit_params[0] * std::pow(r.c_ref, r.param("b"))).epsilon(1e-12));
      if (r.has_param("c")) CHECK(r.param("c") <= 20);
      if (r.has_param("g")) CHECK(r.param("g") <= 1 - 1e-9);
    }
  }
  SUBCASE("C_ref is the geometric mean of the ladder") {
    const auto r = cod::law::fit("f3", kLadder, y);
    CHECK(r.c_ref == doctest::Approx(std::sqrt(40.0 * 150000.0)).epsilon(1e-12));
  }
  SUBCASE("weights: a zero weight removes a point") {
    auto y2 = y;
    y2[3] = 0.9;  // an outlier, weighted out
    FitOptions o;
    o.weights = {1, 1, 1, 0, 1, 1, 1, 1};
    const auto r = cod::law::fit("cod", kLadder, y2, o);
    CHECK(r.sse < 1e-18);
    CHECK(r.param("a") == doctest::Approx(6).epsilon(1e-6));
  }
}

TEST_CASE("law: deterministic") {
  const std::vector<double> y = {0.1797, 0.2024, 0.2458, 0.2672, 0.2765, 0.2961, 0.3044, 0.2999};
  const auto r1 = cod::law::fit("cod", kLadder, y);
  const auto r2 = cod::law::fit("cod", kLadder, y);
  CHECK(r1.fit_params == r2.fit_params);
  CHECK(r1.sse == r2.sse);
  CHECK(r1.evaluations == r2.evaluations);
}

TEST_CASE("law: outcomes with a reason") {
  SUBCASE("too few points") {
    const auto r = cod::law::fit("cod", {1, 10, 100}, {0.2, 0.3, 0.5});
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "too few points: 3 for 4 free parameters");
    CHECK(r.status == "not_run");
    CHECK_FALSE(r.converged);
    CHECK_THROWS_WITH_AS(r.eval(5), "cannot evaluate a failed fit of form 'cod': too few points: 3 for 4 free parameters",
                         cod::Error);
    FitOptions o;
    o.fixed["g"] = 0.1;  // three free parameters: three points suffice
    CHECK(cod::law::fit("cod", {1, 10, 100}, {0.2, 0.3, 0.5}, o).ok);
  }
  SUBCASE("constant y") {
    const auto r = cod::law::fit("f3", kLadder, std::vector<double>(8, 0.25));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "y is constant (0.25 at all 8 points): no curve to fit");
  }
}

TEST_CASE("law: bad input raises with the numbers") {
  const std::vector<double> y = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", {1, 2, 3}, y), "C has 3 values but y has 8", cod::Error);
  auto bad = y;
  bad[2] = std::nan("");
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, bad), "y at point 3 of 8 is NaN", cod::Error);
  bad[2] = 1.5;
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, bad), "y at point 3 of 8 is 1.5, outside [0, 1] (form 'cod')",
                       cod::Error);
  bad[2] = -0.1;
  CHECK_THROWS_WITH_AS(cod::law::fit("f1", kLadder, bad), "y at point 3 of 8 is -0.1, outside [0, 1] (form 'f1')",
                       cod::Error);
  bad[2] = HUGE_VAL;
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, bad), "y at point 3 of 8 is inf (must be finite)", cod::Error);
  auto ones = y;
  ones[7] = 1.0;
  CHECK_THROWS_WITH_AS(cod::law::fit("bnsl", kLadder, ones),
                       "y at point 8 of 8 is 1, outside [0, 1) (form 'bnsl' fits log(1 - y))", cod::Error);
  CHECK_THROWS_WITH_AS(cod::law::fit("loss_power", kLadder, {3, 2, 1, 0, 1, 1, 1, 1}),
                       "y at point 4 of 8 is 0, must be > 0 (form 'loss_power')", cod::Error);
  auto C = kLadder;
  C[0] = 0;
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", C, y), "C at point 1 of 8 is 0, must be positive and finite", cod::Error);
  C[0] = -5;
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", C, y), "C at point 1 of 8 is -5, must be positive and finite", cod::Error);
  C[0] = std::nan("");
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", C, y), "C at point 1 of 8 is NaN", cod::Error);
  CHECK_THROWS_WITH_AS(cod::law::fit("loss_sigmoid", {1, -2, 3}, {0.1, 0.2, 0.3}),
                       "L at point 2 of 3 is -2, must be positive and finite", cod::Error);
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", {}, {}), "no points to fit", cod::Error);
  CHECK_THROWS_WITH_AS(cod::law::fit("nope", kLadder, y),
                       "unknown form 'nope' (built-in forms: cod, f1, f2, f3, bnsl, loss_power, loss_sigmoid, bnslK "
                       "for K breaks)",
                       cod::Error);
  FitOptions o;
  o.weights = {1, 1};
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, y, o), "weights has 2 values but y has 8", cod::Error);
  o.weights = {1, 1, 1, -1, 1, 1, 1, 1};
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, y, o), "weight at point 4 of 8 is -1, must be finite and >= 0",
                       cod::Error);
  o.weights = std::vector<double>(8, 0.0);
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, y, o), "all weights are 0", cod::Error);
  FitOptions f;
  f.fixed["a"] = 2;
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, y, f),
                       "cannot fix 'a': not a fit parameter of form 'cod' (fit parameters: u, b, c, g)", cod::Error);
  FitOptions g;
  g.fixed["g"] = 1;
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, y, g), "fixed g = 1 is outside its bounds [0, 0.999999999]", cod::Error);
  FitOptions b;
  b.lower["c"] = 3;
  b.upper["c"] = 2;
  CHECK_THROWS_WITH_AS(cod::law::fit("cod", kLadder, y, b), "bounds of 'c' are empty: [3, 2]", cod::Error);
  FitOptions q;
  q.upper["zz"] = 2;
  CHECK_THROWS_WITH_AS(cod::law::fit("f3", kLadder, y, q),
                       "cannot bound 'zz': not a fit parameter of form 'f3' (fit parameters: u, b)", cod::Error);
}

TEST_CASE("law: a user form with numerical gradients, and its exceptions") {
  auto form = std::make_shared<cod::law::Form>();
  form->name = "mine";
  form->params = form->fit_params = {"a", "b"};
  form->lower = {0, 0};
  form->upper = {HUGE_VAL, 5};
  form->domain = cod::law::YDomain::Finite;
  form->thread_safe = false;
  long calls = 0;
  long fail_at = -1;
  form->model = [&](double x, double, const double* p, double*) {
    if (++calls == fail_at) throw cod::Error("boom in the model");
    return p[0] * std::pow(x, -p[1]);
  };
  std::vector<double> C = {1, 2, 4, 8, 16}, y;
  for (double c : C) y.push_back(3 * std::pow(c, -0.5));
  FitOptions o;
  o.starts = {{1, 1}};
  const auto r = cod::law::fit(form, C, y, o);
  REQUIRE(r.ok);
  CHECK(r.param("a") == doctest::Approx(3).epsilon(1e-6));
  CHECK(r.param("b") == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(r.eval(4) == doctest::Approx(1.5).epsilon(1e-6));

  // Thrown well inside the NLopt run: the same exception comes out of fit().
  calls = 0;
  fail_at = 100;
  CHECK_THROWS_WITH_AS(cod::law::fit(form, C, y, o), "boom in the model", cod::Error);
  // Thrown while the start grid is scored (before NLopt).
  calls = 0;
  fail_at = 2;
  CHECK_THROWS_WITH_AS(cod::law::fit(form, C, y, o), "boom in the model", cod::Error);
  fail_at = -1;
  cod::law::FitOptions none;
  CHECK_THROWS_WITH_AS(cod::law::fit(form, C, y, none), "form 'mine' has no start points", cod::Error);
}

TEST_CASE("law: the fast grid scorer agrees with the model") {
  const std::vector<double> y = {0.1797, 0.2024, 0.2458, 0.2672, 0.2765, 0.2961, 0.3044, 0.2999};
  const std::vector<double> w = {1, 2, 0.5, 1, 1, 3, 1, 0};
  const double c_ref = cod::law::geometric_mean(kLadder);
  std::vector<double> x, lnx;
  for (double c : kLadder) {
    x.push_back(c / c_ref);
    lnx.push_back(std::log(c / c_ref));
  }
  for (const std::string name : {"cod", "f1", "f2", "f3"}) {
    CAPTURE(name);
    const auto form = cod::law::builtin_form(name);
    REQUIRE(form->grid);
    REQUIRE(form->grid_sse);
    const auto axes = form->grid(x, y);
    std::size_t total = 1;
    for (const auto& ax : axes) total *= ax.size();
    std::vector<double> fast(total);
    form->grid_sse(axes, lnx, y, w, fast);
    for (std::size_t k = 0; k < total; ++k) {
      std::vector<double> q(axes.size());
      std::size_t rest = k;
      for (std::size_t i = axes.size(); i-- > 0;) {
        q[i] = axes[i][rest % axes[i].size()];
        rest /= axes[i].size();
      }
      double s = 0;
      for (std::size_t j = 0; j < x.size(); ++j) {
        const double r = y[j] - form->model(x[j], lnx[j], q.data(), nullptr);
        s += w[j] * r * r;
      }
      CHECK(fast[k] == doctest::Approx(s).epsilon(1e-12));
    }
  }
}
