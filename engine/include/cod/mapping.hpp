#pragma once
/// @file mapping.hpp
/// Mapping the metric of the predictable subset to the full-set metric (SPEC §7).
///
/// The data are pairs (x, y) = (subset metric, full-set metric) of ladder models
/// and anchors. Every mapping passes through (0,0) and (1,1); equal x values are
/// merged (mean y). The fitted curve is stored as a piecewise polynomial on [0,1]
/// and evaluates only there.
///
/// Points are counted from 1 in error messages ("point 3" is the third point),
/// so that a message reads the same from C++ and from Lua.

#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace cod {

/** The curve families a mapping can use. */
enum class MappingMethod {
  /** Monotone constrained smoothing spline (the default): the natural cubic spline with knots
   *  at 0, the merged x and 1 minimising sum (y - s(x))^2 + lambda int_0^1 s''^2 with s(0) = 0,
   *  s(1) = 1; lambda is the largest in [lambda_min, lambda_max] with RMSE <= T (bisection on
   *  log10 lambda to 1e-10), raised by a second bisection until the curve is non-decreasing. */
  Spline,
  /** y = x: no mapping. */
  Identity,
  /** p(x) = x + x(1-x)(q0 + q1 x + q2 x^2), least squares over the merged interior points
   *  (one weight per merged point), non-decreasing on [0,1]: an active-set QP with the slope
   *  constraint imposed by an exchange method at the slope's exact minimum. With 1 or 2
   *  interior points only q0 (degree 2) or q0, q1 (degree 3) are fitted. */
  Quartic,
  /** Fritsch–Carlson monotone piecewise cubic Hermite through (0,0), the merged interior
   *  points and (1,1), as SciPy's PchipInterpolator. It interpolates, so through data that
   *  go down it goes down (monotone() is then false and reason() says so). */
  Pchip,
};

/** The method names in the order of MappingMethod: spline, identity, quartic, pchip. */
const std::vector<std::string>& mapping_method_names();
/** The name of a method ("spline", ...). */
std::string to_string(MappingMethod method);
/**
 * The method called `name`. Throws cod::Error
 * "mapping: unknown method 'x' (methods: spline, identity, quartic, pchip)".
 */
MappingMethod parse_mapping_method(const std::string& name);

/** One data point as the caller gives it. */
struct MappingPoint {
  double x = 0.0;      ///< subset metric, in [0, 1]
  double y = 0.0;      ///< full-set metric, in [0, 1]
  bool anchor = false;  ///< an anchor model (reporting only: anchors are ordinary points)
  std::string name;     ///< optional model name (reporting only)
};

/** A point after merging equal x values. */
struct MergedPoint {
  double x = 0.0;                  ///< the common x (snapped to 0 or 1 when within the merge tolerance)
  double y = 0.0;                  ///< mean y of the merged points
  int count = 0;                   ///< how many input points were merged
  int anchors = 0;                 ///< how many of them are anchors
  std::vector<std::string> names;  ///< their non-empty names, in input order
};

/** Settings of mapping fits. Defaults are SPEC §7's. */
struct MappingOptions {
  MappingMethod method = MappingMethod::Spline;
  /** T: the spline is the smoothest curve whose RMSE over the data points is <= T. */
  double threshold = 0.005;
  /** Bounds of the spline's search for lambda (bisection on log10 lambda). */
  double lambda_min = 1e-16;
  double lambda_max = 1e8;
  /**
   * How the spline's monotonicity is judged. 0 (default): exactly, the smallest slope of
   * every cubic piece must be >= -1e-12. n >= 2: as the SciPy reference does, only the
   * differences of the curve on n equally spaced points must be >= -1e-12 (the curve may
   * then dip slightly between grid points); 1001 reproduces golden/mapping.json exactly.
   */
  int monotone_grid = 0;
};

/** What happened in a fit, beyond the numbers. */
enum class MappingStatus {
  Fitted,               ///< the method's normal outcome (spline: lambda found by bisection)
  Line,                 ///< spline: the line y = x already meets T, lambda is infinite
  InterpolationMissed,  ///< spline: even the smallest lambda searched misses T
  NoData,               ///< no data point: the mapping is the line y = x
};

/** The name of a status: "fitted", "line", "interpolation_missed", "no_data". */
std::string to_string(MappingStatus status);

/**
 * A fitted mapping: a piecewise polynomial on [0,1] with its fit report.
 * Piece i covers [breaks[i], breaks[i+1]] and is sum_k coef[i][k] * (x - breaks[i])^k.
 */
