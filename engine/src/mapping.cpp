// Mapping the subset metric to the full-set metric (SPEC §7), the core: method names,
// one piecewise-polynomial evaluator shared by every method, merging of equal x, and the
// dispatch to the methods (mapping_spline.cpp, mapping_quartic.cpp, mapping_pchip.cpp).

#include "cod/mapping.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "mapping_detail.hpp"

namespace cod {

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
