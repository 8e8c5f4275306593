#pragma once
/// @file cluster_meanshift.hpp
/// Private steps of the cluster module shared by MeanShift, Improved MeanShift and DBSCAN:
/// MeanShift on weighted points and the bandwidth estimates. Not installed.

#include <cstdint>
#include <optional>
#include <vector>

#include "cluster_points.hpp"

namespace cod::cluster::detail {

// ------------------------------------------------------------------ shared steps

/** MeanShift on weighted points: labels per point, centres in sklearn order. */
struct ModeResult {
  std::vector<int> label;                 // per point
  std::vector<double> dist;               // per point: distance to its nearest centre
  Matrix centres;
  std::vector<std::int64_t> window_sizes;
  int n_iter = 0;
  std::size_t n_seeds = 0, n_distinct_seeds = 0, n_modes = 0;
  bool bin_fallback = false;
};
class Memo;
/**
 * With `memo` (Improved MeanShift's rounds; cluster_memo.hpp), the climbs use and extend it:
 * `removed` are the rows of the last call's P that are not in this P (empty at first).
 */
ModeResult meanshift_points(const Points& P, double h, bool bin_seeding, int min_bin_freq, bool cluster_all,
                            int max_iter, int threads, Memo* memo = nullptr, const Points* removed = nullptr);

/** estimate_bandwidth on weighted points, k-th neighbour with multiplicity; n = P.total. */
double bandwidth_points(const Points& P, double quantile, int threads);

/** R = min(estimate, cap) with R = cap when the estimate is 0 (SPEC §3.3); NaN without rows. */
BandwidthChoice choose_bandwidth(const Points& P, double quantile, std::optional<double> cap, int threads);

}  // namespace cod::cluster::detail
