// Parity of cod/cluster.hpp with scikit-learn 1.2.1 (tests/data/golden/meanshift_*.json,
// improved_meanshift.json, improved_kmeans.json). Each golden's `notes` says how to
// compare: labels up to renumbering, centres to 1e-6, bandwidths to 1e-9 relative.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cod/cluster.hpp"
#include "cod/error.hpp"

namespace cc = cod::cluster;
using nlohmann::json;

namespace {

json load(const std::string& name) {
  std::ifstream in(std::string(COD_TEST_DATA_DIR) + "/golden/" + name);
  REQUIRE(in.good());
  return json::parse(in);
}

cod::Matrix matrix(const json& rows) {
  const auto n = static_cast<Eigen::Index>(rows.size());
  const auto d = static_cast<Eigen::Index>(rows.at(0).size());
  cod::Matrix X(n, d);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = rows.at(static_cast<std::size_t>(i)).at(static_cast<std::size_t>(j)).get<double>();
  return X;
}

// Labels equal up to renumbering: a one-to-one map ours -> theirs with -1 <-> -1.
// Returns the map (ours id -> golden id) for matching centres.
std::map<int, int> bijection(const cod::Labels& ours, const std::vector<int>& theirs) {
  REQUIRE(ours.size() == theirs.size());
  std::map<int, int> fwd, back;
  bool ok = true;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const int a = ours[i], b = theirs[i];
    if ((a < 0) != (b < 0)) {
      ok = false;
      break;
    }
    auto f = fwd.emplace(a, b).first;
    auto g = back.emplace(b, a).first;
    if (f->second != b || g->second != a) {
      ok = false;
      break;
    }
  }
  CHECK_MESSAGE(ok, "labels differ beyond renumbering");
  return fwd;
}

double max_abs(const Eigen::RowVectorXd& a, const std::vector<double>& b) {
  REQUIRE(static_cast<std::size_t>(a.size()) == b.size());
  double m = 0;
  for (std::size_t j = 0; j < b.size(); ++j) m = std::max(m, std::fabs(a(static_cast<Eigen::Index>(j)) - b[j]));
  return m;
}

// Largest deviations seen, printed at the end of each case (for the report).
struct Dev {
  double bandwidth_rel = 0, centre = 0, mean = 0, iad = 0, outlier = 0;
};

}  // namespace

TEST_CASE("estimate_bandwidth matches scikit-learn on every golden and quantile") {
  for (const std::string name : {"meanshift_docstring.json", "meanshift_blobs1.json", "meanshift_blobs2.json",
                           "meanshift_duplicates.json"}) {
    CAPTURE(name);
    const json g = load(name);
    const cod::Matrix X = matrix(g["inputs"]["X"]);
    double worst = 0;
    for (const auto& [q, want] : g["estimate_bandwidth"]["by_quantile"].items()) {
      CAPTURE(q);
      for (bool collapse : {true, false})
        for (int threads : {1, 2}) {
          cc::BandwidthOptions o;
          o.quantile = std::stod(q);
          o.exec.collapse = collapse;
          o.exec.threads = threads;
          const double got = cc::estimate_bandwidth(X, o);
          const double w = want.get<double>();
          const double rel = w == 0 ? std::fabs(got) : std::fabs(got - w) / std::fabs(w);
          worst = std::max(worst, rel);
          CHECK(rel <= 1e-9);
        }
    }
    MESSAGE(name << ": estimate_bandwidth max relative deviation " << worst);
  }
}

TEST_CASE("MeanShift matches scikit-learn: labels, centres, cluster sizes, n_iter") {
  for (const std::string name : {"meanshift_docstring.json", "meanshift_blobs1.json", "meanshift_blobs2.json",
                           "meanshift_duplicates.json"}) {
    CAPTURE(name);
    const json g = load(name);
    const cod::Matrix X = matrix(g["inputs"]["X"]);
    double worst = 0;
    for (const json& run : g["meanshift"]) {
      const double h = run["bandwidth"].get<double>();
      const bool all = run["cluster_all"].get<bool>();
      CAPTURE(h);
      CAPTURE(all);
      for (bool collapse : {true, false}) {
        cc::MeanShiftOptions o;
        o.bandwidth = h;
        o.cluster_all = all;
        o.drop_zero = false;  // plain scikit-learn
        o.exec.collapse = collapse;
        const cc::MeanShiftResult r = cc::meanshift(X, o);
        const auto want_labels = run["labels"].get<std::vector<int>>();
        const auto map = bijection(r.labels, want_labels);
        REQUIRE(static_cast<std::size_t>(r.centres.rows()) == run["n_clusters"].get<std::size_t>());
        const auto want_sizes = run["sizes"].get<std::vector<std::int64_t>>();
        for (const auto& [ours, theirs] : map) {
          if (ours < 0) continue;
          const double dev = max_abs(r.centres.row(ours), run["centres"][static_cast<std::size_t>(theirs)].get<std::vector<double>>());
          worst = std::max(worst, dev);
          CHECK(dev <= 1e-6);
          CHECK(r.sizes[static_cast<std::size_t>(ours)] == want_sizes[static_cast<std::size_t>(theirs)]);  // rows per cluster
        }
        std::size_t unlabelled = 0;
        for (int l : r.labels) unlabelled += l < 0;
        CHECK(unlabelled == run["n_unlabelled"].get<std::size_t>());
        CHECK(r.n_iter == run["n_iter"].get<int>());
      }
    }
    MESSAGE(name << ": MeanShift max centre deviation " << worst);
  }
}

