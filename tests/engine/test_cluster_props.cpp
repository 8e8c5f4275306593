// Properties of cod/cluster.hpp beyond the goldens: the weighted collapse and the
// threads give identical results; MeanShift and DBSCAN agree with naive
// reimplementations of scikit-learn's loops; KMeans is deterministic; bad input
// gives clear errors or results that state their reason.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cod/cluster.hpp"
#include "cod/error.hpp"
#include "test_util.hpp"

using test_util::message_of;

namespace cc = cod::cluster;

namespace {

double u01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// Blobs in [0,1]^d plus copies of some rows (so the collapse has work to do).
cod::Matrix blobs_with_copies(int n, int d, int blobs, std::uint64_t seed, double copy_rate) {
  std::mt19937_64 g(seed);
  std::vector<std::vector<double>> centre(static_cast<std::size_t>(blobs), std::vector<double>(static_cast<std::size_t>(d)));
  for (auto& c : centre)
    for (auto& v : c) v = 0.15 + 0.7 * u01(g);
  cod::Matrix X(n, d);
  for (int i = 0; i < n; ++i) {
    if (i > 0 && u01(g) < copy_rate) {
      X.row(i) = X.row(static_cast<Eigen::Index>(g() % static_cast<std::uint64_t>(i)));
      continue;
    }
    const auto& c = centre[g() % static_cast<std::uint64_t>(blobs)];
    for (int j = 0; j < d; ++j) X(i, j) = std::min(1.0, std::max(0.0, c[static_cast<std::size_t>(j)] + 0.08 * (u01(g) + u01(g) + u01(g) - 1.5)));
  }
  return X;
}

double rd(const cod::Matrix& X, Eigen::Index i, const std::vector<double>& m) {
  double s = 0;
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    const double t = m[static_cast<std::size_t>(j)] - X(i, j);
    s += t * t;
  }
  return s;
}

// scikit-learn 1.2's MeanShift loop written plainly: every row a seed, sequential means.
struct NaiveMS {
  std::vector<int> labels;
  std::vector<std::vector<double>> centres;
};
NaiveMS naive_meanshift(const cod::Matrix& X, double h, bool cluster_all, int max_iter) {
  const Eigen::Index n = X.rows(), d = X.cols();
  std::map<std::vector<double>, std::int64_t> dict;
  for (Eigen::Index s = 0; s < n; ++s) {
    std::vector<double> m(X.row(s).data(), X.row(s).data() + d), next(static_cast<std::size_t>(d));
    int it = 0;
    std::int64_t size = 0;
    for (;;) {
      std::fill(next.begin(), next.end(), 0.0);
      size = 0;
      for (Eigen::Index i = 0; i < n; ++i)
        if (rd(X, i, m) <= h * h) {
          ++size;
          for (Eigen::Index j = 0; j < d; ++j) next[static_cast<std::size_t>(j)] += X(i, j);
        }
      if (size == 0) break;
      for (auto& v : next) v /= static_cast<double>(size);
      double sh = 0;
      for (Eigen::Index j = 0; j < d; ++j) sh += (next[static_cast<std::size_t>(j)] - m[static_cast<std::size_t>(j)]) * (next[static_cast<std::size_t>(j)] - m[static_cast<std::size_t>(j)]);
      m = next;
      if (std::sqrt(sh) < 1e-3 * h || it == max_iter) break;
      ++it;
    }
    if (size > 0) dict[m] = size;
  }
  std::vector<std::pair<std::int64_t, std::vector<double>>> sorted;
  for (const auto& [c, sz] : dict) sorted.push_back({sz, c});
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<char> keep(sorted.size(), 1);
  NaiveMS out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (!keep[i]) continue;
    for (std::size_t j = i + 1; j < sorted.size(); ++j) {
      double s = 0;
      for (Eigen::Index k = 0; k < d; ++k) {
        const double t = sorted[i].second[static_cast<std::size_t>(k)] - sorted[j].second[static_cast<std::size_t>(k)];
        s += t * t;
      }
      if (s <= h * h) keep[j] = 0;
    }
    out.centres.push_back(sorted[i].second);
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    double best = std::numeric_limits<double>::infinity();
    int arg = -1;
    for (std::size_t c = 0; c < out.centres.size(); ++c) {
      const double r = rd(X, i, out.centres[c]);
      if (r < best) {
        best = r;
        arg = static_cast<int>(c);
      }
    }
    out.labels.push_back(cluster_all || std::sqrt(best) <= h ? arg : -1);
  }
  return out;
}

