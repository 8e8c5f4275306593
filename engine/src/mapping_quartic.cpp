// The monotone quartic through (0,0) and (1,1) of SPEC §7 (active-set least squares).

#include <Eigen/Dense>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mapping_detail.hpp"

namespace cod {

// ---------------------------------------------------------------- quartic

namespace {

// min ||A q - r||^2 subject to C q >= b, where b <= 0 so that q = 0 is feasible.
// With the column-pivoted QR A P = Q R and u = R P' q the objective is ||u - Q'r||^2 + const:
// the problem becomes a Euclidean projection of u0 = Q'r onto {G u >= b}, G = C P R^-1,
// which stays well conditioned however close together the data x are (A is then nearly
// rank deficient). Columns beyond A's numerical rank are dropped (their q entries are 0).
// Solved by the primal active-set method with a null-space step (Nocedal & Wright,
// Alg. 16.3) from u = 0; q has at most 3 entries, so dense decompositions are fine.
Eigen::VectorXd active_set_ls(const Eigen::MatrixXd& A, const Eigen::VectorXd& r, const Eigen::MatrixXd& C,
                              const Eigen::VectorXd& b) {
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(A);
  const Eigen::Index n = qr.rank();
  const Eigen::MatrixXd R = qr.matrixR().topLeftCorner(n, n).triangularView<Eigen::Upper>();
  const Eigen::VectorXd u0 = (qr.householderQ().transpose() * r).head(n);
  const Eigen::MatrixXd CP = (C * qr.colsPermutation()).leftCols(n);
  Eigen::MatrixXd G = R.transpose().triangularView<Eigen::Lower>().solve(CP.transpose()).transpose();
  Eigen::VectorXd bn = b;
  for (Eigen::Index i = 0; i < G.rows(); ++i) {
    // Unit rows: blocking steps and multipliers on one scale.
    const double norm = G.row(i).norm();
    if (norm > 0.0) G.row(i) /= norm, bn[i] /= norm;
  }

  Eigen::VectorXd u = Eigen::VectorXd::Zero(n);
  std::vector<Eigen::Index> work;
  // After an unblocked full step u is the projection onto the working face; another step
  // would be rounding noise, so go straight to the multipliers (else it can loop on it).
  bool face_minimum = false;
  Eigen::Index dropped = -1;  // the constraint released last (anti-cycling)
  // On clustered data the touching point of p' = 0 can walk along the grid one point per
  // few iterations, so the budget scales with the number of constraints.
  const Eigen::Index max_iter = 10 * G.rows() + 100;
  auto solution = [&] {
    Eigen::VectorXd qk;
    if (work.empty()) {
      qk = R.triangularView<Eigen::Upper>().solve(u);
    } else {
      // Back in q-space through R^-1 the active constraints would hold only to cond(R) times
      // rounding. Re-solve on the active face in q-space instead: q = q0 + Z y with C_W q0 = b_W
      // (C's rows are O(1), so this is accurate) and y the least-squares fit on the face.
      const auto nw = static_cast<Eigen::Index>(work.size());
      Eigen::MatrixXd Cw(nw, n);
      Eigen::VectorXd bw(nw);
      for (Eigen::Index k = 0; k < nw; ++k) {
        Cw.row(k) = CP.row(work[static_cast<std::size_t>(k)]);
        bw[k] = b[work[static_cast<std::size_t>(k)]];
      }
      Eigen::HouseholderQR<Eigen::MatrixXd> wq(Cw.transpose());
      const Eigen::MatrixXd Qw = wq.householderQ() * Eigen::MatrixXd::Identity(n, n);
      const Eigen::MatrixXd Rw = wq.matrixQR().topLeftCorner(nw, nw).triangularView<Eigen::Upper>();
      qk = Qw.leftCols(nw) * Rw.transpose().triangularView<Eigen::Lower>().solve(bw);
      if (nw < n) {
        const Eigen::MatrixXd Z = Qw.rightCols(n - nw);
        const Eigen::MatrixXd AP = (A * qr.colsPermutation()).leftCols(n);
        qk += Z * (AP * Z).colPivHouseholderQr().solve(r - AP * qk);
      }
    }
    Eigen::VectorXd qp = Eigen::VectorXd::Zero(A.cols());
    qp.head(n) = qk;
    return Eigen::VectorXd(qr.colsPermutation() * qp);
  };
  for (Eigen::Index iter = 0; iter < max_iter; ++iter) {
    const Eigen::VectorXd grad = u - u0;
    const auto nw = static_cast<Eigen::Index>(work.size());
    Eigen::MatrixXd Gw(nw, n);
    for (Eigen::Index k = 0; k < nw; ++k) Gw.row(k) = G.row(work[static_cast<std::size_t>(k)]);
    Eigen::VectorXd p = Eigen::VectorXd::Zero(n);
    if (nw < n && !face_minimum) {
      // Z: an orthonormal basis of the null space of the working constraints.
      Eigen::MatrixXd Z = Eigen::MatrixXd::Identity(n, n);
      if (nw > 0) {
        Eigen::HouseholderQR<Eigen::MatrixXd> wq(Gw.transpose());
        Z = (wq.householderQ() * Eigen::MatrixXd::Identity(n, n)).rightCols(n - nw);
      }
      p = -Z * (Z.transpose() * grad);
    }
    if (face_minimum || p.norm() <= 1e-14 * (1.0 + u.norm())) {
      face_minimum = false;
      if (work.empty()) return solution();
      // Multipliers of the working set: Gw' mu = grad.
      const Eigen::VectorXd mu = Gw.transpose().colPivHouseholderQr().solve(grad);
      Eigen::Index worst = 0;
      if (mu.minCoeff(&worst) >= -1e-12 * (1.0 + grad.norm())) return solution();
      dropped = work[static_cast<std::size_t>(worst)];
      work.erase(work.begin() + worst);
      continue;
    }
    double alpha = 1.0;
    Eigen::Index blocking = -1;
    for (Eigen::Index i = 0; i < G.rows(); ++i) {
      if (std::find(work.begin(), work.end(), i) != work.end()) continue;
      // Constraints parallel to the working face (duplicates) cannot block: their product
      // with p is rounding noise, and adding one would make the working set dependent.
      const double gp = G.row(i).dot(p);
      if (gp < -1e-12 * p.norm()) {
        const double step = std::max(0.0, (bn[i] - G.row(i).dot(u)) / gp);
        if (step < alpha) alpha = step, blocking = i;
      }
    }
    // Releasing a constraint with a negative multiplier must let the point move off it; if
    // rounding says it blocks at once, the point is optimal to working precision.
    if (alpha == 0.0 && blocking == dropped) return solution();
    if (alpha > 0.0) dropped = -1;
    u += alpha * p;
    if (blocking >= 0) {
      work.push_back(blocking);
    } else {
      face_minimum = true;
    }
  }
  throw Error(fmt::format("mapping: the quartic's monotonicity problem did not converge in {} active-set iterations",
                          max_iter));
}

// The quartic p(x) = x + x(1-x)(q0 + q1 x + q2 x^2) as one piece in powers of x.
Coef quartic_coef(const Eigen::VectorXd& q) {
  Coef c{0.0, 1.0, 0.0, 0.0, 0.0};
  // x(1-x) x^k = x^(k+1) - x^(k+2)
  for (Eigen::Index k = 0; k < q.size(); ++k) {
    c[static_cast<std::size_t>(k + 1)] += q[k];
    c[static_cast<std::size_t>(k + 2)] -= q[k];
  }
  return c;
}

// Row of derivatives of the basis x^(k+1) - x^(k+2) at x.
Eigen::RowVectorXd quartic_slope_row(double x, Eigen::Index n) {
  Eigen::RowVectorXd row(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    const double kk = static_cast<double>(k);
    row[k] = (kk + 1.0) * std::pow(x, kk) - (kk + 2.0) * std::pow(x, kk + 1.0);
  }
  return row;
}

}  // namespace

Mapping MappingBuilder::quartic(const std::vector<MergedPoint>& points) {
  Mapping m = line(MappingMethod::Quartic, points);
  std::vector<const MergedPoint*> inner;
  for (const auto& p : points) {
    if (p.x > 0.0 && p.x < 1.0) inner.push_back(&p);
  }
  // With fewer than 3 distinct interior x the full quartic is not determined: use the
  // lowest degree that the points determine (1 point: quadratic, 2 points: cubic).
  const auto n = static_cast<Eigen::Index>(std::min<std::size_t>(3, inner.size()));
  if (n == 0) return m;
  const auto rows = static_cast<Eigen::Index>(inner.size());
  Eigen::MatrixXd A(rows, n);
  Eigen::VectorXd r(rows);
  for (Eigen::Index j = 0; j < rows; ++j) {
    const double x = inner[static_cast<std::size_t>(j)]->x;
    for (Eigen::Index k = 0; k < n; ++k) A(j, k) = x * (1.0 - x) * std::pow(x, static_cast<double>(k));
    r[j] = inner[static_cast<std::size_t>(j)]->y - x;
  }
  Eigen::VectorXd q = A.colPivHouseholderQr().solve(r);
  set_pieces(m, {0.0, 1.0}, {quartic_coef(q)});
  if (!m.monotone_) {
    // The constraint p'(x) >= 0 for all x in [0,1] is semi-infinite; p' is a cubic, so its
    // exact minimum is known. Exchange method: impose p' >= 1e-10 on a coarse grid, solve,
    // add the point where the slope is smallest, and repeat until it is >= -1e-12. (A dense
    // grid from the start is slower: the touching point then walks along the grid one
    // active-set step at a time.) The 1e-10 margin keeps rounding clear of the tolerance.
    constexpr int kCoarse = 21;
    std::vector<double> at;
    for (int i = 0; i < kCoarse; ++i) at.push_back(static_cast<double>(i) / (kCoarse - 1));
    for (int round = 0;; ++round) {
      Eigen::MatrixXd C(static_cast<Eigen::Index>(at.size()), n);
      for (std::size_t i = 0; i < at.size(); ++i) C.row(static_cast<Eigen::Index>(i)) = quartic_slope_row(at[i], n);
      q = active_set_ls(A, r, C, Eigen::VectorXd::Constant(C.rows(), -1.0 + 1e-10));
      const Coef c = quartic_coef(q);
      const auto [low, where] = min_slope_piece(c, 1.0);
      // A copy: C++17 lambdas cannot capture structured bindings (clang refuses; GCC allows).
      const double w = where;
      const bool known = std::any_of(at.begin(), at.end(), [w](double a) { return std::abs(a - w) < 1e-12; });
      if (low >= -kSlopeTol || known || round == 200) {
        set_pieces(m, {0.0, 1.0}, {c});
        break;
      }
      at.push_back(where);
    }
    m.monotone_forced_ = true;
    const double low = m.min_slope();
    if (low < 0.0 && low > -1e-6) {
      // On nearly degenerate data (x values packed together) the slope can still dip a
      // hair below 0 where it touches 0 between constraint points. Blending with y = x,
      // (1 - t) p + t x, keeps both endpoints and lifts every slope by t (1 - p'): the
      // smallest such t moves the curve by less than 1e-6.
      const double t = std::min(1.0, -low / (1.0 - low) * (1.0 + 1e-9));
      Coef c = m.coef_[0];
      for (double& v : c) v *= 1.0 - t;
      c[1] += t;
      set_pieces(m, {0.0, 1.0}, {c});
    }
    if (!m.monotone_) {
      m.reason_ = fmt::format("the quartic could not be made non-decreasing: smallest slope {}", num(m.min_slope()));
    }
  }
  m.rmse_ = rmse_of(m, points);
  return m;
}

}  // namespace cod
