// Mapping the subset metric to the full-set metric (SPEC §7): merging, the
// constrained smoothing spline and its lambda search, the monotone quartic,
// PCHIP, and one piecewise-polynomial evaluator shared by all of them.

#include "cod/mapping.hpp"

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "cod/error.hpp"

namespace cod {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Equal-x tolerance of the merge (and of snapping to the endpoints).
constexpr double kMergeTol = 1e-12;
// Bisection on log10(lambda) stops when the bracket is this narrow.
constexpr double kLog10Tol = 1e-10;
// A curve counts as non-decreasing when its smallest slope is >= -kSlopeTol
// (rounding in the piece coefficients can leave -1e-17 where the exact slope is 0).
constexpr double kSlopeTol = 1e-12;

using Coef = std::array<double, 5>;

// Value of sum_k c[k] d^k.
double horner(const Coef& c, double d) {
  return (((c[4] * d + c[3]) * d + c[2]) * d + c[1]) * d + c[0];
}

// Derivative of the piece at local coordinate d.
double slope(const Coef& c, double d) {
  return ((4.0 * c[4] * d + 3.0 * c[3]) * d + 2.0 * c[2]) * d + c[1];
}

// Smallest derivative of one piece over [0, h] and where it is: the derivative is
// a cubic at most, so its minimum is at an end or at a root of the second
// derivative 2c2 + 6c3 d + 12c4 d^2.
std::pair<double, double> min_slope_piece(const Coef& c, double h) {
  double best = slope(c, 0.0), where = 0.0;
  auto consider = [&](double d) {
    if (!(d > 0.0 && d < h)) return;
    const double v = slope(c, d);
    if (v < best) best = v, where = d;
  };
  consider(h);
  if (slope(c, h) < best) best = slope(c, h), where = h;
  const double qa = 12.0 * c[4], qb = 6.0 * c[3], qc = 2.0 * c[2];
  if (qa == 0.0) {
    if (qb != 0.0) consider(-qc / qb);
  } else {
    const double disc = qb * qb - 4.0 * qa * qc;
    if (disc >= 0.0) {
      // Stable quadratic roots (no cancellation in qb + sign(qb) sqrt(disc)).
      const double s = std::sqrt(disc);
      const double q = -0.5 * (qb + (qb >= 0.0 ? s : -s));
      if (q != 0.0) consider(qc / q);
      consider(q / qa);
    }
  }
  return {best, where};
}

// Shortest round-trip form; NaN prints as "nan" whatever its sign bit (0/0 is -nan on x86).
std::string num(double v) { return std::isnan(v) ? std::string("nan") : fmt::format("{}", v); }

void check_unit(double v, std::size_t i, const char* what) {
  if (std::isnan(v) || std::isinf(v)) {
    throw Error(fmt::format("mapping: point {} has {} = {} (must be a number in [0, 1])", i + 1, what, num(v)));
  }
  if (v < 0.0 || v > 1.0) {
    throw Error(fmt::format("mapping: point {} has {} = {}, outside [0, 1]", i + 1, what, num(v)));
  }
}

void check_options(const MappingOptions& o) {
  if (!(std::isfinite(o.threshold) && o.threshold > 0.0)) {
    throw Error(fmt::format("mapping: threshold must be a finite number > 0, got {}", num(o.threshold)));
  }
  if (o.monotone_grid < 0 || o.monotone_grid == 1) {
    throw Error(fmt::format("mapping: monotone_grid must be 0 (exact) or >= 2, got {}", o.monotone_grid));
  }
  if (!(std::isfinite(o.lambda_min) && std::isfinite(o.lambda_max) && o.lambda_min > 0.0 &&
        o.lambda_min < o.lambda_max)) {
    throw Error(fmt::format("mapping: lambda bounds must satisfy 0 < lambda_min < lambda_max < inf, got {} and {}",
                            num(o.lambda_min), num(o.lambda_max)));
  }
}

}  // namespace