// scikit-learn's DBSCAN loop written plainly.
std::vector<int> naive_dbscan(const cod::Matrix& X, double eps, int min_samples) {
  const Eigen::Index n = X.rows();
  std::vector<std::vector<Eigen::Index>> nb(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    std::vector<double> p(X.row(i).data(), X.row(i).data() + X.cols());
    for (Eigen::Index j = 0; j < n; ++j)
      if (rd(X, j, p) <= eps * eps) nb[static_cast<std::size_t>(i)].push_back(j);
  }
  std::vector<int> label(static_cast<std::size_t>(n), -1);
  int next = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (label[static_cast<std::size_t>(i)] != -1 || static_cast<int>(nb[static_cast<std::size_t>(i)].size()) < min_samples) continue;
    std::vector<Eigen::Index> stack{i};
    while (!stack.empty()) {
      const Eigen::Index p = stack.back();
      stack.pop_back();
      if (label[static_cast<std::size_t>(p)] != -1) continue;
      label[static_cast<std::size_t>(p)] = next;
      if (static_cast<int>(nb[static_cast<std::size_t>(p)].size()) >= min_samples)
        for (Eigen::Index v : nb[static_cast<std::size_t>(p)])
          if (label[static_cast<std::size_t>(v)] == -1) stack.push_back(v);
    }
    ++next;
  }
  return label;
}

void same_up_to_renumbering(const std::vector<int>& a, const std::vector<int>& b) {
  REQUIRE(a.size() == b.size());
  std::map<int, int> f, r;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE((a[i] < 0) == (b[i] < 0));
    CHECK(f.emplace(a[i], b[i]).first->second == b[i]);
    CHECK(r.emplace(b[i], a[i]).first->second == a[i]);
  }
}

}  // namespace

