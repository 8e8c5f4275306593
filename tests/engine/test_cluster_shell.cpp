// The window caches of Improved MeanShift (KdTree::Shell, cluster_shell.cpp) against the
// plain tree walk (KdTree::window): the same weight and exact sum for every query the cache
// reaches, including rows exactly on the sphere, duplicates, a window holding every row
// and one holding a single row; and whole clusterings with the caches on and off (the
// reference switch allow_shell_cache) at 1 and 2 threads, exact and bin seeding, a max_iter
// cut: the same labels, centres, window sizes, member means and round history, bit for bit.

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "../../engine/src/cluster_kdtree.hpp"
#include "cluster_test_util.hpp"
#include "cod/cluster.hpp"

namespace {

using cod::Matrix;
namespace cl = cod::cluster;
namespace dt = cod::cluster::detail;

using cluster_test::check_same_result;
using cluster_test::same_bits;

// Binomial pass rates on a 1/trials grid; every 5th row repeats an earlier one.
Matrix ladder_rates(int n, int d, unsigned seed, int trials) {
  return cluster_test::sampled_rates(n, d, seed, trials, 5);
}

struct Tree {
  dt::Points P;
  dt::FixedScale fx;
  dt::KdTree tree;
  explicit Tree(const Matrix& X)
      : P(dt::make_points(X, all_rows(X), true)), fx(P), tree(P, &fx, 32) {}
  static std::vector<std::size_t> all_rows(const Matrix& X) {
    std::vector<std::size_t> r(static_cast<std::size_t>(X.rows()));
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = i;
    return r;
  }
};

// Every query must get window()'s weight and sum from the cache, or be refused (false)
// only when it lies beyond the cache's reach. Returns how many the cache answered.
int check_queries(const Tree& t, const dt::KdTree::Shell& sh, double h, const std::vector<std::vector<double>>& qs) {
  const int d = t.tree.dim();
  int answered = 0;
  for (const auto& q : qs) {
    std::int64_t w_ref = -1, w_got = -2;
    std::vector<dt::i128> s_ref(static_cast<std::size_t>(d)), s_got(static_cast<std::size_t>(d));
    t.tree.window(q.data(), h * h, w_ref, s_ref.data());
    const bool reached = std::sqrt(dt::rdist(q.data(), sh.anchor.data(), d)) <= sh.reach;
    const bool got = t.tree.shell_window(sh, q.data(), w_got, s_got.data());
    CHECK(got == reached);
    if (!got) continue;
    ++answered;
    CHECK(w_got == w_ref);
    CHECK(s_got == s_ref);
  }
  return answered;
}

// Queries around anchor a: a itself, points at distances up to 1.2·s in random directions
// (some exactly at s), and the data rows near a.
std::vector<std::vector<double>> queries_near(const Tree& t, const std::vector<double>& a, double s, std::mt19937_64& g) {
  const int d = t.tree.dim();
  std::normal_distribution<double> N(0.0, 1.0);
  std::uniform_real_distribution<double> U(0.0, 1.2);
  std::vector<std::vector<double>> qs{a};
  for (int k = 0; k < 40; ++k) {
    std::vector<double> dir(static_cast<std::size_t>(d));
    double norm = 0;
    for (double& v : dir) {
      v = N(g);
      norm += v * v;
    }
    const double len = (k % 8 == 0 ? 1.0 : U(g)) * s / std::sqrt(norm);
    std::vector<double> q(a);
    for (int j = 0; j < d; ++j) q[static_cast<std::size_t>(j)] += len * dir[static_cast<std::size_t>(j)];
    qs.push_back(q);
  }
  for (std::size_t i = 0; i < t.P.size(); ++i)
    if (dt::rdist(t.P.row(i), a.data(), d) <= s * s) qs.emplace_back(t.P.row(i), t.P.row(i) + d);
  return qs;
}

}  // namespace

