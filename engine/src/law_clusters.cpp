// Fit every cluster of a labelled item set: the hot path of the pipeline
// (thousands of items, hundreds of clusters), so the per-cluster means are
// one pass over the matrix and the fits may run on several threads.

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <map>
#include <thread>

#include "cod/error.hpp"
#include "cod/law.hpp"
#include "cod/threads.hpp"

namespace cod {
namespace law {

std::vector<ClusterFit> fit_clusters(std::shared_ptr<const Form> form, const Matrix& P, const Labels& labels,
                                     const std::vector<double>& C, const FitOptions& options, int threads) {
  if (!form) throw Error("fit_clusters: no form given");
  const auto items = static_cast<std::size_t>(P.rows());
  const auto models = static_cast<std::size_t>(P.cols());
  if (labels.size() != items)
    throw Error(fmt::format("labels has {} values but the pass-rate matrix has {} items (rows)", labels.size(), items));
  if (C.size() != models)
    throw Error(fmt::format("compute has {} values but the pass-rate matrix has {} models (columns)", C.size(), models));
  if (threads < 1) throw Error(fmt::format("threads must be >= 1, got {}", threads));

  // Cluster label -> position, in increasing label order.
  std::map<int, std::size_t> index;
  for (std::size_t i = 0; i < items; ++i) {
    if (labels[i] < -1)
      throw Error(fmt::format("label {} of item {} is invalid (cluster ids are >= 0, -1 = not in a cluster)",
                              labels[i], i + 1));
    if (labels[i] >= 0) index.emplace(labels[i], 0);
  }
  std::size_t k = 0;
  for (auto& [label, pos] : index) pos = k++;

  std::vector<ClusterFit> out(index.size());
  for (const auto& [label, pos] : index) {
    out[pos].label = label;
    out[pos].y.assign(models, 0.0);
  }
  for (std::size_t i = 0; i < items; ++i) {
    if (labels[i] < 0) continue;
    ClusterFit& cf = out[index[labels[i]]];
    ++cf.size;
    for (std::size_t j = 0; j < models; ++j) {
      const double p = P(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      if (!(p >= 0.0 && p <= 1.0))
        throw Error(fmt::format("pass rate of item {}, model {} is {}, outside [0, 1]", i + 1, j + 1, p));
      cf.y[j] += p;
    }
  }
  for (auto& cf : out)
    for (double& v : cf.y) v /= static_cast<double>(cf.size);

  // Clusters are independent; a static stride partition keeps the work (and
  // so the results) independent of scheduling.
  const std::size_t nt =
      form->thread_safe ? static_cast<std::size_t>(resolve_threads(threads, out.size())) : 1;  // capped by cod/threads.hpp
  std::vector<std::exception_ptr> errors(out.size());
  std::atomic<bool> failed{false};  // stop early: the result is an error anyway
  auto work = [&](std::size_t t) {
    for (std::size_t c = t; c < out.size() && !failed.load(); c += nt) {
      try {
        out[c].fit = fit(form, C, out[c].y, options);
      } catch (const std::exception&) {
        errors[c] = std::current_exception();
        failed.store(true);
      }
    }
  };
  if (nt == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < nt; ++t) pool.emplace_back(work, t);
    for (auto& th : pool) th.join();
  }
  // The first failing cluster in label order among those attempted.
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

}  // namespace law
}  // namespace cod