TEST_CASE("collapsing duplicates and threads never change a result") {
  const cod::Matrix X = blobs_with_copies(400, 6, 4, 7, 0.35);
  auto exec = [](bool collapse, int threads) {
    cc::Exec e;
    e.collapse = collapse;
    e.threads = threads;
    return e;
  };
  SUBCASE("estimate_bandwidth") {
    for (double q : {0.05, 0.1, 0.3}) {
      cc::BandwidthOptions a, b;
      a.quantile = b.quantile = q;
      a.exec = exec(true, 2);
      b.exec = exec(false, 1);
      CHECK(cc::estimate_bandwidth(X, a) == cc::estimate_bandwidth(X, b));
    }
  }
  SUBCASE("MeanShift, with and without bin seeding") {
    for (bool bin : {false, true}) {
      cc::MeanShiftOptions a;
      a.bandwidth = 0.15;
      a.bin_seeding = bin;
      a.exec = exec(true, 2);
      cc::MeanShiftOptions b = a;
      b.exec = exec(false, 1);
      const auto ra = cc::meanshift(X, a), rb = cc::meanshift(X, b);
      CHECK(ra.labels == rb.labels);
      CHECK(ra.centres == rb.centres);  // bit-identical: sums are exact
      CHECK(ra.window_sizes == rb.window_sizes);
      CHECK(ra.n_iter == rb.n_iter);
      CHECK(ra.n_seeds == rb.n_seeds);
      CHECK(ra.n_distinct_seeds < rb.n_distinct_seeds + (bin ? 1u : 0u));
    }
  }
  SUBCASE("Improved MeanShift") {
    cc::ImprovedMeanShiftOptions a;
    a.exec = exec(true, 2);
    cc::ImprovedMeanShiftOptions b = a;
    b.exec = exec(false, 1);
    const auto ra = cc::improved_meanshift(X, a), rb = cc::improved_meanshift(X, b);
    CHECK(ra.labels == rb.labels);
    CHECK(ra.centres == rb.centres);
    CHECK(ra.member_means == rb.member_means);
    CHECK(ra.rounds == rb.rounds);
    CHECK(ra.bandwidth.bandwidth == rb.bandwidth.bandwidth);
  }
  SUBCASE("KMeans and Improved-KMeans") {
    cc::KMeansOptions a;
    a.k = 5;
    a.exec = exec(true, 2);
    cc::KMeansOptions b = a;
    b.exec = exec(false, 1);
    const auto ra = cc::kmeans(X, a), rb = cc::kmeans(X, b);
    CHECK(ra.labels == rb.labels);
    CHECK(ra.centres == rb.centres);
    CHECK(ra.best_init == rb.best_init);
    CHECK(ra.inertia == doctest::Approx(rb.inertia).epsilon(1e-12));
    cc::ImprovedKMeansOptions c;
    c.exec = exec(true, 2);
    cc::ImprovedKMeansOptions e = c;
    e.exec = exec(false, 1);
    const auto rc = cc::improved_kmeans(X, c), re = cc::improved_kmeans(X, e);
    CHECK(rc.k == re.k);
    CHECK(rc.labels == re.labels);
    CHECK(rc.kmeans_labels == re.kmeans_labels);
  }
  SUBCASE("DBSCAN") {
    cc::DbscanOptions a;
    a.eps = 0.12;
    a.min_samples = 8;
    a.exec = exec(true, 2);
    cc::DbscanOptions b = a;
    b.exec = exec(false, 1);
    const auto ra = cc::dbscan(X, a), rb = cc::dbscan(X, b);
    CHECK(ra.labels == rb.labels);
    CHECK(ra.core == rb.core);
    CHECK(ra.centres == rb.centres);
  }
}

TEST_CASE("MeanShift agrees with scikit-learn's loop written plainly") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const cod::Matrix X = blobs_with_copies(150, 3, 3, seed, 0.2);
    for (double h : {0.08, 0.15, 0.3})
      for (bool all : {false, true})
        for (int max_iter : {300, 2, 0}) {
          CAPTURE(seed);
          CAPTURE(h);
          CAPTURE(max_iter);
          cc::MeanShiftOptions o;
          o.bandwidth = h;
          o.cluster_all = all;
          o.max_iter = max_iter;
          const auto r = cc::meanshift(X, o);
          const NaiveMS ref = naive_meanshift(X, h, all, max_iter);
          REQUIRE(static_cast<std::size_t>(r.centres.rows()) == ref.centres.size());
          same_up_to_renumbering(r.labels, ref.labels);
          // Same order as sklearn: centre c is the reference's centre c.
          for (std::size_t c = 0; c < ref.centres.size(); ++c)
            for (std::size_t j = 0; j < 3; ++j)
              CHECK(std::fabs(r.centres(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j)) - ref.centres[c][j]) < 1e-12);
        }
  }
}

