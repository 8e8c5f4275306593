// PCHIP, the shape-preserving cubic of SPEC §7 (Fritsch–Carlson slopes, SciPy's end conditions).

#include <Eigen/Dense>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mapping_detail.hpp"

namespace cod {

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

}  // namespace cod
