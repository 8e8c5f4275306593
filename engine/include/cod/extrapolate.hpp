#pragma once
/// @file extrapolate.hpp
/// The size-weighted subset prediction over extrapolatable clusters (SPEC §6).

#include <cstddef>
#include <string>
#include <vector>

#include "cod/law.hpp"

namespace cod {

/** One cluster's part in an extrapolation. */
struct ClusterPrediction {
  /** The cluster's label. */
  int label = -1;
  /** Number of items. */
  std::size_t size = 0;
  /** Whether the cluster entered the subset S. */
  bool extrapolatable = false;
  /** The cluster's own curve at the target compute (NaN when its fit failed). */
  double prediction = 0.0;
};

/** The subset prediction ŷ_S, or a reason why there is none. */
struct Extrapolation {
  /** False when no cluster is extrapolatable; `reason` says so. */
  bool ok = false;
  /** Why there is no prediction (empty when ok). */
  std::string reason;
  /** ŷ_S = Σ n_k·f_k(C_target) / Σ n_k over extrapolatable clusters (NaN when !ok). */
  double value = 0.0;
  /** |S|: items in extrapolatable clusters. */
  std::size_t size = 0;
  /** The target compute (in compute units). */
  double c_target = 0.0;
  /** Every cluster, in the order given, with its own prediction. */
  std::vector<ClusterPrediction> clusters;
};

/**
 * Predict the subset metric at `C_target` from fitted clusters and their
 * verdicts (`extrapolatable[k]` for `clusters[k]`). Throws cod::Error for a
 * non-positive target, mismatched lengths, or a cluster marked
 * extrapolatable whose fit failed; returns !ok when no cluster is
 * extrapolatable.
 */
Extrapolation extrapolate(const std::vector<law::ClusterFit>& clusters, const std::vector<bool>& extrapolatable,
                          double C_target);

}  // namespace cod