TEST_CASE("MeanShift: boundary inclusive, bin seeding cells, max_iter, the sklearn fallback") {
  SUBCASE("a point exactly h away is in the window and gets the label") {
    cod::Matrix X(2, 1);
    X << 0.0, 1.0;
    cc::MeanShiftOptions o;
    o.bandwidth = 1.0;
    o.drop_zero = false;
    const auto r = cc::meanshift(X, o);
    CHECK(r.centres.rows() == 1);
    CHECK(r.centres(0, 0) == 0.5);
    CHECK(r.labels == cod::Labels{0, 0});
    CHECK(r.window_sizes == std::vector<std::int64_t>{2});
  }
  SUBCASE("bin seeding: cells round half to even, min_bin_freq filters") {
    // x/h = 0.5 -> cell 0, 1.5 -> cell 2, 2.5 -> cell 2: two cells from three rows.
    cod::Matrix X(3, 1);
    X << 0.5, 1.5, 2.5;
    cc::MeanShiftOptions o;
    o.bandwidth = 1.0;
    o.bin_seeding = true;
    o.drop_zero = false;
    auto r = cc::meanshift(X, o);
    CHECK(r.n_seeds == 2);
    CHECK_FALSE(r.bin_seeding_fallback);
    o.min_bin_freq = 2;
    r = cc::meanshift(X, o);
    CHECK(r.n_seeds == 1);  // only cell 2 holds two rows
    o.min_bin_freq = 3;
    CHECK(message_of([&] { cc::meanshift(X, o); }).find("no point was within bandwidth") != std::string::npos);
  }
  SUBCASE("one cell per row: every row seeds, as sklearn") {
    cod::Matrix X(3, 1);
    X << 0.0, 3.0, 6.0;
    cc::MeanShiftOptions o;
    o.bandwidth = 1.0;
    o.bin_seeding = true;
    o.drop_zero = false;
    const auto r = cc::meanshift(X, o);
    CHECK(r.bin_seeding_fallback);
    CHECK(r.n_seeds == 3);
    CHECK(r.centres.rows() == 3);
  }
  SUBCASE("the estimated bandwidth is used when none is given; 0 is an outcome") {
    const cod::Matrix X = blobs_with_copies(200, 4, 3, 5, 0.0);
    cc::MeanShiftOptions o;
    const auto r = cc::meanshift(X, o);
    cc::BandwidthOptions b;
    b.quantile = 0.3;
    CHECK(r.bandwidth_estimated);
    CHECK(r.bandwidth == cc::estimate_bandwidth(X, b));
    cod::Matrix D = cod::Matrix::Constant(10, 2, 0.5);
    const auto z = cc::meanshift(D, o);
    CHECK(z.centres.rows() == 0);
    CHECK(z.bandwidth == 0.0);
    CHECK(z.reason.find("estimate_bandwidth(quantile = 0.3) is 0 over 10 rows (1 distinct)") == 0);
  }
}

TEST_CASE("estimate_bandwidth: the point is its own first neighbour; subsamples are seeded") {
  cod::Matrix X(4, 1);
  X << 0.0, 1.0, 3.0, 7.0;
  cc::BandwidthOptions o;
  o.quantile = 0.25;  // k = 1: every point's own distance, 0
  CHECK(cc::estimate_bandwidth(X, o) == 0.0);
  o.quantile = 0.5;  // k = 2: nearest other point: 1, 1, 2, 4
  CHECK(cc::estimate_bandwidth(X, o) == 2.0);
  o.quantile = 1.0;  // k = 4: farthest: 7, 6, 4, 7
  CHECK(cc::estimate_bandwidth(X, o) == 6.0);
  o.quantile = 0.0;  // k = max(1, 0)
  CHECK(cc::estimate_bandwidth(X, o) == 0.0);

  const cod::Matrix B = blobs_with_copies(300, 5, 3, 9, 0.1);
  cc::BandwidthOptions s;
  s.quantile = 0.2;
  s.n_samples = 100;
  s.seed = 4;
  const double a = cc::estimate_bandwidth(B, s);
  CHECK(a == cc::estimate_bandwidth(B, s));
  s.seed = 5;
  CHECK(a != cc::estimate_bandwidth(B, s));
  s.n_samples = 1000;  // more than the rows: all rows
  cc::BandwidthOptions all;
  all.quantile = 0.2;
  CHECK(cc::estimate_bandwidth(B, s) == cc::estimate_bandwidth(B, all));
}

