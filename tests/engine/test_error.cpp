// cod::did_you_mean (the one suggestion rule of every "unknown name" message) and
// cod::subset_prediction (SPEC §6 on plain numbers).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cod/error.hpp"
#include "cod/extrapolate.hpp"

TEST_CASE("did_you_mean: close names, transpositions, case, nothing for far or exact ones") {
  const std::vector<std::string> c{"form", "fixed", "threads", "weights"};
  CHECK(cod::did_you_mean("from", c) == " (did you mean 'form'?)");   // one transposition
  CHECK(cod::did_you_mean("threds", c) == " (did you mean 'threads'?)");
  CHECK(cod::did_you_mean("FORM", c) == " (did you mean 'form'?)");   // case only
  CHECK(cod::did_you_mean("form", c).empty());                        // exact: no suggestion
  CHECK(cod::did_you_mean("zzzz", c).empty());
  CHECK(cod::did_you_mean("x", {}).empty());
  CHECK(cod::did_you_mean("ab", {"ba", "ab2"}) == " (did you mean 'ba'?)");  // ties: the earlier
  CHECK(cod::did_you_mean(std::string(100, 'a'), {std::string(100, 'a') + "b"}).empty());  // too long
}

TEST_CASE("subset_prediction: the size-weighted mean, a total, reasons and errors") {
  const auto ex = cod::subset_prediction({10, 20, 30}, {0.5, NAN, 0.2}, {true, false, true});
  CHECK(ex.ok);
  CHECK(ex.size == 40);
  CHECK(ex.value == doctest::Approx((10 * 0.5 + 30 * 0.2) / 40).epsilon(1e-15));
  const auto all = cod::subset_prediction({10, 20, 30}, {0.5, NAN, 0.2}, {true, false, true}, 100);
  CHECK(all.value == doctest::Approx((10 * 0.5 + 30 * 0.2) / 100).epsilon(1e-15));
  const auto none = cod::subset_prediction({10}, {0.5}, {false});
  CHECK_FALSE(none.ok);
  CHECK(none.reason == "no extrapolatable cluster");
  CHECK(std::isnan(none.value));
  CHECK(cod::subset_prediction({}, {}, {}).reason == "no clusters to extrapolate");
  CHECK_THROWS_AS(cod::subset_prediction({1, 2}, {0.5}, {true, true}), cod::Error);
  CHECK_THROWS_AS(cod::subset_prediction({1}, {NAN}, {true}), cod::Error);
  CHECK_THROWS_AS(cod::subset_prediction({10}, {0.5}, {true}, 5), cod::Error);
}
