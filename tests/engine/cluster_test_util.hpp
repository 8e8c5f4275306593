// Shared by the cluster kernel and window-cache tests: sampled pass rates of a model ladder
// and bit-for-bit comparison of doubles, matrices and Improved MeanShift results.
#pragma once

#include <cmath>
#include <cstring>
#include <random>

#include <doctest/doctest.h>

#include "cod/cluster.hpp"

namespace cluster_test {

/** Pass rates of a model ladder: k correct out of `trials` (binomial), so values sit on a
 *  1/trials grid; hard items are all zero and easy ones all one; every `repeat_every`-th row
 *  repeats an earlier one (weighted points after the collapse). */
inline cod::Matrix sampled_rates(int n, int d, unsigned seed, int trials = 100, int repeat_every = 7) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  cod::Matrix X(n, d);
  for (int i = 0; i < n; ++i) {
    if (i % repeat_every == repeat_every - 1) {
      X.row(i) = X.row(static_cast<int>(g() % static_cast<unsigned>(i)));
      continue;
    }
    const double b = -4.0 + 11.0 * U(g), s = 0.6 + 1.2 * U(g);
    for (int j = 0; j < d; ++j) {
      const double a = d == 1 ? 0.0 : -3.0 + 6.0 * j / (d - 1);
      std::binomial_distribution<int> B(trials, 1.0 / (1.0 + std::exp(-s * (a - b))));
      X(i, j) = B(g) / static_cast<double>(trials);
    }
  }
  return X;
}

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

inline bool same_bits(const cod::Matrix& a, const cod::Matrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (!same_bits(a.data()[i], b.data()[i])) return false;
  return true;
}

/** Two Improved MeanShift results are the same bit for bit (R, labels, centres, member means,
 *  sizes, rounds and the round history). */
inline void check_same_result(const cod::cluster::ImprovedMeanShiftResult& a,
                              const cod::cluster::ImprovedMeanShiftResult& b) {
  CHECK(same_bits(a.bandwidth.bandwidth, b.bandwidth.bandwidth));
  CHECK(a.labels == b.labels);
  CHECK(same_bits(a.centres, b.centres));
  CHECK(same_bits(a.member_means, b.member_means));
  CHECK(a.sizes == b.sizes);
  CHECK(a.rounds == b.rounds);
  REQUIRE(a.history.size() == b.history.size());
  for (std::size_t r = 0; r < a.history.size(); ++r) {
    CHECK(a.history[r].n_meanshift_clusters == b.history[r].n_meanshift_clusters);
    CHECK(a.history[r].n_new_labelled == b.history[r].n_new_labelled);
  }
}

}  // namespace cluster_test