// Fills a Mapping's private fields; the only writer besides the defaults.
class MappingBuilder {
public:
  static Mapping line(MappingMethod method, const std::vector<MergedPoint>& points) {
    Mapping m;
    m.method_ = method;
    m.points_ = points;
    m.rmse_ = rmse_of(m, points);
    return m;
  }
  static Mapping& set_pieces(Mapping& m, std::vector<double> breaks, std::vector<Coef> coef) {
    m.breaks_ = std::move(breaks);
    m.coef_ = std::move(coef);
    m.monotone_ = m.min_slope() >= -kSlopeTol;
    return m;
  }
  static double rmse_of(const Mapping& m, const std::vector<MergedPoint>& points) {
    if (points.empty()) return kNaN;
    double ss = 0.0;
    for (const auto& p : points) {
      const double r = p.y - m.raw(p.x);
      ss += r * r;
    }
    return std::sqrt(ss / static_cast<double>(points.size()));
  }
  static Mapping spline(const std::vector<MergedPoint>& points, const MappingOptions& o);
  static Mapping penalised(const std::vector<MergedPoint>& points, double lambda);
  static Mapping quartic(const std::vector<MergedPoint>& points);
  static Mapping pchip(const std::vector<MergedPoint>& points);
  static Mapping fit(const std::vector<MergedPoint>& points, const MappingOptions& o);
};

// ---------------------------------------------------------------- names

const std::vector<std::string>& mapping_method_names() {
  static const std::vector<std::string> names{"spline", "identity", "quartic", "pchip"};
  return names;
}

std::string to_string(MappingMethod method) {
  return mapping_method_names().at(static_cast<std::size_t>(method));
}

MappingMethod parse_mapping_method(const std::string& name) {
  const auto& names = mapping_method_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<MappingMethod>(i);
  }
  throw Error(fmt::format("mapping: unknown method '{}' (methods: {})", name, fmt::join(names, ", ")));
}

std::string to_string(MappingStatus status) {
  switch (status) {
    case MappingStatus::Fitted: return "fitted";
    case MappingStatus::Line: return "line";
    case MappingStatus::InterpolationMissed: return "interpolation_missed";
    case MappingStatus::NoData: return "no_data";
  }
  return "fitted";
}

// ---------------------------------------------------------------- evaluation

double Mapping::raw(double x) const {
  // Piece i covers [breaks[i], breaks[i+1]); x = 1 belongs to the last piece.
  const auto it = std::upper_bound(breaks_.begin() + 1, breaks_.end() - 1, x);
  const auto i = static_cast<std::size_t>(it - breaks_.begin()) - 1;
  return horner(coef_[i], x - breaks_[i]);
}

double Mapping::operator()(double x) const {
  if (std::isnan(x) || x < 0.0 || x > 1.0) {
    throw Error(fmt::format("mapping: cannot evaluate at x = {}: the mapping is defined on [0, 1]", num(x)));
  }
  // Rounding in the last piece can leave 1 - 1e-16 or -1e-17; the curve itself is in [0, 1].
  return std::clamp(raw(x), 0.0, 1.0);
}

std::vector<double> Mapping::eval(const std::vector<double>& xs) const {
  std::vector<double> out(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) out[i] = (*this)(xs[i]);
  return out;
}

std::pair<std::vector<double>, std::vector<double>> Mapping::curve(int n) const {
  if (n < 2) throw Error(fmt::format("mapping: curve needs n >= 2 grid points, got {}", n));
  std::vector<double> xs(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) xs[static_cast<std::size_t>(i)] = static_cast<double>(i) / (n - 1);
  xs.back() = 1.0;
  auto ys = eval(xs);
  return {std::move(xs), std::move(ys)};
}

double Mapping::min_slope() const {
  double best = kInf;
  for (std::size_t i = 0; i < coef_.size(); ++i) {
    best = std::min(best, min_slope_piece(coef_[i], breaks_[i + 1] - breaks_[i]).first);
  }
  return best;
}

// ---------------------------------------------------------------- merging

std::vector<MergedPoint> merge_mapping_points(const std::vector<MappingPoint>& points) {
  std::vector<double> xs(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    check_unit(points[i].x, i, "x");
    check_unit(points[i].y, i, "y");
    double x = points[i].x;
    if (x <= kMergeTol) x = 0.0;
    if (x >= 1.0 - kMergeTol) x = 1.0;
    xs[i] = x;
  }
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return xs[a] < xs[b]; });

  std::vector<MergedPoint> out;
  double group_start = 0.0, sum_x = 0.0, sum_y = 0.0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    if (out.empty() || xs[i] - group_start > kMergeTol) {
      out.emplace_back();
      group_start = xs[i];
      sum_x = sum_y = 0.0;
    }
    MergedPoint& m = out.back();
    sum_x += xs[i];
    sum_y += points[i].y;
    m.count += 1;
    if (points[i].anchor) m.anchors += 1;
    if (!points[i].name.empty()) m.names.push_back(points[i].name);
    // An endpoint group keeps its exact endpoint x.
    m.x = (group_start == 0.0 || xs[i] == 1.0) ? xs[i] : sum_x / m.count;
    m.y = sum_y / m.count;
  }
  return out;
}

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

