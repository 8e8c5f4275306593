// Climbing steps carried across the rounds of Improved MeanShift (Memo, cluster_memo.cpp):
// whole clusterings with the carry on and off (the reference switch allow_round_carry) give
// the same bits at 1 and 2 threads, exact and bin seeding, a max_iter cut, with and without
// window caches, on sets with and without repeated rows and on a scale that is not exact;
// the carry is really used (steps taken and refused are counted), also when stale steps are
// dropped at every round; a step is refused exactly
// when a removed row is within h (rows on the sphere included); KdTree::any_within agrees
// with rdist() on every point.

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "../../engine/src/cluster_memo.hpp"
#include "cluster_test_util.hpp"
#include "cod/cluster.hpp"

namespace {

using cod::Matrix;
namespace cl = cod::cluster;
namespace dt = cod::cluster::detail;

using cluster_test::check_same_result;

struct Setup {
  bool carry = true, shells = true, bin = false;
  int threads = 1, max_iter = 300;
};

cl::ImprovedMeanShiftResult cluster(const Matrix& X, const Setup& s) {
  dt::allow_round_carry(s.carry);
  dt::allow_shell_cache(s.shells);
  cl::ImprovedMeanShiftOptions opt;
  opt.exec.threads = s.threads;
  opt.bin_seeding = s.bin;
  opt.max_iter = s.max_iter;
  cl::ImprovedMeanShiftResult r = cl::improved_meanshift(X, opt);
  dt::allow_round_carry(true);
  dt::allow_shell_cache(true);
  return r;
}

dt::Points points(const std::vector<std::vector<double>>& rows) {
  Matrix X(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j)
      X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  std::vector<std::size_t> all(rows.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return dt::make_points(X, all, false);
}

}  // namespace

TEST_CASE("cluster memo: Improved MeanShift with and without steps carried across rounds gives the same bits") {
  struct Case {
    int n, d, trials, repeat_every;
  };
  std::size_t multi_round = 0;
  for (const Case c : {Case{1500, 8, 100, 5}, Case{1200, 5, 100, 1 << 30}, Case{800, 3, 4, 5}, Case{600, 8, 1000, 3},
                       Case{2000, 7, 100, 1 << 30}}) {
    const Matrix X =
        cluster_test::sampled_rates(c.n, c.d, static_cast<unsigned>(c.n * 7 + c.d), c.trials, c.repeat_every);
    for (bool bin : {false, true})
      for (int max_iter : {300, 3}) {
        CAPTURE(c.n);
        CAPTURE(c.d);
        CAPTURE(bin);
        CAPTURE(max_iter);
        const auto ref = cluster(X, Setup{false, true, bin, 1, max_iter});
        REQUIRE(ref.centres.rows() > 0);
        multi_round += ref.rounds > 1;
        const std::size_t taken = dt::carried_steps_taken();
        check_same_result(ref, cluster(X, Setup{true, true, bin, 1, max_iter}));
        if (ref.rounds > 1 && max_iter > 3) CHECK(dt::carried_steps_taken() > taken);
        check_same_result(ref, cluster(X, Setup{true, true, bin, 2, max_iter}));
        check_same_result(ref, cluster(X, Setup{true, false, bin, 2, max_iter}));
      }
  }
  CHECK(multi_round >= 10);  // the carry had rounds to work across
}

TEST_CASE("cluster memo: dropping stale steps at every round keeps the bits") {
  // Large sets drop a memo's stale entries between rounds (>= 65,536 of them); here at every round.
  dt::set_memo_compaction(1);
  for (int d : {8, 5}) {
    CAPTURE(d);
    const Matrix X = cluster_test::sampled_rates(1500, d, static_cast<unsigned>(900 + d), 100, 6);
    const auto ref = cluster(X, Setup{false, true, false, 1, 300});
    REQUIRE(ref.rounds > 2);
    const std::size_t taken = dt::carried_steps_taken();
    check_same_result(ref, cluster(X, Setup{}));
    CHECK(dt::carried_steps_taken() > taken);
    check_same_result(ref, cluster(X, Setup{true, true, false, 2, 300}));
    check_same_result(cluster(X, Setup{false, true, true, 1, 300}), cluster(X, Setup{true, true, true, 2, 300}));
  }
  dt::set_memo_compaction(0);
}

TEST_CASE("cluster memo: carried steps are refused where removed rows were, and taken elsewhere") {
  // On a 2,000-item ladder some of round 2's climbs start away from round 1's clusters (their
  // steps are taken) and most end near them (refused): both must happen, or the test proves nothing.
  const Matrix X = cluster_test::sampled_rates(2000, 8, 2008, 100, 1 << 30);
  const std::size_t taken = dt::carried_steps_taken(), refused = dt::carried_steps_refused();
  const auto got = cluster(X, Setup{});
  REQUIRE(got.rounds >= 3);
  CHECK(dt::carried_steps_taken() - taken > 50);
  CHECK(dt::carried_steps_refused() - refused > 50);
  check_same_result(cluster(X, Setup{false, true, false, 1, 300}), got);
}

TEST_CASE("cluster memo: a scale that is not exact, one point of full weight, a single round") {
  // A column spanning more binary orders than 127 bits hold: sums are rounded (the scale is not
  // exact) and the scale may change when rows leave; steps carry only when every mean keeps its bits.
  Matrix wide = cluster_test::sampled_rates(900, 4, 77, 100, 1 << 30);
  for (Eigen::Index i = 0; i < wide.rows(); ++i)
    if (wide(i, 0) == 0.0) wide(i, 0) = 0x1.23456789abcdep-200 * static_cast<double>(i % 11 + 1);
  {
    std::vector<std::size_t> all(static_cast<std::size_t>(wide.rows()));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    REQUIRE_FALSE(dt::FixedScale(dt::make_points(wide, all, true)).exact);
  }
  check_same_result(cluster(wide, Setup{false, true, false, 1, 300}), cluster(wide, Setup{}));
  check_same_result(cluster(wide, Setup{false, true, false, 1, 300}), cluster(wide, Setup{true, true, false, 2, 300}));
  Matrix same(40, 3);
  same.setConstant(0.25);
  check_same_result(cluster(same, Setup{false, true, false, 1, 300}), cluster(same, Setup{}));
  cl::ImprovedMeanShiftOptions opt;
  opt.max_rounds = 1;
  const Matrix X = cluster_test::sampled_rates(700, 6, 5, 100);
  dt::allow_round_carry(false);
  const auto ref = cl::improved_meanshift(X, opt);
  dt::allow_round_carry(true);
  check_same_result(ref, cl::improved_meanshift(X, opt));
}

TEST_CASE("cluster memo: a step is refused exactly when a removed row is within h") {
  // Position 0 stepped to 0.125 with a window of weight 3 (made up: only the memo is tested).
  const dt::Points P = points({{0.0}, {0.25}});
  const dt::FixedScale fx(P);
  const double h = 0.5;  // rdist 0.25 = h·h exactly for a row at 0.5
  for (double removed_at : {0.5, -0.5, std::nextafter(0.5, 1.0), 3.0}) {
    CAPTURE(removed_at);
    dt::Memo memo(1, h);
    memo.start_round(fx, dt::Points{});
    const std::vector<double> path{0.0};
    const double next = 0.125;
    memo.remember(path, {0}, {-1}, {3}, dt::ClimbOut{3, 0, false}, &next, &next);
    dt::ClimbOut o;
    double fm = -1, nx = -1;
    std::int64_t w = -1;
    int entry = -1;
    CHECK(memo.find(path.data(), 300, o, &fm, w, &nx, entry) == dt::Memo::Known::outcome);
    memo.start_round(fx, points({{removed_at}}));
    const dt::Memo::Known k = memo.find(path.data(), 300, o, &fm, w, &nx, entry);
    CHECK(entry == 0);
    if (std::fabs(removed_at) <= h) {
      CHECK(k == dt::Memo::Known::nothing);
    } else {
      REQUIRE(k == dt::Memo::Known::step);
      CHECK(w == 3);
      CHECK(nx == 0.125);
    }
    // A step not looked at in a round is not carried into the next one.
    memo.start_round(fx, points({{9.0}}));
    memo.start_round(fx, points({{10.0}}));
    CHECK(memo.find(path.data(), 300, o, &fm, w, &nx, entry) == dt::Memo::Known::nothing);
  }
}

TEST_CASE("cluster memo: KdTree::any_within agrees with rdist() on every point") {
  std::mt19937_64 g(11);
  std::uniform_int_distribution<int> grid(0, 20);
  for (int d : {1, 3, 8}) {
    std::vector<std::vector<double>> rows(300, std::vector<double>(static_cast<std::size_t>(d)));
    for (auto& r : rows)
      for (double& v : r) v = grid(g) / 20.0;  // on a grid: many rows exactly on a sphere
    const dt::Points P = points(rows);
    const dt::KdTree tree(P, nullptr, 32);
    for (int q = 0; q < 400; ++q) {
      std::vector<double> x(static_cast<std::size_t>(d));
      for (double& v : x) v = grid(g) / 20.0 + (q % 2 ? 0.0 : 0.5);
      for (double r2 : {0.0, 0.0025, 0.01, 0.0125, 0.25}) {
        bool any = false;
        for (std::size_t i = 0; i < P.size(); ++i) any = any || dt::rdist(x.data(), P.row(i), d) <= r2;
        CHECK(tree.any_within(x.data(), r2) == any);
      }
    }
  }
}