TEST_CASE("DBSCAN agrees with scikit-learn's loop written plainly") {
  for (std::uint64_t seed : {11u, 12u}) {
    const cod::Matrix X = blobs_with_copies(250, 3, 4, seed, 0.25);
    for (double eps : {0.04, 0.08, 0.15})
      for (int ms : {1, 5, 12}) {
        cc::DbscanOptions o;
        o.eps = eps;
        o.min_samples = ms;
        const auto r = cc::dbscan(X, o);
        CHECK(r.labels == naive_dbscan(X, eps, ms));  // same numbering: by first core row
      }
  }
}

TEST_CASE("DBSCAN defaults to the paper's eps = R") {
  const cod::Matrix X = blobs_with_copies(300, 4, 3, 21, 0.1);
  const auto r = cc::dbscan(X, {});
  REQUIRE(r.eps_choice.has_value());
  const auto R = cc::paper_bandwidth(X);
  CHECK(r.eps == R.bandwidth);
  CHECK(r.eps <= std::sqrt(4.0) / 10.0);
}

TEST_CASE("KMeans: deterministic for a seed, sensible on separated blobs") {
  const cod::Matrix X = blobs_with_copies(300, 4, 3, 31, 0.1);
  cc::KMeansOptions o;
  o.k = 3;
  o.seed = 42;
  const auto a = cc::kmeans(X, o), b = cc::kmeans(X, o);
  CHECK(a.labels == b.labels);
  CHECK(a.centres == b.centres);
  CHECK(a.inertia == b.inertia);
  // Every centre is the mean of its rows, inertia is the sum of squared distances.
  double inertia = 0;
  for (int c = 0; c < 3; ++c) {
    Eigen::RowVectorXd s = Eigen::RowVectorXd::Zero(4);
    int m = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      if (a.labels[static_cast<std::size_t>(i)] == c) {
        s += X.row(i);
        ++m;
        inertia += (X.row(i) - a.centres.row(c)).squaredNorm();
      }
    CHECK(m == a.sizes[static_cast<std::size_t>(c)]);
    CHECK((s / m - a.centres.row(c)).cwiseAbs().maxCoeff() < 1e-12);
  }
  CHECK(a.inertia == doctest::Approx(inertia).epsilon(1e-12));
  // k = 1: the centre is the mean.
  o.k = 1;
  const auto one = cc::kmeans(X, o);
  CHECK((one.centres.row(0) - X.colwise().mean()).cwiseAbs().maxCoeff() < 1e-12);
  // Without k: the Improved-KMeans k.
  cc::KMeansOptions s;
  const auto scanned = cc::kmeans(X, s);
  CHECK(scanned.k_from_scan);
  CHECK(scanned.k == cc::improved_kmeans(X, {}).k);
  CHECK(scanned.labels == cc::improved_kmeans(X, {}).kmeans_labels);
}

TEST_CASE("Improved-KMeans: outliers beyond 2 IAD, small clusters dropped") {
  const cod::Matrix X = blobs_with_copies(300, 4, 3, 41, 0.0);
  const auto r = cc::improved_kmeans(X, {});
  REQUIRE(r.k >= 1);
  CHECK(r.outlier_radius == 2 * r.kmeans_iad);
  for (std::size_t i = 0; i < r.labels.size(); ++i) {
    if (r.labels[i] < 0) continue;
    const Eigen::Index c = r.labels[i];
    CHECK((X.row(static_cast<Eigen::Index>(i)) - r.centres.row(c)).norm() <= r.outlier_radius);
  }
  for (auto s : r.sizes) CHECK(s >= 10);
  // The scan records every k tried; the chosen one passed.
  bool found = false;
  for (const auto& s : r.scan)
    if (s.k == r.k) found = s.min_cluster_size >= 10;
  CHECK(found);
}