// ---------------------------------------------------------------- pchip

namespace {

double sgn(double v) { return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0); }

// One-sided three-point end slope with the Fritsch–Carlson shape safeguards.
double pchip_end(double h0, double h1, double m0, double m1) {
  double d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
  if (sgn(d) != sgn(m0)) {
    d = 0.0;
  } else if (sgn(m0) != sgn(m1) && std::abs(d) > 3.0 * std::abs(m0)) {
    d = 3.0 * m0;
  }
  return d;
}

}  // namespace

Mapping MappingBuilder::pchip(const std::vector<MergedPoint>& points) {
  Mapping m = line(MappingMethod::Pchip, points);
  // Nodes: (0,0), the interior merged points, (1,1); data at x = 0 or 1 give way to the endpoints.
  std::vector<double> x{0.0}, y{0.0};
  for (const auto& p : points) {
    if (p.x > 0.0 && p.x < 1.0) x.push_back(p.x), y.push_back(p.y);
  }
  x.push_back(1.0);
  y.push_back(1.0);
  const std::size_t n = x.size();
  if (n == 2) return m;
  std::vector<double> h(n - 1), s(n - 1), d(n);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    h[i] = x[i + 1] - x[i];
    s[i] = (y[i + 1] - y[i]) / h[i];
  }
  for (std::size_t k = 1; k + 1 < n; ++k) {
    if (sgn(s[k - 1]) != sgn(s[k]) || s[k - 1] == 0.0 || s[k] == 0.0) {
      d[k] = 0.0;  // a local extremum or a flat side: zero slope keeps the shape
    } else {
      const double w1 = 2.0 * h[k] + h[k - 1], w2 = h[k] + 2.0 * h[k - 1];
      d[k] = (w1 + w2) / (w1 / s[k - 1] + w2 / s[k]);  // weighted harmonic mean
    }
  }
  d[0] = pchip_end(h[0], h[1], s[0], s[1]);
  d[n - 1] = pchip_end(h[n - 2], h[n - 3], s[n - 2], s[n - 3]);
  std::vector<Coef> coef(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    coef[i] = {y[i], d[i], (3.0 * s[i] - 2.0 * d[i] - d[i + 1]) / h[i], (d[i] + d[i + 1] - 2.0 * s[i]) / (h[i] * h[i]),
               0.0};
  }
  set_pieces(m, std::move(x), std::move(coef));
  m.rmse_ = rmse_of(m, points);
  if (!m.monotone_) {
    m.reason_ = "pchip follows the data, which are not non-decreasing: the curve decreases somewhere on [0, 1]";
  }
  return m;
}

// ---------------------------------------------------------------- entry points

Mapping MappingBuilder::fit(const std::vector<MergedPoint>& points, const MappingOptions& o) {
  Mapping m;
  if (points.empty()) {
    m = line(o.method, points);
    if (o.method == MappingMethod::Spline) m.lambda_ = m.lambda_rmse_ = kInf;
    if (o.method != MappingMethod::Identity) {
      m.status_ = MappingStatus::NoData;
      m.reason_ = "no data points: the mapping is the line y = x";
    }
  } else {
    switch (o.method) {
      case MappingMethod::Spline: m = spline(points, o); break;
      case MappingMethod::Identity: m = line(MappingMethod::Identity, points); break;
      case MappingMethod::Quartic: m = quartic(points); break;
      case MappingMethod::Pchip: m = pchip(points); break;
    }
  }
  m.threshold_ = o.threshold;
  return m;
}

Mapping fit_mapping(const std::vector<MappingPoint>& points, const MappingOptions& options) {
  check_options(options);
  return MappingBuilder::fit(merge_mapping_points(points), options);
}

Mapping fit_mapping(const std::vector<double>& x, const std::vector<double>& y, const MappingOptions& options) {
  if (x.size() != y.size()) {
    throw Error(fmt::format("mapping: x has {} values but y has {}", x.size(), y.size()));
  }
  std::vector<MappingPoint> points(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) points[i].x = x[i], points[i].y = y[i];
  return fit_mapping(points, options);
}

Mapping fit_penalised_spline(const std::vector<MergedPoint>& points, double lambda) {
  if (!(lambda > 0.0)) throw Error(fmt::format("mapping: lambda must be > 0 (or inf), got {}", num(lambda)));
  return MappingBuilder::penalised(points, lambda);
}

}  // namespace cod
