// The data model's operations: compute, selection, features, zero items,
// checkpoint smoothing, metrics.
#include <doctest/doctest.h>

#include <cmath>

#include "cod/dataset.hpp"
#include "cod/error.hpp"

namespace {

cod::Model model(const std::string& name, double params, double tokens, cod::Role role = cod::Role::none) {
  cod::Model m;
  m.name = name;
  m.params = params;
  m.tokens = tokens;
  m.role = role;
  return m;
}

// Four ladder models (out of compute order), a target and an anchor; one set of 4 items.
cod::Dataset small_dataset() {
  cod::Dataset ds;
  ds.models = {model("m3", 3e8, 1e10), model("m1", 1e8, 1e10), model("m2", 2e8, 1e10), model("m4", 4e8, 1e10),
               model("big", 1e10, 1e11, cod::Role::target), model("ext", 5e9, 1e11, cod::Role::anchor)};
  cod::EvalSet s;
  s.name = "set";
  s.items = {"a", "b", "c", "d"};
  s.models = {0, 1, 2, 3, 4, 5};
  s.pass.resize(4, 6);
  // columns: m3 m1 m2 m4 big ext
  s.pass << 0.3, 0.1, 0.2, 0.4, 0.9, 0.8,  //
      0.0, 0.0, 0.0, 0.0, 0.5, 0.1,        // zero on the ladder, not for the target
      1.0, 1.0, 1.0, 1.0, 1.0, 1.0,        //
      0.0, 0.0, 0.0, 0.1, 0.2, 0.2;
  ds.sets.push_back(s);
  return ds;
}

}  // namespace

TEST_CASE("compute is 6ND unless compute_flops is given, in units of compute_unit") {
  cod::Model m = model("x", 1e9, 2e10);
  CHECK(m.flops() == doctest::Approx(1.2e20));
  m.compute_flops = 5e19;
  CHECK(m.flops() == 5e19);
  cod::Dataset ds;
  ds.models = {model("x", 1e9, 2e10)};
  CHECK(ds.compute(0) == doctest::Approx(120.0));
  ds.compute_unit = 1e21;
  CHECK(ds.compute(0) == doctest::Approx(0.12));
  ds.models[0].tokens = cod::kUnknown;
  CHECK_THROWS_WITH_AS(ds.compute(0), "model 'x' has no positive compute (give compute_flops or params and tokens)",
                       cod::Error);
}

TEST_CASE("roles parse and print") {
  CHECK(cod::parse_role("anchor") == cod::Role::anchor);
  CHECK(cod::parse_role("") == cod::Role::none);
  CHECK(std::string(cod::role_name(cod::Role::target)) == "target");
  CHECK_THROWS_WITH_AS(cod::parse_role("teacher"), "unknown role 'teacher' (expected ladder, target, anchor or empty)",
                       cod::Error);
}

TEST_CASE("default selection: target by role, anchors by role, ladder below the target ordered by compute") {
  const auto ds = small_dataset();
  const auto sel = cod::select_models(ds, {});
  REQUIRE(sel.target);
  CHECK(*sel.target == 4);
  CHECK(sel.anchors == std::vector<std::size_t>{5});
  CHECK(sel.ladder == std::vector<std::size_t>{1, 2, 0, 3});
}

TEST_CASE("explicit selection and its errors") {
  const auto ds = small_dataset();
  cod::SelectionRequest req;
  req.target = "m4";
  req.explicit_anchors = true;  // no anchors
  auto sel = cod::select_models(ds, req);
  CHECK(*sel.target == 3);
  CHECK(sel.anchors.empty());
  CHECK(sel.ladder == std::vector<std::size_t>{1, 2, 0});

  req = {};
  req.target = "nope";
  CHECK_THROWS_WITH_AS(cod::select_models(ds, req), "unknown model 'nope' (models: m3, m1, m2, m4, big, ext)",
                       cod::Error);
  req = {};
  req.ladder = {"m1", "ext"};
  req.anchors = {"ext"};
  CHECK_THROWS_WITH_AS(cod::select_models(ds, req), "model 'ext' is both a ladder model and an anchor", cod::Error);
  req = {};
  req.ladder = {"m1", "big"};
  CHECK_THROWS_WITH_AS(cod::select_models(ds, req), "the target 'big' is also a ladder model", cod::Error);
  req = {};
  req.target = "m1";
  CHECK_THROWS_WITH_AS(cod::select_models(ds, req),
                       "the ladder has 0 model(s); at least 2 are needed (default ladder: models with less "
                       "compute than the target 'm1')",
                       cod::Error);
  req = {};
  req.ladder = {"m1", "m1"};
  CHECK_THROWS_WITH_AS(cod::select_models(ds, req), "the ladder names a model twice", cod::Error);
}