TEST_CASE("quality: IAD, OR and summaries by hand") {
  cod::Matrix X(5, 2);
  X << 0, 0, 2, 0, 10, 10, 10, 12, 5, 5;
  const cod::Labels labels{0, 0, 1, 1, -1};
  cod::Matrix C(2, 2);
  C << 1, 0, 10, 11;
  cod::Matrix P(5, 1);
  P << 0.1, 0.3, 0.5, 0.7, 0.9;
  const auto q = cc::quality(X, labels, &C, &P);
  CHECK(q.iad == 1.0);  // every clustered row is 1 from its member mean
  CHECK(q.outlier_rate == 20.0);
  CHECK(q.n_clustered == 4);
  REQUIRE(q.clusters.size() == 2);
  CHECK(q.clusters[1].size == 2);
  CHECK(q.clusters[1].member_mean(1) == 11.0);
  CHECK(q.clusters[1].centre(1) == 11.0);
  CHECK(q.clusters[0].pass_rate(0) == doctest::Approx(0.2));
  const auto none = cc::quality(X, cod::Labels(5, -1));
  CHECK(std::isnan(none.iad));
  CHECK(none.outlier_rate == 100.0);
  CHECK(message_of([&] { cc::quality(X, cod::Labels{0, 1}); }) ==
        "cluster.quality: labels has 2 entries but X has 5 rows");
  CHECK(message_of([&] { cc::quality(X, cod::Labels{0, 0, -2, 0, 0}); }) ==
        "cluster.quality: label of row 3 is -2; cluster ids are >= 0 and -1 means none");
  CHECK(message_of([&] { cc::quality(X, labels, &P); }) == "cluster.quality: centres has 1 columns but X has 2");
}

