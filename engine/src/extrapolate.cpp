// SPEC §6: ŷ_S = Σ_k n_k·f_k(C_target) / Σ_k n_k over extrapolatable clusters.

#include "cod/extrapolate.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "cod/error.hpp"

namespace cod {

Extrapolation extrapolate(const std::vector<law::ClusterFit>& clusters, const std::vector<bool>& extrapolatable,
                          double C_target) {
  if (!(C_target > 0.0) || !std::isfinite(C_target))
    throw Error(fmt::format("target compute must be positive and finite, got {}", C_target));
  if (extrapolatable.size() != clusters.size())
    throw Error(fmt::format("{} verdicts for {} clusters", extrapolatable.size(), clusters.size()));
  Extrapolation ex;
  ex.c_target = C_target;
  double num = 0.0;
  for (std::size_t k = 0; k < clusters.size(); ++k) {
    const auto& cf = clusters[k];
    ClusterPrediction cp;
    cp.label = cf.label;
    cp.size = cf.size;
    cp.extrapolatable = extrapolatable[k];
    cp.prediction = cf.fit.ok ? cf.fit.eval(C_target) : std::numeric_limits<double>::quiet_NaN();
    if (cp.extrapolatable) {
      if (!cf.fit.ok)
        throw Error(fmt::format("cluster {} is marked extrapolatable but its fit failed: {}", cf.label, cf.fit.reason));
      num += static_cast<double>(cf.size) * cp.prediction;
      ex.size += cf.size;
    }
    ex.clusters.push_back(cp);
  }
  if (ex.size == 0) {
    ex.value = std::numeric_limits<double>::quiet_NaN();
    ex.reason = clusters.empty() ? "no clusters to extrapolate" : "no extrapolatable cluster";
    return ex;
  }
  ex.ok = true;
  ex.value = num / static_cast<double>(ex.size);
  return ex;
}

}  // namespace cod
