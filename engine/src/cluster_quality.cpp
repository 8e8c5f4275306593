// Cluster quality (SPEC §3.7): IAD, OR and per-cluster summaries.

#include <limits>

#include "cluster_points.hpp"

namespace cod::cluster {
namespace {

int check_labels(const Matrix& X, const Labels& labels, const char* fname) {
  if (labels.size() != static_cast<std::size_t>(X.rows()))
    throw Error(detail::prefix(fname) + "labels has " + std::to_string(labels.size()) + " entries but X has " +
                std::to_string(X.rows()) + " rows");
  int k = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < -1)
      throw Error(detail::prefix(fname) + "label of row " + std::to_string(i + 1) + " is " +
                  std::to_string(labels[i]) + "; cluster ids are >= 0 and -1 means none");
    k = std::max(k, labels[i] + 1);
  }
  return k;
}

}  // namespace

double outlier_rate(const Labels& labels) {
  if (labels.empty()) throw Error("cluster.quality: no labels");
  std::size_t out = 0;
  for (int l : labels)
    if (l < 0) ++out;
  return 100.0 * static_cast<double>(out) / static_cast<double>(labels.size());
}

Quality quality(const Matrix& X, const Labels& labels, const Matrix* centres, const Matrix* pass_rates) {
  detail::check_matrix(X, "quality");
  const int k = check_labels(X, labels, "quality");
  const int d = static_cast<int>(X.cols());
  if (centres) {
    if (centres->rows() < k)
      throw Error("cluster.quality: centres has " + std::to_string(centres->rows()) + " rows but labels use " +
                  std::to_string(k) + " cluster ids");
    if (centres->cols() != d)
      throw Error("cluster.quality: centres has " + std::to_string(centres->cols()) + " columns but X has " +
                  std::to_string(d));
  }
  if (pass_rates) {
    detail::check_matrix(*pass_rates, "quality");
    if (pass_rates->rows() != X.rows())
      throw Error("cluster.quality: pass_rates has " + std::to_string(pass_rates->rows()) + " rows but X has " +
                  std::to_string(X.rows()));
  }
  // Row by row (labels may differ between identical rows).
  std::vector<std::size_t> all(static_cast<std::size_t>(X.rows()));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const detail::Points P = detail::make_points(X, all, false);
  Matrix means;
  std::vector<std::int64_t> sizes;
  detail::member_means(P, labels, k, means, sizes);
  Matrix rates;
  std::vector<std::int64_t> rate_sizes;
  if (pass_rates) detail::member_means(detail::make_points(*pass_rates, all, false), labels, k, rates, rate_sizes);

  Quality q;
  q.n_items = labels.size();
  long double dist = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) continue;
    ++q.n_clustered;
    dist += std::sqrt(detail::rdist(P.row(i), means.row(labels[i]).data(), d));
  }
  q.iad = q.n_clustered ? static_cast<double>(dist / static_cast<long double>(q.n_clustered))
                        : std::numeric_limits<double>::quiet_NaN();
  q.outlier_rate = outlier_rate(labels);
  for (int c = 0; c < k; ++c) {
    if (sizes[static_cast<std::size_t>(c)] == 0) continue;
    ClusterSummary s;
    s.id = c;
    s.size = sizes[static_cast<std::size_t>(c)];
    if (centres) s.centre = centres->row(c).transpose();
    s.member_mean = means.row(c).transpose();
    s.pass_rate = pass_rates ? Vector(rates.row(c).transpose()) : s.member_mean;
    q.clusters.push_back(std::move(s));
  }
  return q;
}

double iad(const Matrix& X, const Labels& labels) { return quality(X, labels).iad; }

}  // namespace cod::cluster