TEST_CASE("Improved MeanShift matches the reference (SPEC 3.3)") {
  const json g = load("improved_meanshift.json");
  for (const json& c : g["cases"]) {
    CAPTURE(c["name"].get<std::string>());
    const cod::Matrix X = matrix(c["inputs"]["X"]);
    const json& want = c["outputs"];
    for (bool collapse : {true, false}) {
      for (int threads : {1, 2}) {
        cc::ImprovedMeanShiftOptions o;
        o.exec.collapse = collapse;
        o.exec.threads = threads;
        const cc::ImprovedMeanShiftResult r = cc::improved_meanshift(X, o);
        Dev dev;
        dev.bandwidth_rel = std::fabs(r.bandwidth.bandwidth - want["R"].get<double>()) / want["R"].get<double>();
        CHECK(dev.bandwidth_rel <= 1e-9);
        CHECK(std::fabs(r.bandwidth.estimate - want["bandwidth_estimate"].get<double>()) <=
              1e-9 * want["bandwidth_estimate"].get<double>());
        CHECK(std::fabs(r.bandwidth.cap - want["U"].get<double>()) <= 1e-15);
        CHECK(r.bandwidth.estimate_zero == want["bandwidth_zero"].get<bool>());
        CHECK(r.rounds == want["rounds"].get<int>());
        CHECK(r.zero_rows.size() == want["n_zero"].get<std::size_t>());
        REQUIRE(r.history.size() == want["round_history"].size());
        for (std::size_t k = 0; k < r.history.size(); ++k) {
          const json& h = want["round_history"][k];
          CHECK(r.history[k].n_input == h["n_input"].get<std::size_t>());
          CHECK(r.history[k].n_meanshift_clusters == h["n_meanshift_clusters"].get<std::size_t>());
          CHECK(r.history[k].n_new_clusters == h["n_new_clusters"].get<std::size_t>());
          CHECK(r.history[k].n_new_labelled == h["n_new_labelled"].get<std::size_t>());
        }
        const auto map = bijection(r.labels, want["labels"].get<std::vector<int>>());
        REQUIRE(static_cast<std::size_t>(r.centres.rows()) == want["n_clusters"].get<std::size_t>());
        for (const json& cl : want["clusters"]) {
          const int theirs = cl["label"].get<int>();
          int ours = -1;
          for (const auto& [a, b] : map)
            if (b == theirs) ours = a;
          REQUIRE(ours >= 0);
          CHECK(r.sizes[static_cast<std::size_t>(ours)] == cl["size"].get<std::int64_t>());
          const double dm = max_abs(r.centres.row(ours), cl["mode"].get<std::vector<double>>());
          const double dmm = max_abs(r.member_means.row(ours), cl["member_mean"].get<std::vector<double>>());
          dev.centre = std::max(dev.centre, dm);
          dev.mean = std::max(dev.mean, dmm);
          CHECK(dm <= 1e-6);
          CHECK(dmm <= 1e-6);
        }
        const cc::Quality q = cc::quality(X, r.labels, &r.centres);
        dev.iad = std::fabs(q.iad - want["IAD"].get<double>());
        dev.outlier = std::fabs(q.outlier_rate - want["OR_percent"].get<double>());
        CHECK(dev.iad <= 1e-9);
        CHECK(dev.outlier <= 1e-9);
        if (collapse && threads == 2)
          MESSAGE(c["name"].get<std::string>() << ": R rel " << dev.bandwidth_rel << ", modes " << dev.centre
                                               << ", member means " << dev.mean << ", IAD " << dev.iad << ", OR "
                                               << dev.outlier);
      }
    }
  }
}

TEST_CASE("Improved-KMeans is close to the reference (KMeans streams differ, see the golden's notes)") {
  const json gm = load("improved_meanshift.json");
  const json gk = load("improved_kmeans.json");
  for (std::size_t c = 0; c < gk["cases"].size(); ++c) {
    const json& want = gk["cases"][c]["outputs"];
    CAPTURE(gk["cases"][c]["name"].get<std::string>());
    const cod::Matrix X = matrix(gm["cases"][c]["inputs"]["X"]);
    for (int patience : {0, 10}) {
      CAPTURE(patience);
      cc::ImprovedKMeansOptions o;
      o.patience = patience;
      const cc::ImprovedKMeansResult r = cc::improved_kmeans(X, o);
      const cc::Quality q = cc::quality(X, r.labels);
      MESSAGE("chosen k " << r.k << " (sklearn " << want["chosen_k"] << "), IAD " << q.iad << " (" << want["IAD"]
                          << "), OR " << q.outlier_rate << " (" << want["OR_percent"] << "), kmeans IAD "
                          << r.kmeans_iad << " (" << want["IAD_kmeans_at_k"] << ")");
      CHECK(std::abs(r.k - want["chosen_k"].get<int>()) <= 3);
      CHECK(std::fabs(q.iad - want["IAD"].get<double>()) <= 0.1 * want["IAD"].get<double>());
      CHECK(std::fabs(r.kmeans_iad - want["IAD_kmeans_at_k"].get<double>()) <= 0.1 * want["IAD_kmeans_at_k"].get<double>());
      CHECK(std::fabs(q.outlier_rate - want["OR_percent"].get<double>()) <= 5.0);
      CHECK(r.zero_rows.size() == want["n_zero"].get<std::size_t>());
      CHECK(std::fabs(r.outlier_radius - 2 * r.kmeans_iad) == 0.0);
    }
  }
}