class Mapping {
public:
  /** Value at x; x must be a number in [0, 1] (cod::Error otherwise). Clamped to [0, 1] against rounding. */
  double operator()(double x) const;
  /** Values at every element of xs (same rules as operator()). */
  std::vector<double> eval(const std::vector<double>& xs) const;
  /** n equally spaced values on [0, 1] (n >= 2): the grid x_i = i/(n-1) and the curve there. */
  std::pair<std::vector<double>, std::vector<double>> curve(int n) const;

  MappingMethod method() const { return method_; }
  MappingStatus status() const { return status_; }
  /** Spline: the lambda used (+inf for the line); NaN for the other methods. */
  double lambda() const { return lambda_; }
  /** Spline: the lambda the RMSE criterion alone chose (before any monotonicity raise); NaN otherwise. */
  double lambda_rmse() const { return lambda_rmse_; }
  /** Root mean square of y - map(x) over the merged points (endpoints excluded); NaN with no data. */
  double rmse() const { return rmse_; }
  /** The threshold T the fit was asked to meet. */
  double threshold() const { return threshold_; }
  /** Spline: lambda was raised above the RMSE choice to make the curve non-decreasing;
   *  quartic: the monotonicity constraints were active. */
  bool monotone_forced() const { return monotone_forced_; }
  /** Spline: even the smallest lambda searched misses T (lambda = lambda_min). */
  bool interpolation_missed() const { return interpolation_missed_; }
  /** True when the curve is non-decreasing on [0,1]: its smallest slope, computed exactly
   *  piece by piece, is >= -1e-12 (room for rounding in the coefficients).
   *  Always true except pchip through data that are not non-decreasing. */
  bool monotone() const { return monotone_; }
  /** A sentence on anything notable (empty when nothing is). */
  const std::string& reason() const { return reason_; }
  /** The merged data points, sorted by x. */
  const std::vector<MergedPoint>& points() const { return points_; }
  /** Piece boundaries, from 0 to 1. */
  const std::vector<double>& breaks() const { return breaks_; }
  /** Per-piece coefficients in powers of (x - breaks[i]), constant first. */
  const std::vector<std::array<double, 5>>& coefficients() const { return coef_; }
  /** Smallest derivative over [0,1], computed exactly piece by piece. */
  double min_slope() const;

private:
  friend class MappingBuilder;
  double raw(double x) const;  // the polynomial value, no checks, no clamping

  MappingMethod method_ = MappingMethod::Identity;
  MappingStatus status_ = MappingStatus::Fitted;
  double lambda_ = std::numeric_limits<double>::quiet_NaN();
  double lambda_rmse_ = std::numeric_limits<double>::quiet_NaN();
  double rmse_ = std::numeric_limits<double>::quiet_NaN();
  double threshold_ = 0.005;
  bool monotone_forced_ = false;
  bool interpolation_missed_ = false;
  bool monotone_ = true;
  std::string reason_;
  std::vector<MergedPoint> points_;
  std::vector<double> breaks_{0.0, 1.0};
  std::vector<std::array<double, 5>> coef_{{0.0, 1.0, 0.0, 0.0, 0.0}};
};

/**
 * Merge points with equal x (within 1e-12; x within 1e-12 of 0 or 1 snaps there),
 * mean y, sorted by x. Validates the points (see fit_mapping).
 */
std::vector<MergedPoint> merge_mapping_points(const std::vector<MappingPoint>& points);

/**
 * Fit a mapping (SPEC §7). Throws cod::Error on bad input: a NaN or infinite x or y,
 * x or y outside [0, 1], a threshold that is not a finite number > 0, lambda bounds
 * that are not 0 < lambda_min < lambda_max < inf. No data point is not an error:
 * the result is the line y = x with status NoData (identity has no reason to report).
 */
Mapping fit_mapping(const std::vector<MappingPoint>& points, const MappingOptions& options = {});

/** Same, from parallel arrays; throws when the lengths differ. */
Mapping fit_mapping(const std::vector<double>& x, const std::vector<double>& y,
                    const MappingOptions& options = {});

/**
 * The penalised spline alone, for a given lambda (> 0, or +inf for the line):
 * minimises sum_j (y_j - s(x_j))^2 + lambda * int_0^1 s''^2 over natural cubic
 * splines with knots at 0, the merged x and 1, subject to s(0) = 0 and s(1) = 1.
 * No search, no monotonicity enforcement; the report fields are filled for this
 * lambda (status Fitted, or Line for +inf). For testing and exploration.
 */
Mapping fit_penalised_spline(const std::vector<MergedPoint>& points, double lambda);

}  // namespace cod
