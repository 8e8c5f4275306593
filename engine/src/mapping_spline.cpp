// The constrained smoothing spline of SPEC §7 and its lambda search.

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mapping_detail.hpp"

namespace cod {

// ---------------------------------------------------------------- spline

// The penalised spline for one lambda. Knots t_0 = 0 < ... < t_m = 1: the endpoints and
// the interior merged x, with targets z (the merged y) and the values g_0 = 0, g_m = 1 fixed.
// The natural spline through values g has second derivatives gamma (zero at both ends) with
// Q'g = R gamma, and int s''^2 = gamma' R gamma (Green & Silverman's Q and R). The minimiser
// of sum (z_i - g_i)^2 + lambda int s''^2 satisfies, with c = lambda gamma on the interior,
//     g + Qi c = z          (Qi: the interior rows of Q)
//     Qi'g - R c / lambda = -(row m of Q)' * 1
// Reinsch's usual elimination, g = z - lambda Q gamma from (R + lambda Q'Q) gamma = Q'z,
// cancels catastrophically when knots are close (entries ~ 1/h^2 squared): measured against
// a quad-precision solution it is off by 1e-4 with 300 random points and by 3e-2 with two
// knots 1e-9 apart, while this symmetric quasi-definite system solved by a pivoting sparse LU
// stays within 1e-11 (1e-8 for the 1e-9 gap). Unknowns are interleaved (g_1, c_1, g_2, ...),
// so the matrix is banded and the solve is O(m).
Mapping MappingBuilder::penalised(const std::vector<MergedPoint>& points, double lambda) {
  Mapping m = line(MappingMethod::Spline, points);
  m.lambda_ = m.lambda_rmse_ = lambda;
  std::vector<double> t{0.0}, z{0.0};
  for (const auto& p : points) {
    if (p.x > 0.0 && p.x < 1.0) t.push_back(p.x), z.push_back(p.y);
  }
  t.push_back(1.0);
  z.push_back(1.0);
  const Eigen::Index nk = static_cast<Eigen::Index>(t.size());  // m + 1 knots
  const Eigen::Index ni = nk - 2;                               // interior knots
  if (std::isinf(lambda) || ni == 0) {
    m.status_ = MappingStatus::Line;
    return m;  // the line y = x (also the only curve when no knot is interior)
  }
  std::vector<double> h(static_cast<std::size_t>(nk - 1));
  for (std::size_t i = 0; i + 1 < t.size(); ++i) h[i] = t[i + 1] - t[i];
  const auto G = [](Eigen::Index j) { return 2 * (j - 1); };      // g_j, j = 1..ni
  const auto C = [](Eigen::Index j) { return 2 * (j - 1) + 1; };  // c_j = lambda gamma_j
  std::vector<Eigen::Triplet<double>> trip;
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(2 * ni);
  for (Eigen::Index j = 1; j <= ni; ++j) {
    const auto ju = static_cast<std::size_t>(j);
    trip.emplace_back(G(j), G(j), 1.0);
    rhs[G(j)] = z[ju];
    // Column j of Q holds 1/h_{j-1}, -1/h_{j-1} - 1/h_j, 1/h_j in rows j-1, j, j+1.
    const double a = 1.0 / h[ju - 1], cc = 1.0 / h[ju];
    const std::pair<Eigen::Index, double> column[] = {{j - 1, a}, {j, -a - cc}, {j + 1, cc}};
    for (const auto& [row, v] : column) {
      if (row >= 1 && row <= ni) {
        trip.emplace_back(G(row), C(j), v);
        trip.emplace_back(C(j), G(row), v);
      } else if (row == nk - 1) {
        rhs[C(j)] -= v;  // the fixed g_m = 1 (g_0 = 0 contributes nothing)
      }
    }
    trip.emplace_back(C(j), C(j), -(h[ju - 1] + h[ju]) / 3.0 / lambda);
    if (j < ni) {
      trip.emplace_back(C(j), C(j + 1), -h[ju] / 6.0 / lambda);
      trip.emplace_back(C(j + 1), C(j), -h[ju] / 6.0 / lambda);
    }
  }
  Eigen::SparseMatrix<double> A(2 * ni, 2 * ni);
  A.setFromTriplets(trip.begin(), trip.end());
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  lu.analyzePattern(A);
  lu.factorize(A);
  Eigen::VectorXd sol;
  if (lu.info() == Eigen::Success) sol = lu.solve(rhs);
  if (lu.info() != Eigen::Success || !sol.allFinite()) {
    throw Error(fmt::format("mapping: the spline system for lambda = {} could not be solved ({} knots)", num(lambda),
                            nk));
  }
  std::vector<double> g(static_cast<std::size_t>(nk)), gamma(static_cast<std::size_t>(nk), 0.0);
  g.front() = 0.0;
  g.back() = 1.0;
  for (Eigen::Index j = 1; j <= ni; ++j) {
    g[static_cast<std::size_t>(j)] = sol[G(j)];
    gamma[static_cast<std::size_t>(j)] = sol[C(j)] / lambda;
  }

  std::vector<Coef> coef(static_cast<std::size_t>(nk - 1));
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    const double hi = h[i];
    coef[i] = {g[i], (g[i + 1] - g[i]) / hi - hi * (2.0 * gamma[i] + gamma[i + 1]) / 6.0, gamma[i] / 2.0,
               (gamma[i + 1] - gamma[i]) / (6.0 * hi), 0.0};
  }
  set_pieces(m, std::move(t), std::move(coef));
  m.status_ = MappingStatus::Fitted;
  m.rmse_ = rmse_of(m, points);
  return m;
}

