// KMeans (k-means++ seeding, Lloyd, best of n_init; scikit-learn 1.2's
// structure with a documented PRNG) and Improved-KMeans (paper §5.3.2).

#include <limits>

#include "cluster_points.hpp"

namespace cod::cluster {
namespace detail {
namespace {

struct KmRun {
  std::vector<int> label;  // per point
  Matrix centres;
  double inertia = 0;
  int n_iter = 0;
};

struct KmData {
  const Points& P;
  FixedScale fx;
  std::vector<int> row_point;  // included rows in row order -> point (draws are made over rows)
  double tol_abs = 0;
  explicit KmData(const Points& p) : P(p), fx(p) {
    for (int i : P.of_row)
      if (i >= 0) row_point.push_back(i);
  }
};

// Nearest centre with ties to the lowest index; the partial sum may stop
// early only when it already exceeds the best (sums of squares never shrink).
inline int nearest_centre(const double* x, const Matrix& C, int d, double& best) {
  best = std::numeric_limits<double>::infinity();
  int arg = 0;
  for (Eigen::Index c = 0; c < C.rows(); ++c) {
    const double* y = C.row(c).data();
    double s = 0.0;
    int j = 0;
    for (; j < d; ++j) {
      const double t = x[j] - y[j];
      s += t * t;
      if (s > best) break;
    }
    if (j == d && s < best) {
      best = s;
      arg = static_cast<int>(c);
    }
  }
  return arg;
}

// k-means++: the first centre is a uniform row, every next one the best (lowest
// potential) of 2 + floor(ln k) rows drawn with probability ∝ squared distance.
Matrix kmeanspp(const KmData& D, int k, std::mt19937_64& g) {
  const Points& P = D.P;
  const int d = P.d;
  const std::size_t m = P.size(), n = D.row_point.size();
  Matrix C(k, d);
  const std::size_t first = static_cast<std::size_t>(D.row_point[uniform_index(g, n)]);
  std::copy(P.row(first), P.row(first) + d, C.row(0).data());
  std::vector<double> closest(m), cand_d(m), best_d(m), cs(n);
  for (std::size_t i = 0; i < m; ++i) closest[i] = rdist(P.row(i), P.row(first), d);
  auto cumsum = [&](const std::vector<double>& v) {  // over rows, in row order
    double s = 0;
    for (std::size_t r = 0; r < n; ++r) cs[r] = (s += v[static_cast<std::size_t>(D.row_point[r])]);
    return s;
  };
  double pot = cumsum(closest);
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  for (int c = 1; c < k; ++c) {
    double best_pot = std::numeric_limits<double>::infinity();
    std::size_t best = 0;
    for (int t = 0; t < trials; ++t) {
      const double u = uniform01(g) * pot;
      std::size_t r = static_cast<std::size_t>(std::lower_bound(cs.begin(), cs.end(), u) - cs.begin());
      if (r >= n) r = n - 1;
      const std::size_t cand = static_cast<std::size_t>(D.row_point[r]);
      for (std::size_t i = 0; i < m; ++i) cand_d[i] = std::min(closest[i], rdist(P.row(i), P.row(cand), d));
      double s = 0;
      for (std::size_t q = 0; q < n; ++q) s += cand_d[static_cast<std::size_t>(D.row_point[q])];
      if (s < best_pot) {
        best_pot = s;
        best = cand;
        best_d.swap(cand_d);
      }
    }
    std::copy(P.row(best), P.row(best) + d, C.row(c).data());
    closest.swap(best_d);
    pot = cumsum(closest);
  }
  return C;
}

KmRun lloyd(const KmData& D, Matrix C, int max_iter) {
  const Points& P = D.P;
  const int d = P.d, k = static_cast<int>(C.rows());
  const std::size_t m = P.size();
  KmRun run;
  run.label.assign(m, -1);
  std::vector<int> old(m, -1);
  std::vector<double> own(m);  // rdist to the centre of the point's label (before the update)
  std::vector<i128> sum(static_cast<std::size_t>(k) * d);
  std::vector<std::int64_t> weight(static_cast<std::size_t>(k));
  Matrix next(k, d);
  bool strict = false;
  int it = 0;
  for (; it < max_iter; ++it) {
    for (std::size_t i = 0; i < m; ++i) run.label[i] = nearest_centre(P.row(i), C, d, own[i]);
    std::fill(sum.begin(), sum.end(), 0);
    std::fill(weight.begin(), weight.end(), 0);
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t c = static_cast<std::size_t>(run.label[i]);
      weight[c] += P.w[i];
      for (int j = 0; j < d; ++j) sum[c * d + j] += D.fx.to_fixed(P.row(i)[j], j) * P.w[i];
    }
    // Empty clusters take the points farthest from their centres (sklearn's relocation).
    std::vector<int> empty;
    for (int c = 0; c < k; ++c)
      if (weight[static_cast<std::size_t>(c)] == 0) empty.push_back(c);
    if (!empty.empty()) {
      std::vector<std::size_t> far(m);
      for (std::size_t i = 0; i < m; ++i) far[i] = i;
      std::sort(far.begin(), far.end(), [&](std::size_t a, std::size_t b) {
        return own[a] > own[b] || (own[a] == own[b] && a < b);
      });
      for (std::size_t e = 0; e < empty.size() && e < m; ++e) {
        const std::size_t p = far[e];
        const std::size_t from = static_cast<std::size_t>(run.label[p]);
        const std::size_t to = static_cast<std::size_t>(empty[e]);
        for (int j = 0; j < d; ++j) {
          const i128 v = D.fx.to_fixed(P.row(p)[j], j) * P.w[p];
          sum[from * d + j] -= v;
          sum[to * d + j] = v;
        }
        weight[from] -= P.w[p];
        weight[to] = P.w[p];
      }
    }
    double shift = 0;
    for (int c = 0; c < k; ++c) {
      const std::size_t cu = static_cast<std::size_t>(c);
      if (weight[cu] > 0)
        fixed_mean(D.fx, sum.data() + cu * d, weight[cu], d, next.row(c).data());
      else
        next.row(c).setZero();  // sklearn leaves the (zero) sum of a cluster emptied by relocation
      shift += rdist(next.row(c).data(), C.row(c).data(), d);
    }
    C.swap(next);
    if (run.label == old) {
      strict = true;
      break;
    }
    if (shift <= D.tol_abs) break;
    old = run.label;
  }
  run.n_iter = std::min(it + 1, max_iter);
  if (!strict)  // labels must match the final centres
    for (std::size_t i = 0; i < m; ++i) run.label[i] = nearest_centre(P.row(i), C, d, own[i]);
  double inertia = 0;
  for (std::size_t i = 0; i < m; ++i) {
    own[i] = rdist(P.row(i), C.row(run.label[i]).data(), d);
    inertia += own[i] * static_cast<double>(P.w[i]);
  }
  run.inertia = inertia;
  run.centres = std::move(C);
  return run;
}

// Same partition up to renumbering (sklearn keeps the earlier run then).
bool same_clustering(const std::vector<int>& a, const std::vector<int>& b, int k) {
  std::vector<int> map(static_cast<std::size_t>(k), -1);
  for (std::size_t i = 0; i < a.size(); ++i) {
    int& m = map[static_cast<std::size_t>(a[i])];
    if (m < 0) m = b[i];
    else if (m != b[i]) return false;
  }
  return true;
}

struct KmBest {
  KmRun run;
  int best_init = 0;
};

KmBest kmeans_points(const KmData& D, int k, int n_init, int max_iter, std::uint64_t seed, int threads) {
  std::mt19937_64 master(seed);
  std::vector<std::uint64_t> seeds(static_cast<std::size_t>(n_init));
  for (auto& s : seeds) s = master();
  std::vector<KmRun> runs(static_cast<std::size_t>(n_init));
  parallel_blocks(runs.size(), 1, thread_count(threads, runs.size()), [&](std::size_t b, std::size_t e, int) {
    for (std::size_t r = b; r < e; ++r) {
      std::mt19937_64 g(seeds[r]);
      runs[r] = lloyd(D, kmeanspp(D, k, g), max_iter);
    }
  });
  KmBest best;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    if (r == 0 || (runs[r].inertia < best.run.inertia && !same_clustering(runs[r].label, best.run.label, k))) {
      best.run = std::move(runs[r]);
      best.best_init = static_cast<int>(r);
    }
  }
  return best;
}

double tolerance(const Points& P, const FixedScale& fx, double tol) {
  if (tol == 0) return 0;
  const int d = P.d;
  std::vector<i128> sum(static_cast<std::size_t>(d), 0);
  for (std::size_t i = 0; i < P.size(); ++i)
    for (int j = 0; j < d; ++j) sum[static_cast<std::size_t>(j)] += fx.to_fixed(P.row(i)[j], j) * P.w[i];
  std::vector<double> mean(static_cast<std::size_t>(d));
  fixed_mean(fx, sum.data(), P.total, d, mean.data());
  double var_sum = 0;
  for (int j = 0; j < d; ++j) {
    long double v = 0;
    for (std::size_t i = 0; i < P.size(); ++i) {
      const double t = P.row(i)[j] - mean[static_cast<std::size_t>(j)];
      v += static_cast<long double>(t * t) * P.w[i];
    }
    var_sum += static_cast<double>(v / P.total);
  }
  return var_sum / d * tol;
}

void check_kmeans_common(const char* fname, int n_init, int max_iter, double tol) {
  if (n_init < 1) throw Error(prefix(fname) + "n_init must be >= 1, got " + std::to_string(n_init));
  if (max_iter < 1) throw Error(prefix(fname) + "max_iter must be >= 1, got " + std::to_string(max_iter));
  if (!(tol >= 0) || !std::isfinite(tol))
    throw Error(prefix(fname) + "tol must be a finite number >= 0, got " + num(tol));
}


struct Scan {
  int k = 0;  // 0: none passed
  KmBest best;
  std::vector<KScan> steps;
};

// Largest k whose clusters all keep >= K rows. Not monotone in k, so scan
// k = 1, 2, ... <= rows/K and stop after `patience` consecutive failures (0 = scan all).
Scan scan_k(const KmData& D, std::size_t distinct, std::int64_t K, int patience, int n_init, int max_iter,
            std::uint64_t seed, int threads) {
  Scan out;
  const Points& P = D.P;
  const std::int64_t kmax = std::min<std::int64_t>(P.total / K, static_cast<std::int64_t>(distinct));
  int fails = 0;
  for (int k = 1; k <= kmax; ++k) {
    KmBest run = kmeans_points(D, k, n_init, max_iter, seed, threads);
    std::vector<std::int64_t> size(static_cast<std::size_t>(k), 0);
    for (std::size_t i = 0; i < P.size(); ++i) size[static_cast<std::size_t>(run.run.label[i])] += P.w[i];
    const std::int64_t mn = *std::min_element(size.begin(), size.end());
    out.steps.push_back({k, mn});
    if (mn >= K) {
      out.k = k;
      out.best = std::move(run);
      fails = 0;
    } else if (patience > 0 && ++fails >= patience) {
      break;
    }
  }
  return out;
}

std::string no_k_reason(std::int64_t rows, std::int64_t K) {
  return rows < K ? "only " + std::to_string(rows) + " non-zero rows, fewer than min_size = " + std::to_string(K) +
                        ": no cluster can form"
                  : "no k gave clusters of at least min_size = " + std::to_string(K) + " rows";
}

void check_scan(const char* fname, int min_size, int patience) {
  if (min_size < 1) throw Error(prefix(fname) + "min_size must be >= 1, got " + std::to_string(min_size));
  if (patience < 0) throw Error(prefix(fname) + "patience must be >= 0, got " + std::to_string(patience));
}

}  // namespace
}  // namespace detail

