// SPEC §6: ŷ_S = Σ_k n_k·f_k(C_target) / Σ_k n_k over extrapolatable clusters.

#include "cod/extrapolate.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <utility>

#include "cod/error.hpp"

namespace cod {

Extrapolation subset_prediction(const std::vector<std::size_t>& sizes, const std::vector<double>& predictions,
                                const std::vector<bool>& included, std::size_t total_items) {
  if (predictions.size() != sizes.size() || included.size() != sizes.size())
    throw Error(fmt::format("{} sizes, {} predictions and {} verdicts: one each per cluster expected", sizes.size(),
                            predictions.size(), included.size()));
  Extrapolation ex;
  double num = 0.0;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    if (!included[k]) continue;
    if (!std::isfinite(predictions[k]))
      throw Error(fmt::format("cluster {} is included but its prediction is {}", k + 1, predictions[k]));
    num += static_cast<double>(sizes[k]) * predictions[k];
    ex.size += sizes[k];
  }
  if (total_items > 0 && total_items < ex.size)
    throw Error(fmt::format("{} items in all, fewer than the {} in the included clusters", total_items, ex.size));
  const std::size_t den = total_items > 0 ? total_items : ex.size;
  if (den == 0) {
    ex.value = std::numeric_limits<double>::quiet_NaN();
    ex.reason = sizes.empty() ? "no clusters to extrapolate" : "no extrapolatable cluster";
    return ex;
  }
  ex.ok = true;
  ex.value = num / static_cast<double>(den);
  return ex;
}

Extrapolation extrapolate(const std::vector<law::ClusterFit>& clusters, const std::vector<bool>& extrapolatable,
                          double C_target) {
  if (!(C_target > 0.0) || !std::isfinite(C_target))
    throw Error(fmt::format("target compute must be positive and finite, got {}", C_target));
  if (extrapolatable.size() != clusters.size())
    throw Error(fmt::format("{} verdicts for {} clusters", extrapolatable.size(), clusters.size()));
  std::vector<std::size_t> sizes;
  std::vector<double> predictions;
  std::vector<ClusterPrediction> parts;
  for (std::size_t k = 0; k < clusters.size(); ++k) {
    const auto& cf = clusters[k];
    ClusterPrediction cp;
    cp.label = cf.label;
    cp.size = cf.size;
    cp.extrapolatable = extrapolatable[k];
    cp.prediction = cf.fit.ok ? cf.fit.eval(C_target) : std::numeric_limits<double>::quiet_NaN();
    if (cp.extrapolatable && !cf.fit.ok)
      throw Error(fmt::format("cluster {} is marked extrapolatable but its fit failed: {}", cf.label, cf.fit.reason));
    sizes.push_back(cf.size);
    predictions.push_back(cp.prediction);
    parts.push_back(cp);
  }
  Extrapolation ex = subset_prediction(sizes, predictions, extrapolatable);
  ex.c_target = C_target;
  ex.clusters = std::move(parts);
  return ex;
}

}  // namespace cod
