#pragma once
// The shared parts of the mapping implementation (SPEC §7): tolerances, the piece
// polynomial helpers and MappingBuilder, the one class that fills a Mapping's private
// fields. mapping.cpp holds the core (names, evaluation, merging, dispatch); each
// method lives in its own file: mapping_spline.cpp, mapping_quartic.cpp, mapping_pchip.cpp.

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cod/error.hpp"
#include "cod/mapping.hpp"

namespace cod {
namespace mapping_detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Equal-x tolerance of the merge (and of snapping to the endpoints).
inline constexpr double kMergeTol = 1e-12;
// Bisection on log10(lambda) stops when the bracket is this narrow.
inline constexpr double kLog10Tol = 1e-10;
// A curve counts as non-decreasing when its smallest slope is >= -kSlopeTol
// (rounding in the piece coefficients can leave -1e-17 where the exact slope is 0).
inline constexpr double kSlopeTol = 1e-12;

using Coef = std::array<double, 5>;

// Value of sum_k c[k] d^k.
inline double horner(const Coef& c, double d) {
  return (((c[4] * d + c[3]) * d + c[2]) * d + c[1]) * d + c[0];
}

// Derivative of the piece at local coordinate d.
inline double slope(const Coef& c, double d) {
  return ((4.0 * c[4] * d + 3.0 * c[3]) * d + 2.0 * c[2]) * d + c[1];
}

// Smallest derivative of one piece over [0, h] and where it is: the derivative is
// a cubic at most, so its minimum is at an end or at a root of the second
// derivative 2c2 + 6c3 d + 12c4 d^2.
inline std::pair<double, double> min_slope_piece(const Coef& c, double h) {
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
inline std::string num(double v) { return std::isnan(v) ? std::string("nan") : fmt::format("{}", v); }

inline void check_unit(double v, std::size_t i, const char* what) {
  if (std::isnan(v) || std::isinf(v)) {
    throw Error(fmt::format("mapping: point {} has {} = {} (must be a number in [0, 1])", i + 1, what, num(v)));
  }
  if (v < 0.0 || v > 1.0) {
    throw Error(fmt::format("mapping: point {} has {} = {}, outside [0, 1]", i + 1, what, num(v)));
  }
}

inline void check_options(const MappingOptions& o) {
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

}  // namespace mapping_detail

// A private header of the mapping files: its helpers are theirs to use unqualified.
using namespace mapping_detail;  // NOLINT(google-build-using-namespace)


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

}  // namespace cod