TEST_CASE("features use ladder models only, in the given order; zero items are found on the ladder") {
  const auto ds = small_dataset();
  const auto sel = cod::select_models(ds, {});
  const cod::Matrix X = cod::features(ds.sets[0], sel.ladder);
  REQUIRE(X.rows() == 4);
  REQUIRE(X.cols() == 4);
  CHECK(X(0, 0) == 0.1);
  CHECK(X(0, 3) == 0.4);
  CHECK(X(3, 3) == 0.1);
  CHECK(cod::zero_items(X) == std::vector<int>{1});
  cod::EvalSet partial = ds.sets[0];
  partial.models = {0, 1};
  partial.pass = partial.pass.leftCols(2).eval();
  CHECK_THROWS_AS(cod::features(partial, sel.ladder), cod::Error);
}

TEST_CASE("metrics: mean pass rate, subsets, scores override the full-set metric") {
  auto ds = small_dataset();
  const auto& s = ds.sets[0];
  CHECK(cod::mean_pass_rate(s, 4) == doctest::Approx((0.9 + 0.5 + 1.0 + 0.2) / 4));
  CHECK(cod::subset_metric(s, 4, {0, 2}) == doctest::Approx(0.95));
  CHECK(std::isnan(cod::subset_metric(s, 4, {})));
  CHECK_THROWS_AS(cod::subset_metric(s, 4, {7}), cod::Error);
  CHECK(cod::full_metric(s, 4) == doctest::Approx(0.65));
  ds.sets[0].scores.assign(ds.models.size(), cod::kUnknown);
  ds.sets[0].scores[4] = 0.77;
  CHECK(cod::full_metric(ds.sets[0], 4) == 0.77);
  CHECK(cod::full_metric(ds.sets[0], 3) == doctest::Approx(0.375));
}

TEST_CASE("checkpoint smoothing averages adjacent ladder checkpoints of one size") {
  cod::Dataset ds;
  for (int k = 0; k < 3; ++k) {
    cod::Model m = model("s@" + std::to_string(k), 1e8, 1e9 * (k + 1));
    m.family = "f";
    m.size = "s";
    m.step = 1000.0 * (k + 1);
    ds.models.push_back(m);
  }
  cod::Model other = model("t@0", 1e9, 1e10);
  other.family = "f";
  other.size = "t";
  other.step = 1000;
  ds.models.push_back(other);
  cod::EvalSet s;
  s.name = "x";
  s.items = {"i"};
  s.models = {0, 1, 2, 3};
  s.pass.resize(1, 4);
  s.pass << 0.1, 0.4, 0.7, 0.5;
  ds.sets.push_back(s);
  const std::vector<std::size_t> ladder{0, 1, 2, 3};
  const cod::Matrix X = cod::smoothed_features(ds, ds.sets[0], ladder, 1);
  CHECK(X(0, 0) == doctest::Approx(0.25));  // (0.1 + 0.4) / 2, clipped at the start
  CHECK(X(0, 1) == doctest::Approx(0.4));   // (0.1 + 0.4 + 0.7) / 3
  CHECK(X(0, 2) == doctest::Approx(0.55));
  CHECK(X(0, 3) == doctest::Approx(0.5));   // alone in its size
  CHECK(cod::smoothed_features(ds, ds.sets[0], ladder, 0) == cod::features(ds.sets[0], ladder));
  ds.models[1].step = cod::kUnknown;
  CHECK_THROWS_WITH_AS(cod::smoothed_features(ds, ds.sets[0], ladder, 1),
                       "checkpoint smoothing needs 'size' and 'step' for every ladder model; model 's@1' lacks step",
                       cod::Error);
}

TEST_CASE("validate catches out-of-range pass rates and shape mismatches") {
  auto ds = small_dataset();
  CHECK_NOTHROW(ds.validate());
  ds.sets[0].pass(1, 1) = 1.5;
  CHECK_THROWS_WITH_AS(ds.validate(), "set 'set', item 'b', model 'm1': pass rate 1.500000 is outside [0, 1]",
                       cod::Error);
  ds = small_dataset();
  ds.sets[0].items.pop_back();
  CHECK_THROWS_AS(ds.validate(), cod::Error);
}
