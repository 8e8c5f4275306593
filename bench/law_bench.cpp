// Benchmark of the fitting hot path: fit every cluster of a labelled item set
// (SPEC §4/§6). Synthetic items with 100-sample binomial pass rates around
// cluster curves of several shapes (emergent, flat near the guess rate,
// low-ceiling, step-like), so degenerate fits are part of the load.
//
// usage: law_bench [items=10000] [clusters=200] [models=8] [repeats=3]
// Prints one line per (form, threads) with the best wall time over repeats.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "cod/extrapolate.hpp"
#include "cod/law.hpp"

namespace {

struct Curve {
  double a, b, c, g;
};

Curve draw_curve(std::mt19937_64& rng, int k) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const double g = (k % 2 == 0) ? 0.0 : 0.25;
  switch (k % 5) {
    case 0:
    case 1:  // emergent / open-answer
      return {1.0 + 40.0 * U(rng), 0.2 + 0.4 * U(rng), 0.5 * U(rng), g};
    case 2:  // nearly flat, slightly above the guess rate
      return {1.0 + 2.0 * U(rng), 0.02 + 0.05 * U(rng), 1.0 + U(rng), g};
    case 3:  // low ceiling
      return {2.0 + 10.0 * U(rng), 0.3 + 0.2 * U(rng), 1.0 + 1.0 * U(rng), g};
    default:  // step-like: near zero, then a late jump
      return {1e4 + 1e5 * U(rng), 1.0 + 0.5 * U(rng), 0.1 * U(rng), g};
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int items = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int clusters = argc > 2 ? std::atoi(argv[2]) : 200;
  const int models = argc > 3 ? std::atoi(argv[3]) : 8;
  const int repeats = argc > 4 ? std::atoi(argv[4]) : 3;
  if (items < clusters || clusters < 1 || models < 4 || repeats < 1) {
    std::fprintf(stderr, "usage: law_bench [items>=clusters] [clusters>=1] [models>=4] [repeats>=1]\n");
    return 2;
  }

  // Ladder compute log-spaced over the paper's range (units of 1e18 FLOPs).
  std::vector<double> C(static_cast<std::size_t>(models));
  for (int j = 0; j < models; ++j) C[j] = 40.0 * std::pow(150000.0 / 40.0, j / (models - 1.0));

  std::mt19937_64 rng(20240601);
  std::vector<Curve> curves;
  for (int k = 0; k < clusters; ++k) curves.push_back(draw_curve(rng, k));
  cod::Matrix P(items, models);
  cod::Labels labels(static_cast<std::size_t>(items));
  for (int i = 0; i < items; ++i) {
    const int k = i % clusters;
    labels[i] = k;
    const Curve& cv = curves[k];
    for (int j = 0; j < models; ++j) {
      const double p = cv.g + (1 - cv.g) * std::exp(-cv.a * std::pow(C[j], -cv.b) - cv.c);
      std::binomial_distribution<int> bin(100, std::clamp(p, 0.0, 1.0));
      P(i, j) = bin(rng) / 100.0;
    }
  }

  std::printf("items=%d clusters=%d models=%d repeats=%d\n", items, clusters, models, repeats);
  for (const std::string form_name : {"cod", "f3"}) {
    const auto form = cod::law::builtin_form(form_name);
    for (int threads : {1, 2}) {
      double best = 1e300;
      std::vector<cod::law::ClusterFit> fits;
      for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        fits = cod::law::fit_clusters(form, P, labels, C, {}, threads);
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
      }
      long evals = 0;
      int converged = 0, ok = 0, runs = 0;
      for (const auto& f : fits) {
        evals += f.fit.evaluations;
        runs += f.fit.local_runs;
        converged += f.fit.converged ? 1 : 0;
        ok += f.fit.ok ? 1 : 0;
      }
      std::vector<bool> usable;
      for (const auto& f : fits) usable.push_back(f.fit.ok);
      const auto ex = cod::extrapolate(fits, usable, 3.8e6);
      std::printf("form=%-4s threads=%d  best %.3f s  (%.2f ms/cluster)  ok=%d converged=%d/%zu  local runs=%d  "
                  "objective evals=%ld  y_S(all fitted)=%.4f\n",
                  form_name.c_str(), threads, best, 1e3 * best / clusters, ok, converged, fits.size(), runs, evals,
                  ex.value);
    }
  }
  return 0;
}
