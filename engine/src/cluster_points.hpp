#pragma once
/// @file cluster_points.hpp
/// Private machinery of the cluster module: the one distance formula, keys of d-vectors,
/// weighted distinct points, exact fixed-point sums and per-cluster aggregates. Not installed.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "cluster_common.hpp"

namespace cod::cluster::detail {

// ------------------------------------------------------------------ distance

/**
 * Squared distance summed in column order. Every boundary decision of the
 * module goes through this one formula: node bounds either use the same
 * operations (bounds(), exact, rounding included) or settle a node only with a
 * margin (classify_box()), and leaf_mask() computes it bit for bit.
 */
inline double rdist(const double* a, const double* b, int d) {
  double s = 0.0;
  for (int j = 0; j < d; ++j) {
    const double t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

// ------------------------------------------------------------------ vector keys

/**
 * Hash set of d-vectors of doubles with numeric equality (so -0.0 == 0.0, as
 * Python's float keys), mapping each distinct vector to a dense index in
 * insertion order. Keys are copied into the map.
 */
class RowMap {
 public:
  explicit RowMap(int d, std::size_t expected = 16);
  /** Index of `key`, or -1. */
  int find(const double* key) const;
  /** Index of `key`, inserting it when absent; second = inserted. */
  std::pair<int, bool> insert(const double* key);
  const double* key(int i) const { return keys_.data() + static_cast<std::size_t>(i) * d_; }
  std::size_t size() const { return count_; }

 private:
  std::uint64_t hash(const double* key) const;
  bool equal(const double* a, const double* b) const;
  void grow();

  int d_;
  std::size_t count_ = 0;
  std::vector<double> keys_;
  std::vector<int> slots_;  // -1 empty
};

// ------------------------------------------------------------------ weighted points

/**
 * The rows to cluster, with identical rows collapsed into one weighted point
 * (or not, when collapse is off). Points are in order of first appearance.
 */
struct Points {
  int d = 0;
  std::vector<double> x;               ///< m × d, row-major
  std::vector<std::int64_t> w;         ///< multiplicity
  std::vector<std::size_t> first_row;  ///< first row (index into X) holding this vector
  std::vector<std::size_t> last_row;   ///< last row holding this vector
  std::vector<int> of_row;             ///< X row -> point index, -1 for rows not included
  std::int64_t total = 0;              ///< sum of w (number of rows)

  std::size_t size() const { return w.size(); }
  const double* row(std::size_t i) const { return x.data() + i * static_cast<std::size_t>(d); }
};

/** Points from the rows `rows` (increasing) of X. */
Points make_points(const Matrix& X, const std::vector<std::size_t>& rows, bool collapse);

/** The rows of X that are not all-zero (all rows when drop_zero is false), and the zero ones. */
void split_zero(const Matrix& X, bool drop_zero, std::vector<std::size_t>& keep, std::vector<std::size_t>& zero);

/** Subset of points `keep` (increasing indices); of_row is restricted accordingly. */
Points subset(const Points& P, const std::vector<std::size_t>& keep);

// ------------------------------------------------------------------ exact sums

/**
 * Per-column fixed-point scale: value v maps to the integer v·2^shift[j]. The
 * shift is chosen so that every value of the column is an exact integer and
 * any weighted sum fits in 127 bits; then sums are exact and independent of
 * order (`exact`). When a column spans too many binary orders for that, values
 * are rounded to the finest resolution that fits (far below double precision)
 * and sums are still order-independent.
 */
struct FixedScale {
  std::vector<int> shift;
  bool exact = true;

  FixedScale() = default;
  FixedScale(const Points& P);

  i128 to_fixed(double v, int j) const;
  double to_double(i128 s, int j) const;
};

/** mean = sum / weight, per column. */
inline void fixed_mean(const FixedScale& fx, const i128* sum, std::int64_t weight, int d, double* out) {
  const double wd = static_cast<double>(weight);
  for (int j = 0; j < d; ++j) out[j] = fx.to_double(sum[j], j) / wd;
}

/** Member means of the clusters 0..k-1 (exact sums) and their sizes, from per-point labels. */
void member_means(const Points& P, const std::vector<int>& label, int k, Matrix& means,
                  std::vector<std::int64_t>& sizes);

/** Per-row labels from per-point labels (rows not in P get -1). */
Labels expand_labels(const Points& P, const std::vector<int>& label, std::size_t n_rows);

}  // namespace cod::cluster::detail
