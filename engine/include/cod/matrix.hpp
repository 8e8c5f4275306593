#pragma once
/// @file matrix.hpp
/// The engine's dense matrix types. Items are rows and stored contiguously
/// (row-major), so one item's feature vector is one contiguous span: that is
/// what neighbour search and k-means want.

#include <Eigen/Core>
#include <vector>

namespace cod {

/** Dense row-major matrix of doubles: rows are items, columns are models or features. */
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/** Dense column vector of doubles. */
using Vector = Eigen::VectorXd;
/** Cluster labels, one per item, -1 for "not in a cluster" (0-based in C++). */
using Labels = std::vector<int>;

}  // namespace cod