TEST_CASE("bad input: clear errors with the numbers") {
  const cod::Matrix empty(0, 0);
  CHECK(message_of([&] { cc::improved_meanshift(empty); }) == "cluster.improved_meanshift: X has no rows");
  CHECK(message_of([&] { cc::estimate_bandwidth(cod::Matrix(3, 0)); }) ==
        "cluster.estimate_bandwidth: X has 3 rows but no columns");
  cod::Matrix nan = cod::Matrix::Constant(3, 2, 0.5);
  nan(1, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK(message_of([&] { cc::kmeans(nan, {}); }) == "cluster.kmeans: X has a non-finite value (NaN) at row 2, column 2");
  nan(1, 1) = -std::numeric_limits<double>::infinity();
  CHECK(message_of([&] { cc::dbscan(nan, {}); }) == "cluster.dbscan: X has a non-finite value (-inf) at row 2, column 2");
  const cod::Matrix X = blobs_with_copies(20, 2, 2, 3, 0.5);
  cc::KMeansOptions k;
  k.k = 21;
  CHECK(message_of([&] { cc::kmeans(X, k); }) == "cluster.kmeans: k = 21 exceeds the number of rows (20)");
  k.k = 0;
  CHECK(message_of([&] { cc::kmeans(X, k); }) == "cluster.kmeans: k must be >= 1, got 0");
  const cod::Matrix same = cod::Matrix::Constant(6, 3, 0.4);
  k.k = 2;
  CHECK(message_of([&] { cc::kmeans(same, k); }) == "cluster.kmeans: k = 2 exceeds the number of distinct rows (1 of 6)");
  cc::MeanShiftOptions m;
  m.bandwidth = 0.0;
  CHECK(message_of([&] { cc::meanshift(X, m); }) == "cluster.meanshift: bandwidth must be a finite number > 0, got 0");
  m.bandwidth = -1.0;
  CHECK(message_of([&] { cc::meanshift(X, m); }) == "cluster.meanshift: bandwidth must be a finite number > 0, got -1");
  cc::DbscanOptions db;
  db.eps = 0.0;
  CHECK(message_of([&] { cc::dbscan(X, db); }) == "cluster.dbscan: eps must be a finite number > 0, got 0");
  cc::BandwidthOptions b;
  b.quantile = 1.5;
  CHECK(message_of([&] { cc::estimate_bandwidth(X, b); }) == "cluster.estimate_bandwidth: quantile must be in [0, 1], got 1.5");
  cc::ImprovedMeanShiftOptions im;
  im.min_size = 0;
  CHECK(message_of([&] { cc::improved_meanshift(X, im); }) == "cluster.improved_meanshift: min_size must be >= 1, got 0");
}

TEST_CASE("degenerate input: results that state their reason") {
  SUBCASE("fewer rows than min_size") {
    const cod::Matrix X = blobs_with_copies(7, 3, 1, 5, 0.0);
    const auto r = cc::improved_meanshift(X, {});
    CHECK(r.centres.rows() == 0);
    CHECK(r.labels == cod::Labels(7, -1));
    CHECK(r.reason == "only 7 non-zero rows, fewer than min_size = 10: no cluster can form");
    const auto k = cc::improved_kmeans(X, {});
    CHECK(k.k == 0);
    CHECK(k.reason == "only 7 non-zero rows, fewer than min_size = 10: no cluster can form");
  }
  SUBCASE("all rows identical: the estimate is 0, R = U, one cluster") {
    const cod::Matrix X = cod::Matrix::Constant(30, 4, 0.25);
    const auto r = cc::improved_meanshift(X, {});
    CHECK(r.bandwidth.estimate == 0.0);
    CHECK(r.bandwidth.estimate_zero);
    CHECK(r.bandwidth.bandwidth == r.bandwidth.cap);
    CHECK(r.centres.rows() == 1);
    CHECK(r.sizes == std::vector<std::int64_t>{30});
    CHECK(cc::quality(X, r.labels).iad == 0.0);
    cc::DbscanOptions d;
    d.eps = 0.1;
    CHECK(cc::dbscan(X, d).sizes == std::vector<std::int64_t>{30});
    cc::KMeansOptions k;
    k.k = 1;
    CHECK(cc::kmeans(X, k).inertia == 0.0);
  }
  SUBCASE("all rows zero-performance") {
    const cod::Matrix Z = cod::Matrix::Zero(12, 3);
    const std::string why = "all 12 rows are zero-performance (every feature is 0)";
    const auto r = cc::improved_meanshift(Z, {});
    CHECK(r.reason == why);
    CHECK(r.zero_rows.size() == 12);
    CHECK(std::isnan(r.bandwidth.bandwidth));
    CHECK(cc::improved_kmeans(Z, {}).reason == why);
    CHECK(cc::kmeans(Z, {}).reason == why);
    CHECK(cc::dbscan(Z, {}).reason == why);
    CHECK(cc::meanshift(Z, {}).reason == why);
    CHECK(cc::quality(Z, r.labels).outlier_rate == 100.0);
  }
  SUBCASE("zero rows are dropped and labelled -1, and count as outliers") {
    cod::Matrix X = blobs_with_copies(60, 3, 1, 8, 0.0);
    X.row(5).setZero();
    X.row(17).setZero();
    const auto r = cc::improved_meanshift(X, {});
    CHECK(r.zero_rows == std::vector<std::size_t>{5, 17});
    CHECK(r.labels[5] == -1);
    CHECK(r.labels[17] == -1);
  }
  SUBCASE("max_rounds cuts Improved MeanShift and says so") {
    const cod::Matrix X = blobs_with_copies(300, 4, 5, 13, 0.0);
    cc::ImprovedMeanShiftOptions o;
    o.max_rounds = 1;
    const auto r = cc::improved_meanshift(X, o);
    CHECK(r.rounds == 1);
    CHECK(r.max_rounds_reached == (r.history[0].n_new_labelled > 0));
  }
}
