// DBSCAN with scikit-learn semantics: a neighbourhood is every row within
// distance <= eps (the row itself included, duplicates counted); a core row has
// at least min_samples rows in it; clusters grow from core rows in row order,
// and a border row joins the first cluster that reaches it.

#include <limits>

#include "cluster_kdtree.hpp"
#include "cluster_meanshift.hpp"

namespace cod::cluster {

DbscanResult dbscan(const Matrix& X, const DbscanOptions& opt) {
  detail::check_matrix(X, "dbscan");
  detail::check_positive(opt.eps, "eps", "dbscan");
  detail::check_positive(opt.max_bandwidth, "max_bandwidth", "dbscan");
  detail::check_quantile(opt.quantile, "dbscan");
  if (opt.min_samples < 1)
    throw Error("cluster.dbscan: min_samples must be >= 1, got " + std::to_string(opt.min_samples));
  DbscanResult res;
  const std::size_t n = static_cast<std::size_t>(X.rows());
  res.labels.assign(n, -1);
  res.core.assign(n, false);
  res.centres.resize(0, X.cols());
  std::vector<std::size_t> keep;
  detail::split_zero(X, opt.drop_zero, keep, res.zero_rows);
  if (keep.empty()) {
    res.eps = opt.eps ? *opt.eps : std::numeric_limits<double>::quiet_NaN();
    res.reason = "all " + std::to_string(n) + " rows are zero-performance (every feature is 0)";
    return res;
  }
  const detail::Points P = detail::make_points(X, keep, opt.exec.collapse);
  if (opt.eps) {
    res.eps = *opt.eps;
  } else {
    res.eps_choice = detail::choose_bandwidth(P, opt.quantile, opt.max_bandwidth, opt.exec.threads);
    res.eps = res.eps_choice->bandwidth;
  }
  const detail::KdTree tree(P, nullptr);
  const double r2 = res.eps * res.eps;
  const std::size_t m = P.size();

  std::vector<char> core(m, 0);
  detail::parallel_blocks(m, 512, detail::thread_count(opt.exec.threads, m), [&](std::size_t b, std::size_t e, int) {
    for (std::size_t i = b; i < e; ++i) core[i] = tree.count_within(P.row(i), r2) >= opt.min_samples ? 1 : 0;
  });

  // Points are in order of first row, so this visits rows as sklearn does.
  std::vector<int> label(m, -1);
  std::vector<int> alive = tree.alive_counts();
  std::vector<char> dead(m, 0);
  std::vector<std::size_t> stack;
  int next = 0;
  for (std::size_t i = 0; i < m; ++i) {
    if (label[i] >= 0 || !core[i]) continue;
    const int c = next++;
    label[i] = c;
    tree.kill(alive, dead, i);
    stack.assign(1, i);
    while (!stack.empty()) {
      const std::size_t p = stack.back();
      stack.pop_back();
      // Only unlabelled rows can change, so labelled ones are switched off in the tree.
      tree.for_each_alive_within(P.row(p), r2, alive, dead, [&](std::size_t j) {
        label[j] = c;
        tree.kill(alive, dead, j);
        if (core[j]) stack.push_back(j);
      });
    }
  }
  res.labels = detail::expand_labels(P, label, n);
  for (std::size_t r = 0; r < n; ++r)
    if (P.of_row[r] >= 0 && core[static_cast<std::size_t>(P.of_row[r])]) {
      res.core[r] = true;
      ++res.n_core;
    }
  detail::member_means(P, label, next, res.centres, res.sizes);
  if (next == 0)
    res.reason = "no core row: no row has min_samples = " + std::to_string(opt.min_samples) + " rows within eps = " +
                 detail::num(res.eps);
  return res;
}

}  // namespace cod::cluster