KMeansResult kmeans(const Matrix& X, const KMeansOptions& opt) {
  detail::check_matrix(X, "kmeans");
  detail::check_kmeans_common("kmeans", opt.n_init, opt.max_iter, opt.tol);
  if (opt.k && *opt.k < 1) throw Error("cluster.kmeans: k must be >= 1, got " + std::to_string(*opt.k));
  if (!opt.k) detail::check_scan("kmeans", opt.min_size, opt.patience);
  KMeansResult res;
  std::vector<std::size_t> keep;
  detail::split_zero(X, opt.drop_zero, keep, res.zero_rows);
  const std::size_t n = static_cast<std::size_t>(X.rows());
  res.labels.assign(n, -1);
  res.centres.resize(0, X.cols());
  if (keep.empty()) {
    res.reason = "all " + std::to_string(n) + " rows are zero-performance (every feature is 0)";
    return res;
  }
  const std::string after = res.zero_rows.empty() ? "" : " after dropping zero rows";
  if (opt.k && static_cast<std::size_t>(*opt.k) > keep.size())
    throw Error("cluster.kmeans: k = " + std::to_string(*opt.k) + " exceeds the number of rows (" +
                std::to_string(keep.size()) + after + ")");
  const detail::Points Pd = detail::make_points(X, keep, true);  // the distinct count bounds k
  if (opt.k && static_cast<std::size_t>(*opt.k) > Pd.size())
    throw Error("cluster.kmeans: k = " + std::to_string(*opt.k) + " exceeds the number of distinct rows (" +
                std::to_string(Pd.size()) + " of " + std::to_string(keep.size()) + after + ")");
  const detail::Points Q = opt.exec.collapse ? Pd : detail::make_points(X, keep, false);
  detail::KmData D(Q);
  D.tol_abs = detail::tolerance(Q, D.fx, opt.tol);
  detail::KmBest best;
  if (opt.k) {
    res.k = *opt.k;
    best = detail::kmeans_points(D, res.k, opt.n_init, opt.max_iter, opt.seed, opt.exec.threads);
  } else {
    res.k_from_scan = true;
    detail::Scan sc = detail::scan_k(D, Pd.size(), opt.min_size, opt.patience, opt.n_init, opt.max_iter, opt.seed,
                                     opt.exec.threads);
    if (sc.k == 0) {
      res.reason = detail::no_k_reason(Q.total, opt.min_size);
      return res;
    }
    res.k = sc.k;
    best = std::move(sc.best);
  }
  res.labels = detail::expand_labels(Q, best.run.label, n);
  res.centres = std::move(best.run.centres);
  res.sizes.assign(static_cast<std::size_t>(res.k), 0);
  for (int l : res.labels)
    if (l >= 0) ++res.sizes[static_cast<std::size_t>(l)];
  res.inertia = best.run.inertia;
  res.n_iter = best.run.n_iter;
  res.best_init = best.best_init;
  return res;
}