TEST_CASE("cluster shell: a cached window has the weight and sum of the tree walk") {
  std::mt19937_64 g(11);
  for (int d : {1, 3, 5, 8}) {
    for (int n : {300, 1500}) {
      CAPTURE(d);
      CAPTURE(n);
      const Tree t(ladder_rates(n, d, 7u * static_cast<unsigned>(d) + static_cast<unsigned>(n), d == 1 ? 20 : 100));
      const std::size_t m = t.P.size();
      // Bandwidths: the distance between two rows (rows exactly on the sphere), a typical
      // one, and one holding every row.
      std::vector<double> hs = {std::sqrt(dt::rdist(t.P.row(0), t.P.row(m / 2), d)), 0.25, 10.0};
      for (double h : hs) {
        if (!(h > 0)) continue;
        for (double frac : {1e-3, 0.05, 0.3, 0.9}) {
          const double s = frac * h;
          for (std::size_t anchor_row : {std::size_t{0}, m / 3, m - 1}) {
            std::vector<double> a(t.P.row(anchor_row), t.P.row(anchor_row) + d);
            if (frac == 0.3) a[0] += 0.01;  // an anchor that is no row
            dt::KdTree::Shell sh;
            REQUIRE(t.tree.build_shell(a.data(), h, s, std::size_t{1} << 30, sh) == dt::KdTree::ShellBuild::built);
            CAPTURE(h);
            CAPTURE(s);
            CHECK(check_queries(t, sh, h, queries_near(t, a, s, g)) > 0);
          }
        }
      }
    }
  }
}

TEST_CASE("cluster shell: a window of one row, every row inside, and caches it refuses") {
  const Tree t(ladder_rates(400, 4, 3, 100));
  const int d = t.tree.dim();
  std::mt19937_64 g(5);
  // One row: the smallest bandwidth that reaches a row from itself.
  std::vector<double> a(t.P.row(7), t.P.row(7) + d);
  dt::KdTree::Shell sh;
  REQUIRE(t.tree.build_shell(a.data(), 1e-6, 5e-7, std::size_t{1} << 30, sh) == dt::KdTree::ShellBuild::built);
  std::int64_t w = 0;
  std::vector<dt::i128> sum(static_cast<std::size_t>(d));
  REQUIRE(t.tree.shell_window(sh, a.data(), w, sum.data()));
  CHECK(w == t.P.w[7]);
  check_queries(t, sh, 1e-6, queries_near(t, a, 5e-7, g));
  // Every row inside every reached window: all settled by the node sums, nothing to test.
  REQUIRE(t.tree.build_shell(a.data(), 100.0, 1.0, std::size_t{1} << 30, sh) == dt::KdTree::ShellBuild::built);
  CHECK(sh.rows == 0);
  REQUIRE(t.tree.shell_window(sh, a.data(), w, sum.data()));
  CHECK(w == 400);
  check_queries(t, sh, 100.0, queries_near(t, a, 1.0, g));
  // Refused: more rows than the memory allowed, a bandwidth out of range, a reach >= h.
  CHECK(t.tree.build_shell(a.data(), 0.3, 0.2, 64, sh) == dt::KdTree::ShellBuild::too_large);
  CHECK_FALSE(t.tree.shell_window(sh, a.data(), w, sum.data()));
  CHECK(t.tree.build_shell(a.data(), 1e-101, 1e-102, std::size_t{1} << 30, sh) == dt::KdTree::ShellBuild::unusable);
  CHECK(t.tree.build_shell(a.data(), 0.3, 0.3, std::size_t{1} << 30, sh) == dt::KdTree::ShellBuild::unusable);
  CHECK_FALSE(t.tree.shell_window(sh, a.data(), w, sum.data()));
}

namespace {

cl::ImprovedMeanShiftResult cluster(const Matrix& X, bool shells, int threads, bool bin, int max_iter) {
  dt::allow_shell_cache(shells);
  cl::ImprovedMeanShiftOptions opt;
  opt.exec.threads = threads;
  opt.bin_seeding = bin;
  opt.max_iter = max_iter;
  cl::ImprovedMeanShiftResult r = cl::improved_meanshift(X, opt);
  dt::allow_shell_cache(true);
  return r;
}

}  // namespace

