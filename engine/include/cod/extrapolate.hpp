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
 * The formula of SPEC §6 on plain numbers: ŷ_S = Σ n_k·p_k / Σ n_k over the clusters with
 * `included[k]`, p_k being cluster k's own prediction. With `total_items` > 0 the sum is
 * divided by it instead (the items outside the included clusters count as predicted 0:
 * the cod_no_mapping variant). Returns !ok with a reason when no cluster is included
 * (and no total is given). Throws cod::Error on mismatched lengths, a non-finite
 * prediction of an included cluster, or a total smaller than the included items.
 * `clusters` of the result is left empty; `c_target` is 0.
 */
Extrapolation subset_prediction(const std::vector<std::size_t>& sizes, const std::vector<double>& predictions,
                                const std::vector<bool>& included, std::size_t total_items = 0);

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
