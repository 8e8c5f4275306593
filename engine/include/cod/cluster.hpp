#pragma once
/// @file cluster.hpp
/// Clustering on difficulty (SPEC §3): estimate_bandwidth, MeanShift, Improved
/// MeanShift (paper Algorithm 1), KMeans, Improved-KMeans, DBSCAN, and cluster
/// quality (IAD, OR, per-cluster summaries).
///
/// Conventions shared by every function here:
/// - Rows of `X` are items, columns are features; distances are Euclidean and
///   computed as `sqrt(sum_j (a_j - b_j)^2)` summed in column order (as
///   scikit-learn's KD-tree does), so boundary decisions (`<= h`) are exact and
///   reproducible.
/// - Labels are 0-based cluster ids; -1 means "not in a cluster".
/// - Error messages count rows and columns from 1 ("row 3" is the third row).
/// - Identical rows are collapsed into one weighted point before any work
///   (`Exec::collapse`). Window sums are exact (fixed-point integer sums, see
///   docs/cluster.md), so a collapsed run gives bit-identical labels and
///   centres to the run on the raw rows (KMeans: unless a Lloyd step empties a
///   cluster and the farthest row has copies; they then move together). Threads
///   never change results.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cod/matrix.hpp"

namespace cod::cluster {

/** Execution knobs. They change speed, never results. */
struct Exec {
  /** Worker threads; 0 = std::thread::hardware_concurrency(). */
  int threads = 0;
  /** Collapse identical rows into weighted points (false = work on the raw rows; for checks). */
  bool collapse = true;
};

// ------------------------------------------------------------------ bandwidth

/** Options of estimate_bandwidth (scikit-learn semantics, SPEC §3.1). */
struct BandwidthOptions {
  /** Quantile Q in [0, 1]: the k-th neighbour with k = max(1, floor(n·Q)), the point itself first. */
  double quantile = 0.3;
  /** Use a seeded random subsample of this many rows; 0 = all rows. */
  std::size_t n_samples = 0;
  /** Seed of the subsample (std::mt19937_64; a Fisher–Yates shuffle, see docs/cluster.md). */
  std::uint64_t seed = 0;
  Exec exec;
};

/**
 * Mean over rows of the distance to the row's k-th nearest neighbour, the row itself
 * counted as the first (so duplicates count, and the result can be 0).
 * Throws cod::Error on an empty matrix, a non-finite value or a quantile outside [0, 1].
 */
double estimate_bandwidth(const Matrix& X, const BandwidthOptions& opt = {});

/** The paper's bandwidth R = min(estimate_bandwidth(X, Q), U) with R = U when the estimate is 0. */
struct BandwidthChoice {
  double bandwidth = 0;  ///< R
  double estimate = 0;   ///< estimate_bandwidth(X, Q)
  double cap = 0;        ///< U
  bool estimate_zero = false;  ///< the estimate was 0 and R = U was used instead
};

/**
 * R of SPEC §3.3 step 1 on the rows of `X`, all-zero rows dropped first when `drop_zero`.
 * `cap` defaults to U = sqrt(d)/10 (max distance in [0,1]^d over 10). With no row left
 * the bandwidth and estimate are NaN.
 */
BandwidthChoice paper_bandwidth(const Matrix& X, double quantile = 0.1, std::optional<double> cap = std::nullopt,
                                bool drop_zero = true, const Exec& exec = {});

// ------------------------------------------------------------------ zero filter

/** Indices (0-based) of the rows whose features are all exactly 0 (SPEC §2: reason `zero`). */
std::vector<std::size_t> zero_rows(const Matrix& X);

/** Number of distinct rows of X (rows equal value for value, -0.0 == 0.0, count once): the
 *  points Improved MeanShift climbs from after collapsing copies. */
std::size_t distinct_rows(const Matrix& X);

// ------------------------------------------------------------------ MeanShift

/** Options of MeanShift (flat kernel, scikit-learn 1.2 semantics, SPEC §3.2). */
struct MeanShiftOptions {
  /** Kernel radius h > 0; absent: estimate_bandwidth(X, quantile), uncapped (SPEC §3.3 item 5). */
  std::optional<double> bandwidth;
  /** Quantile of the estimate when no bandwidth is given (the paper's ablation: 0.3). */
  double quantile = 0.3;
  /** Seed from grid cells round_half_even(x/h)·h instead of every row. */
  bool bin_seeding = false;
  /** With bin seeding, only cells holding at least this many rows seed. */
  int min_bin_freq = 1;
  /** Give every row the nearest centre; false: rows farther than h from every centre get -1. */
  bool cluster_all = false;
  /** A seed stops after max_iter completed iterations (max_iter + 1 mean updates). */
  int max_iter = 300;
  /** Drop all-zero rows first; they get -1 (SPEC §2; false = plain scikit-learn). */
  bool drop_zero = true;
  Exec exec;
};

/** Result of MeanShift. Cluster ids follow scikit-learn's centre order. */
struct MeanShiftResult {
  Labels labels;                     ///< per row
  Matrix centres;                    ///< the modes, row c = cluster c
  std::vector<std::int64_t> window_sizes;  ///< size (in rows) of each centre's last window
  std::vector<std::int64_t> sizes;   ///< rows labelled with each cluster
  double bandwidth = 0;              ///< h used (NaN when there was nothing to cluster)
  bool bandwidth_estimated = false;  ///< h came from estimate_bandwidth(X, quantile)
  int n_iter = 0;                    ///< max completed iterations over seeds (sklearn's n_iter_)
  std::size_t n_seeds = 0;           ///< seeds climbed (rows, or grid cells with bin seeding)
  std::size_t n_distinct_seeds = 0;  ///< distinct seed vectors actually climbed
  std::size_t n_modes = 0;           ///< distinct converged means before near-duplicate removal
  bool bin_seeding_fallback = false; ///< binning gave one cell per row, so every row seeded (as sklearn)
  std::vector<std::size_t> zero_rows;  ///< rows dropped by drop_zero
  std::string reason;                ///< why there is no cluster (all rows zero, estimate 0), empty otherwise
};

/**
 * MeanShift on the rows of X. Throws cod::Error on bad input (numbers in the message).
 * An estimated bandwidth of 0 is an outcome: no cluster, with the reason.
 */
MeanShiftResult meanshift(const Matrix& X, const MeanShiftOptions& opt);

// ------------------------------------------------------------------ Improved MeanShift

/** Options of Improved MeanShift (paper Algorithm 1, SPEC §3.3). Defaults are the paper's. */
struct ImprovedMeanShiftOptions {
  double quantile = 0.1;                 ///< Q of the bandwidth estimate
  int min_size = 10;                     ///< K: smaller new clusters go back to -1
  std::optional<double> max_bandwidth;   ///< U; default sqrt(d)/10
  std::optional<double> bandwidth;       ///< fix R instead of estimating it
  int max_rounds = 100;
  int max_iter = 300;                    ///< MeanShift's max_iter
  bool bin_seeding = false;              ///< MeanShift's bin seeding (not the paper's; for speed)
  bool drop_zero = true;
  Exec exec;
};

/** One MeanShift run inside Improved MeanShift. */
struct Round {
  int round = 0;
  std::size_t n_input = 0;               ///< rows still unlabelled, clustered in this round
  std::size_t n_meanshift_clusters = 0;  ///< clusters MeanShift found
  std::size_t n_new_clusters = 0;        ///< clusters that kept >= K rows
  std::size_t n_new_labelled = 0;        ///< rows labelled in this round
};

/** Result of Improved MeanShift. */
struct ImprovedMeanShiftResult {
  Labels labels;                      ///< per row (zero rows included, -1)
  Matrix centres;                     ///< the MeanShift mode of each cluster
  Matrix member_means;                ///< mean of each cluster's rows
  std::vector<std::int64_t> sizes;    ///< rows per cluster
  BandwidthChoice bandwidth;          ///< R and how it was obtained
  int rounds = 0;                     ///< MeanShift runs, the last (labelling nothing) included
  bool max_rounds_reached = false;    ///< stopped by max_rounds while still labelling
  std::vector<Round> history;
  std::vector<std::size_t> zero_rows;
  std::string reason;                 ///< why there is no cluster, empty otherwise
};

/** Improved MeanShift. */
ImprovedMeanShiftResult improved_meanshift(const Matrix& X, const ImprovedMeanShiftOptions& opt = {});

// ------------------------------------------------------------------ KMeans

/**
 * Options of KMeans: k-means++ seeding (2 + floor(ln k) local trials), Lloyd iterations,
 * best of n_init by inertia. Random draws come from std::mt19937_64 through fixed
 * formulas (docs/cluster.md), so a seed gives the same result on every platform.
 */
struct KMeansOptions {
  /** Number of clusters, 1 <= k <= distinct rows; absent: the Improved-KMeans k (SPEC §10). */
  std::optional<int> k;
  int min_size = 10;       ///< K of the k scan when k is absent
  int patience = 10;       ///< patience of the k scan when k is absent
  int n_init = 10;
  int max_iter = 300;
  double tol = 1e-4;       ///< relative to the mean feature variance (as sklearn)
  std::uint64_t seed = 0;
  bool drop_zero = true;   ///< drop all-zero rows first; they get -1
  Exec exec;
};

/** Result of KMeans. */
struct KMeansResult {
  Labels labels;
  Matrix centres;
  int k = 0;
  bool k_from_scan = false;  ///< k was chosen by the Improved-KMeans scan
  std::vector<std::int64_t> sizes;
  double inertia = 0;      ///< sum of squared distances of rows to their centre
  int n_iter = 0;          ///< Lloyd iterations of the best run
  int best_init = 0;       ///< 0-based index of the winning initialisation
  std::vector<std::size_t> zero_rows;
  std::string reason;      ///< why there is no cluster (all rows zero), empty otherwise
};

/** KMeans. Throws cod::Error on k < 1, k > rows or k > distinct rows. No k passing the scan is an outcome (reason). */
KMeansResult kmeans(const Matrix& X, const KMeansOptions& opt);

// ------------------------------------------------------------------ Improved-KMeans

/** Options of Improved-KMeans (paper §5.3.2, SPEC §3.5). */
struct ImprovedKMeansOptions {
  int min_size = 10;       ///< K
  int patience = 10;       ///< stop the k scan after this many consecutive failing k; 0 = scan all
  std::optional<int> k;    ///< skip the scan and use this k
  int n_init = 10;
  int max_iter = 300;
  double tol = 1e-4;
  std::uint64_t seed = 0;
  bool drop_zero = true;
  Exec exec;
};

/** One step of the k scan. */
struct KScan {
  int k = 0;
  std::int64_t min_cluster_size = 0;
};

/** Result of Improved-KMeans. */
struct ImprovedKMeansResult {
  Labels labels;
  Matrix centres;                  ///< KMeans centroids of the surviving clusters
  Matrix member_means;
  std::vector<std::int64_t> sizes;
  int k = 0;                       ///< chosen k (0 when none passed)
  double kmeans_iad = 0;           ///< IAD of the KMeans(k) clustering
  double outlier_radius = 0;       ///< 2·kmeans_iad
  std::vector<KScan> scan;
  Labels kmeans_labels;            ///< the KMeans(k) labels before outlier removal (plain KMeans with this k)
  Matrix kmeans_centres;           ///< the KMeans(k) centroids
  std::vector<std::size_t> zero_rows;
  std::string reason;              ///< why there is no cluster, empty otherwise
};

/** Improved-KMeans. */
ImprovedKMeansResult improved_kmeans(const Matrix& X, const ImprovedKMeansOptions& opt = {});

// ------------------------------------------------------------------ DBSCAN

/** Options of DBSCAN (scikit-learn semantics: neighbourhoods `<= eps`, the point included). */
struct DbscanOptions {
  /** Neighbourhood radius > 0; absent: the paper's R (SPEC §3.6: eps = R of Improved MeanShift). */
  std::optional<double> eps;
  double quantile = 0.1;                ///< Q of R when eps is absent
  std::optional<double> max_bandwidth;  ///< U of R when eps is absent; default sqrt(d)/10
  int min_samples = 10;    ///< a core row has at least this many rows within eps (itself included)
  bool drop_zero = true;   ///< drop all-zero rows first; they get -1
  Exec exec;
};

/** Result of DBSCAN. Clusters are numbered by their first core row. */
struct DbscanResult {
  Labels labels;
  double eps = 0;                  ///< eps used
  std::optional<BandwidthChoice> eps_choice;  ///< how eps was obtained when it was not given
  Matrix centres;                  ///< member means
  std::vector<std::int64_t> sizes;
  std::vector<bool> core;          ///< per row
  std::size_t n_core = 0;
  std::vector<std::size_t> zero_rows;
  std::string reason;      ///< why there is no cluster, empty otherwise
};

/** DBSCAN. */
DbscanResult dbscan(const Matrix& X, const DbscanOptions& opt);

// ------------------------------------------------------------------ quality

/** One cluster's summary. */
struct ClusterSummary {
  int id = 0;
  std::int64_t size = 0;
  Vector centre;       ///< the method's centre (empty when none was given)
  Vector member_mean;  ///< mean feature vector of the members
  Vector pass_rate;    ///< members' mean pass rate per ladder model (columns of the pass-rate matrix)
};

/** Cluster quality (SPEC §3.7). */
struct Quality {
  double iad = 0;             ///< mean distance of clustered rows to their member mean; NaN when none
  double outlier_rate = 0;    ///< percent of rows with label -1
  std::size_t n_items = 0;
  std::size_t n_clustered = 0;
  std::vector<ClusterSummary> clusters;  ///< ids in increasing order; ids without rows are skipped
};

/**
 * IAD, OR and per-cluster summaries of `labels` over the rows of `X`.
 * `centres` (row = cluster id) and `pass_rates` (rows = items, e.g. the raw pass
 * rates when X is smoothed) are optional; without pass_rates, X is used.
 */
Quality quality(const Matrix& X, const Labels& labels, const Matrix* centres = nullptr,
                const Matrix* pass_rates = nullptr);

/** IAD alone. */
double iad(const Matrix& X, const Labels& labels);

/** Outlier rate in percent. */
double outlier_rate(const Labels& labels);

}  // namespace cod::cluster