TEST_CASE("cluster shell: Improved MeanShift with and without the caches gives the same bits") {
  struct Case {
    int n, d, trials;
  };
  for (const Case c : {Case{1500, 8, 100}, Case{1500, 5, 100}, Case{800, 3, 4}, Case{600, 8, 1000}}) {
    const Matrix X = ladder_rates(c.n, c.d, static_cast<unsigned>(c.n + c.d), c.trials);
    for (bool bin : {false, true})
      for (int max_iter : {300, 3}) {
        CAPTURE(c.n);
        CAPTURE(c.d);
        CAPTURE(bin);
        CAPTURE(max_iter);
        const auto ref = cluster(X, false, 1, bin, max_iter);
        REQUIRE(ref.centres.rows() > 0);
        check_same_result(ref, cluster(X, true, 1, bin, max_iter));
        check_same_result(ref, cluster(X, true, 2, bin, max_iter));
      }
  }
  // Every row the same: one point of full weight.
  Matrix same(50, 4);
  same.setConstant(0.4);
  check_same_result(cluster(same, false, 1, false, 300), cluster(same, true, 2, false, 300));
}

TEST_CASE("cluster shell: caches refused as too large thin the later ones, then stop; the bits stay") {
  // A budget this small refuses caches (each refusal halves the reach of the thread's later
  // caches; the fifth turns them off): the climbs must still give the walks' results.
  const Matrix X = ladder_rates(1500, 8, 1508, 100);
  for (bool bin : {false, true}) {
    CAPTURE(bin);
    const auto ref = cluster(X, false, 1, bin, 300);
    for (std::size_t budget : {std::size_t{32} * 64 * 100, std::size_t{32} * 64 * 400, std::size_t{32} * 64}) {
      CAPTURE(budget);
      dt::set_shell_budget(budget);
      const std::size_t before = dt::shells_refused();
      const auto got1 = cluster(X, true, 1, bin, 300);
      const auto got2 = cluster(X, true, 2, bin, 300);
      const std::size_t refused = dt::shells_refused() - before;
      dt::set_shell_budget(0);
      CHECK(refused > 0);
      check_same_result(ref, got1);
      check_same_result(ref, got2);
    }
  }
}

TEST_CASE("cluster shell: seeds from bins on more than 60,000 distinct rows climb without caches") {
  // meanshift_points: there a cache's build cost more than it saved (a 200,000-row set took
  // 3x as long). With a budget that refuses every cache, any attempt would be counted.
  const Matrix X = cluster_test::sampled_rates(61000, 8, 61008, 100000, 1 << 30);  // no repeated rows
  dt::set_shell_budget(64);
  cl::ImprovedMeanShiftOptions opt;
  opt.exec.threads = 2;
  opt.bin_seeding = true;
  opt.bandwidth = 0.25;
  opt.max_rounds = 1;
  const std::size_t before = dt::shells_refused();
  const cl::ImprovedMeanShiftResult r = cl::improved_meanshift(X, opt);
  const std::size_t refused = dt::shells_refused() - before;
  dt::set_shell_budget(0);
  CHECK(r.centres.rows() > 0);
  CHECK(refused == 0);
}

TEST_CASE("cluster shell: MeanShift's window sizes and iteration counts are the same with and without the caches") {
  const Matrix X = ladder_rates(1200, 6, 21, 100);
  for (bool bin : {false, true}) {
    cl::MeanShiftOptions opt;
    opt.bin_seeding = bin;
    opt.bandwidth = 0.3;
    dt::allow_shell_cache(false);
    opt.exec.threads = 1;
    const cl::MeanShiftResult ref = cl::meanshift(X, opt);
    dt::allow_shell_cache(true);
    for (int threads : {1, 2}) {
      opt.exec.threads = threads;
      const cl::MeanShiftResult got = cl::meanshift(X, opt);
      CHECK(got.labels == ref.labels);
      CHECK(same_bits(got.centres, ref.centres));
      CHECK(got.window_sizes == ref.window_sizes);
      CHECK(got.n_iter == ref.n_iter);
      CHECK(got.n_modes == ref.n_modes);
    }
  }
}