Mapping MappingBuilder::spline(const std::vector<MergedPoint>& points, const MappingOptions& o) {
  const double T = o.threshold;
  const double lo10 = std::log10(o.lambda_min), hi10 = std::log10(o.lambda_max);
  // Monotone as judged by the chosen criterion (exact, or on a grid like the reference).
  auto judged_monotone = [&](const Mapping& s) {
    if (o.monotone_grid == 0) return s.monotone_;
    double prev = 0.0;
    for (int i = 0; i < o.monotone_grid; ++i) {
      const double v = s.raw(static_cast<double>(i) / (o.monotone_grid - 1));
      if (i > 0 && v - prev < -kSlopeTol) return false;
      prev = v;
    }
    return true;
  };
  auto at = [&](double l10) { return penalised(points, std::pow(10.0, l10)); };
  // RMSE grows with lambda, so "RMSE <= T" holds on an interval [lambda_min, lambda*].
  Mapping best = penalised(points, kInf);
  double l10 = kInf;
  if (best.rmse_ <= T) {
    best.status_ = MappingStatus::Line;
  } else if (Mapping low = at(lo10); !(low.rmse_ <= T)) {
    best = std::move(low);
    l10 = lo10;
    best.status_ = MappingStatus::InterpolationMissed;
    best.interpolation_missed_ = true;
  } else {
    double a = lo10, b = hi10;  // a meets T, b is taken to miss it (the line does)
    best = std::move(low);
    while (b - a > kLog10Tol) {
      const double mid = 0.5 * (a + b);
      Mapping s = at(mid);
      if (s.rmse_ <= T) {
        a = mid;
        best = std::move(s);
      } else {
        b = mid;
      }
    }
    l10 = a;
    best.status_ = MappingStatus::Fitted;
  }
  const double lambda_rmse = std::isinf(l10) ? kInf : std::pow(10.0, l10);
  if (!judged_monotone(best)) {
    // Raise lambda until the curve is non-decreasing: bisect between the RMSE choice
    // (not monotone) and lambda_max; if even lambda_max is not, the line is.
    const MappingStatus status = best.status_;
    Mapping top = at(hi10);
    if (!judged_monotone(top)) {
      best = penalised(points, kInf);
    } else {
      double a = l10, b = hi10;  // a is not monotone, b is
      best = std::move(top);
      while (b - a > kLog10Tol) {
        const double mid = 0.5 * (a + b);
        Mapping s = at(mid);
        if (judged_monotone(s)) {
          b = mid;
          best = std::move(s);
        } else {
          a = mid;
        }
      }
    }
    best.status_ = status;
    best.interpolation_missed_ = status == MappingStatus::InterpolationMissed;
    best.monotone_forced_ = true;
  }
  best.lambda_rmse_ = lambda_rmse;
  best.threshold_ = T;

  std::string& why = best.reason_;
  if (best.status_ == MappingStatus::Line) {
    why = fmt::format("the line y = x already meets the threshold (RMSE {} <= {}): lambda is infinite",
                      num(best.rmse_), num(T));
  } else if (best.status_ == MappingStatus::Fitted && hi10 - l10 <= 2.0 * kLog10Tol) {
    // Many points make the data term large: the boundary can lie beyond lambda_max.
    why = fmt::format("the RMSE still meets the threshold at lambda_max = {} (RMSE {} <= {}) though the line does "
                      "not: lambda is capped there; raise lambda_max for a smoother curve",
                      num(o.lambda_max), num(best.rmse_), num(T));
  } else if (best.status_ == MappingStatus::InterpolationMissed) {
    why = fmt::format("even the smallest lambda searched ({}) misses the threshold {}: RMSE {}",
                      num(o.lambda_min), num(T), num(best.rmse_));
  }
  if (best.monotone_forced_) {
    if (!why.empty()) why += "; ";
    why += fmt::format("monotonicity forced extra smoothing: lambda raised from {} to {}, RMSE {}",
                       num(lambda_rmse), num(best.lambda_), num(best.rmse_));
  }
  return best;
}

}  // namespace cod