ImprovedKMeansResult improved_kmeans(const Matrix& X, const ImprovedKMeansOptions& opt) {
  detail::check_matrix(X, "improved_kmeans");
  detail::check_kmeans_common("improved_kmeans", opt.n_init, opt.max_iter, opt.tol);
  detail::check_scan("improved_kmeans", opt.min_size, opt.patience);
  if (opt.k && *opt.k < 1) throw Error("cluster.improved_kmeans: k must be >= 1, got " + std::to_string(*opt.k));
  ImprovedKMeansResult res;
  const std::size_t n = static_cast<std::size_t>(X.rows());
  const int d = static_cast<int>(X.cols());
  res.labels.assign(n, -1);
  res.centres.resize(0, d);
  res.member_means.resize(0, d);
  std::vector<std::size_t> keep;
  detail::split_zero(X, opt.drop_zero, keep, res.zero_rows);
  if (keep.empty()) {
    res.reason = "all " + std::to_string(n) + " rows are zero-performance (every feature is 0)";
    return res;
  }
  const detail::Points Pd = detail::make_points(X, keep, true);
  const detail::Points P = opt.exec.collapse ? Pd : detail::make_points(X, keep, false);
  const std::int64_t rows = P.total;
  detail::KmData D(P);
  D.tol_abs = detail::tolerance(P, D.fx, opt.tol);
  const std::int64_t K = opt.min_size;

  detail::KmRun chosen;
  if (opt.k) {
    if (static_cast<std::size_t>(*opt.k) > Pd.size())
      throw Error("cluster.improved_kmeans: k = " + std::to_string(*opt.k) + " exceeds the number of distinct rows (" +
                  std::to_string(Pd.size()) + ")");
    res.k = *opt.k;
    chosen = detail::kmeans_points(D, res.k, opt.n_init, opt.max_iter, opt.seed, opt.exec.threads).run;
  } else {
    detail::Scan sc = detail::scan_k(D, Pd.size(), K, opt.patience, opt.n_init, opt.max_iter, opt.seed,
                                     opt.exec.threads);
    res.scan = std::move(sc.steps);
    if (sc.k == 0) {
      res.reason = detail::no_k_reason(rows, K);
      return res;
    }
    res.k = sc.k;
    chosen = std::move(sc.best.run);
  }
  res.kmeans_labels = detail::expand_labels(P, chosen.label, n);
  res.kmeans_centres = chosen.centres;

  // IAD of the KMeans clustering, then outliers beyond 2·IAD from their centroid.
  Matrix means;
  std::vector<std::int64_t> sizes;
  detail::member_means(P, chosen.label, res.k, means, sizes);
  long double dist_sum = 0;
  for (std::size_t i = 0; i < P.size(); ++i) {
    const double dd = std::sqrt(detail::rdist(P.row(i), means.row(chosen.label[i]).data(), d));
    dist_sum += static_cast<long double>(dd) * P.w[i];
  }
  res.kmeans_iad = static_cast<double>(dist_sum / rows);
  res.outlier_radius = 2.0 * res.kmeans_iad;
  std::vector<int> label = chosen.label;
  std::vector<std::int64_t> left(static_cast<std::size_t>(res.k), 0);
  for (std::size_t i = 0; i < P.size(); ++i) {
    const double dd = std::sqrt(detail::rdist(P.row(i), chosen.centres.row(label[i]).data(), d));
    if (dd > res.outlier_radius) label[i] = -1;
    else left[static_cast<std::size_t>(label[i])] += P.w[i];
  }
  std::vector<int> new_id(static_cast<std::size_t>(res.k), -1);
  std::vector<Eigen::Index> kept;
  for (int c = 0; c < res.k; ++c)
    if (left[static_cast<std::size_t>(c)] >= K) {
      new_id[static_cast<std::size_t>(c)] = static_cast<int>(kept.size());
      kept.push_back(c);
    }
  for (auto& l : label)
    if (l >= 0) l = new_id[static_cast<std::size_t>(l)];
  res.centres.resize(static_cast<Eigen::Index>(kept.size()), d);
  for (std::size_t c = 0; c < kept.size(); ++c) res.centres.row(static_cast<Eigen::Index>(c)) = chosen.centres.row(kept[c]);
  detail::member_means(P, label, static_cast<int>(kept.size()), res.member_means, res.sizes);
  res.labels = detail::expand_labels(P, label, n);
  if (kept.empty()) res.reason = "no KMeans cluster kept min_size = " + std::to_string(K) + " rows within 2·IAD";
  return res;
}

}  // namespace cod::cluster
