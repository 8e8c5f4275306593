// The built-in scaling-law forms: the paper's cod/f1/f2/f3 (SPEC §4), the
// broken neural scaling law (SPEC §9, Caballero et al. 2022) and the two
// curves of the loss-intermediate baseline. Every one has an analytic gradient.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "cod/error.hpp"
#include "cod/law.hpp"

namespace cod {
namespace law {
namespace {

constexpr double kInf = HUGE_VAL;

// ------------------------------------------------------------------ cod family
//
// f = g + (1 − g)·exp(−a·C^(−b) − c), fitted in u = a·C_ref^(−b) so that the
// model reads g + (1 − g)·exp(−u·x^(−b) − c) with x = C/C_ref. The SPEC §4
// caps (u ≤ 1e4, b ≤ 10, c ≤ 20, g ≤ 1 − 1e-9) bind on degenerate clusters
// and decide their filter verdicts: they are part of the method.

constexpr double kCapU = 1e4;
constexpr double kCapB = 10.0;
constexpr double kCapC = 20.0;
constexpr double kCapG = 1.0 - 1e-9;

std::shared_ptr<const Form> cod_family(const std::string& name, bool has_c, bool has_g) {
  auto f = std::make_shared<Form>();
  f->name = name;
  f->params = {"a", "b"};
  f->fit_params = {"u", "b"};
  f->lower = {0.0, 0.0};
  f->upper = {kCapU, kCapB};
  const int ic = has_c ? 2 : -1;
  const int ig = has_g ? (has_c ? 3 : 2) : -1;
  if (has_c) {
    f->params.push_back("c");
    f->fit_params.push_back("c");
    f->lower.push_back(0.0);
    f->upper.push_back(kCapC);
  }
  if (has_g) {
    f->params.push_back("g");
    f->fit_params.push_back("g");
    f->lower.push_back(0.0);
    f->upper.push_back(kCapG);
  }
  f->scale_compute = true;
  f->domain = YDomain::Unit;
  f->analytic_gradient = true;
  f->model = [ic, ig](double /*x*/, double lnx, const double* q, double* grad) {
    const double u = q[0], b = q[1];
    const double c = ic >= 0 ? q[ic] : 0.0;
    const double g = ig >= 0 ? q[ig] : 0.0;
    const double xb = std::exp(-b * lnx);
    const double t = u * xb;
    const double e = std::exp(-t - c);
    if (grad) {
      const double s = (1.0 - g) * e;
      grad[0] = -s * xb;
      grad[1] = s * t * lnx;
      if (ic >= 0) grad[ic] = -s;
      if (ig >= 0) grad[ig] = 1.0 - e;
    }
    return g + (1.0 - g) * e;
  };
  const std::size_t P = f->params.size();
  f->to_public = [P](const double* q, double c_ref, double* p) {
    std::copy(q, q + P, p);
    p[0] = q[0] * std::exp(q[1] * std::log(c_ref));
  };
  f->to_fit = [P](const double* p, double c_ref, double* q) {
    std::copy(p, p + P, q);
    q[0] = p[0] * std::exp(-p[1] * std::log(c_ref));
  };
  // The reference grid (golden/fits.json settings): u log-spaced over
  // [1e-2, 10^1.5], b, c and g on fixed ladders, g also just under min y.
  f->grid = [has_c, has_g](const std::vector<double>& /*x*/, const std::vector<double>& y) {
    std::vector<std::vector<double>> axes(2);
    for (int i = 0; i < 8; ++i) axes[0].push_back(std::pow(10.0, -2.0 + 3.5 * i / 7.0));
    axes[1] = {0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0};
    if (has_c) axes.push_back({0.0, 0.05, 0.2, 0.5, 1.0, 2.0});
    if (has_g) {
      const double ymin = *std::min_element(y.begin(), y.end());
      axes.push_back({0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.95 * ymin});
    }
    return axes;
  };
  // The grid is the hot path of fitting many clusters: exp(−u·x^(−b)) is
  // computed once per (u, b, point) and c, g enter by multiplication.
  f->grid_sse = [has_c, has_g](const std::vector<std::vector<double>>& axes, const std::vector<double>& lnx,
                               const std::vector<double>& y, const std::vector<double>& w, std::vector<double>& sse) {
    const std::size_t n = lnx.size();
    const std::vector<double> zero = {0.0};
    const std::vector<double>& us = axes[0];
    const std::vector<double>& bs = axes[1];
    const std::vector<double>& cs = has_c ? axes[2] : zero;
    const std::vector<double>& gs = has_g ? axes[has_c ? 3 : 2] : zero;
    std::vector<double> T(n), ec(cs.size());
    for (std::size_t k = 0; k < cs.size(); ++k) ec[k] = std::exp(-cs[k]);
    std::size_t idx = 0;
    for (double u : us)
      for (double b : bs) {
        for (std::size_t j = 0; j < n; ++j) T[j] = std::exp(-u * std::exp(-b * lnx[j]));
        for (double e : ec)
          for (double g : gs) {
            double s = 0.0;
            for (std::size_t j = 0; j < n; ++j) {
              const double r = y[j] - (g + (1.0 - g) * (T[j] * e));
              s += w[j] * r * r;
            }
            sse[idx++] = s;
          }
      }
  };
  return f;
}

// ------------------------------------------------------------------ BNSL
//
// Error E(C) = a + b·C^(−c0)·Π_i (1 + (C/d_i)^(1/f_i))^(−c_i·f_i), fitted on
// log E against log(1 − y). Fit parameters: a, lb = log b_x, c0, and per break
// c_i, ld_i = log(d_i/C_ref), f_i, all in x = C/C_ref; the public b and d_i
// are in compute units. Breaks stay inside the observed compute range (a
// break outside the data is not identified by it).

double softplus(double z) { return z > 0.0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
double sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

std::shared_ptr<const Form> bnsl(int breaks) {
  auto f = std::make_shared<Form>();
  f->name = breaks == 1 ? "bnsl" : fmt::format("bnsl{}", breaks);
  f->params = {"a", "b", "c0"};
  f->fit_params = {"a", "lb", "c0"};
  f->lower = {0.0, -50.0, -10.0};
  f->upper = {1.0, 50.0, 10.0};
  for (int i = 1; i <= breaks; ++i) {
    f->params.insert(f->params.end(), {fmt::format("c{}", i), fmt::format("d{}", i), fmt::format("f{}", i)});
    f->fit_params.insert(f->fit_params.end(), {fmt::format("c{}", i), fmt::format("ld{}", i), fmt::format("f{}", i)});
    f->lower.insert(f->lower.end(), {-10.0, -kInf, 0.01});
    f->upper.insert(f->upper.end(), {10.0, kInf, 10.0});
  }
  f->scale_compute = true;
  f->space = Space::LogError;
  f->domain = YDomain::UnitBelowOne;
  f->analytic_gradient = true;
  f->model = [breaks](double /*x*/, double lnx, const double* q, double* grad) {
    const double a = q[0], lb = q[1], c0 = q[2];
    double S = -c0 * lnx;
    for (int i = 0; i < breaks; ++i) {
      const double ci = q[3 + 3 * i], ld = q[4 + 3 * i], fi = q[5 + 3 * i];
      S -= ci * fi * softplus((lnx - ld) / fi);
    }
    const double s = lb + S;  // log of the power-law part
    double m, w;              // m = log(a + e^s), w = e^s / (a + e^s)
    if (a > 0.0) {
      const double la = std::log(a);
      const double hi = std::max(la, s);
      m = hi + std::log1p(std::exp(-std::fabs(la - s)));
      w = std::exp(s - m);
    } else {
      m = s;
      w = 1.0;
    }
    if (grad) {
      grad[0] = std::exp(-m);
      grad[1] = w;
      grad[2] = -w * lnx;
      for (int i = 0; i < breaks; ++i) {
        const double ci = q[3 + 3 * i], ld = q[4 + 3 * i], fi = q[5 + 3 * i];
        const double z = (lnx - ld) / fi;
        const double sp = softplus(z), sg = sigmoid(z);
        grad[3 + 3 * i] = -w * fi * sp;
        grad[4 + 3 * i] = w * ci * sg;
        grad[5 + 3 * i] = -w * ci * (sp - z * sg);
      }
    }
    return m;
  };
  f->to_public = [breaks](const double* q, double c_ref, double* p) {
    const double lc = std::log(c_ref);
    p[0] = q[0];
    p[1] = std::exp(q[1] + q[2] * lc);
    p[2] = q[2];
    for (int i = 0; i < breaks; ++i) {
      p[3 + 3 * i] = q[3 + 3 * i];
      p[4 + 3 * i] = c_ref * std::exp(q[4 + 3 * i]);
      p[5 + 3 * i] = q[5 + 3 * i];
    }
  };
  f->to_fit = [breaks](const double* p, double c_ref, double* q) {
    const double lc = std::log(c_ref);
    if (!(p[1] > 0.0)) throw Error(fmt::format("bnsl: b must be > 0, got {}", p[1]));
    q[0] = p[0];
    q[1] = std::log(p[1]) - p[2] * lc;
    q[2] = p[2];
    for (int i = 0; i < breaks; ++i) {
      if (!(p[4 + 3 * i] > 0.0)) throw Error(fmt::format("bnsl: d{} must be > 0, got {}", i + 1, p[4 + 3 * i]));
      q[3 + 3 * i] = p[3 + 3 * i];
      q[4 + 3 * i] = std::log(p[4 + 3 * i] / c_ref);
      q[5 + 3 * i] = p[5 + 3 * i];
    }
  };
  f->data_bounds = [breaks](const std::vector<double>& x, std::vector<double>& lo, std::vector<double>& hi) {
    const auto [mn, mx] = std::minmax_element(x.begin(), x.end());
    for (int i = 0; i < breaks; ++i) {
      lo[4 + 3 * i] = std::log(*mn);
      hi[4 + 3 * i] = std::log(*mx);
    }
  };
  // Grid over the floor a, the slopes and the break positions (quantiles of
  // log x); log b is solved in closed form for each combination (exact for
  // a = 0, the log-mean otherwise), so every start already sits on the data.
  f->starts = [breaks](const std::vector<double>& x, const std::vector<double>& ylog) {
    const std::size_t n = x.size();
    std::vector<double> lnx(n), err(n);
    for (std::size_t j = 0; j < n; ++j) {
      lnx[j] = std::log(x[j]);
      err[j] = std::exp(ylog[j]);
    }
    const auto [mn, mx] = std::minmax_element(lnx.begin(), lnx.end());
    const double lo = *mn, span = *mx - *mn;
    const double emin = *std::min_element(err.begin(), err.end());
    const std::vector<double> as = {0.0, 0.5 * emin, 0.9 * emin};
    const std::vector<double> c0s = {0.0, 0.2, 0.5, 1.0};
    std::vector<double> cis, fis;
    std::vector<std::vector<double>> positions;  // break positions (log x), one vector per layout
    if (breaks == 1) {
      cis = {-0.5, 0.25, 0.5, 1.0, 2.0, 4.0};
      fis = {0.1, 0.5, 2.0};
      for (double qtl : {0.2, 0.4, 0.6, 0.8}) positions.push_back({lo + qtl * span});
    } else {
      cis = {0.25, 1.0, 3.0};
      fis = {0.3};
      // Every increasing choice of `breaks` of the interior quantiles 1/(K+3) ... (K+2)/(K+3).
      const int slots = breaks + 2;
      std::vector<int> pick(static_cast<std::size_t>(breaks));
      std::iota(pick.begin(), pick.end(), 0);
      while (true) {
        std::vector<double> pos;
        for (int k : pick) pos.push_back(lo + (k + 1.0) / (slots + 1.0) * span);
        positions.push_back(pos);
        int i = breaks - 1;
        while (i >= 0 && pick[i] == slots - breaks + i) --i;
        if (i < 0) break;
        ++pick[i];
        for (int k = i + 1; k < breaks; ++k) pick[k] = pick[k - 1] + 1;
      }
    }
    // All combinations of (c_i, f_i) over the breaks, as mixed-radix counters.
    const std::size_t per = cis.size() * fis.size();
    std::size_t combos = 1;
    for (int i = 0; i < breaks; ++i) combos *= per;
    std::vector<std::vector<double>> out;
    std::vector<double> q(3 + 3 * static_cast<std::size_t>(breaks));
    for (double a : as)
      for (double c0 : c0s)
        for (const auto& pos : positions)
          for (std::size_t code = 0; code < combos; ++code) {
            q[0] = a;
            q[2] = c0;
            std::size_t rest = code;
            for (int i = 0; i < breaks; ++i) {
              q[3 + 3 * i] = cis[(rest % per) / fis.size()];
              q[4 + 3 * i] = pos[static_cast<std::size_t>(i)];
              q[5 + 3 * i] = fis[rest % fis.size()];
              rest /= per;
            }
            double acc = 0.0;
            bool usable = true;
            for (std::size_t j = 0; j < n; ++j) {
              double S = -c0 * lnx[j];
              for (int i = 0; i < breaks; ++i) S -= q[3 + 3 * i] * q[5 + 3 * i] * softplus((lnx[j] - q[4 + 3 * i]) / q[5 + 3 * i]);
              const double rest_err = err[j] - a;
              if (!(rest_err > 0.0)) {
                usable = false;
                break;
              }
              acc += std::log(rest_err) - S;
            }
            if (!usable) continue;
            q[1] = std::clamp(acc / static_cast<double>(n), -50.0, 50.0);
            out.push_back(q);
          }
    return out;
  };
  return f;
}

// ------------------------------------------------------------------ loss-intermediate baseline

// L(C) = E + A·C^(−α), fitted in u = A·C_ref^(−α) like the cod family.
std::shared_ptr<const Form> loss_power() {
  auto f = std::make_shared<Form>();
  f->name = "loss_power";
  f->params = {"E", "A", "alpha"};
  f->fit_params = {"E", "u", "alpha"};
  f->lower = {0.0, 0.0, 0.0};
  f->upper = {kInf, kInf, 10.0};
  f->scale_compute = true;
  f->domain = YDomain::Positive;
  f->analytic_gradient = true;
  f->model = [](double /*x*/, double lnx, const double* q, double* grad) {
    const double xa = std::exp(-q[2] * lnx);
    if (grad) {
      grad[0] = 1.0;
      grad[1] = xa;
      grad[2] = -q[1] * xa * lnx;
    }
    return q[0] + q[1] * xa;
  };
  f->to_public = [](const double* q, double c_ref, double* p) {
    p[0] = q[0];
    p[1] = q[1] * std::exp(q[2] * std::log(c_ref));
    p[2] = q[2];
  };
  f->to_fit = [](const double* p, double c_ref, double* q) {
    q[0] = p[0];
    q[1] = p[1] * std::exp(-p[2] * std::log(c_ref));
    q[2] = p[2];
  };
  // Grid over the floor E and the exponent; u is the least-squares
  // amplitude for each pair (clipped at 0).
  f->starts = [](const std::vector<double>& x, const std::vector<double>& y) {
    const double ymin = *std::min_element(y.begin(), y.end());
    std::vector<std::vector<double>> out;
    for (double e : {0.0, 0.5, 0.8, 0.9, 0.95, 0.99})
      for (double al : {0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5}) {
        const double E = e * ymin;
        double num = 0.0, den = 0.0;
        for (std::size_t j = 0; j < x.size(); ++j) {
          const double bj = std::exp(-al * std::log(x[j]));
          num += bj * (y[j] - E);
          den += bj * bj;
        }
        out.push_back({E, std::max(0.0, num / den), al});
      }
    return out;
  };
  return f;
}

// metric = g + (1 − g)/(1 + exp(k·(L − L0))), abscissa the loss L.
std::shared_ptr<const Form> loss_sigmoid() {
  auto f = std::make_shared<Form>();
  f->name = "loss_sigmoid";
  f->params = {"g", "k", "L0"};
  f->fit_params = f->params;
  f->lower = {0.0, 0.0, 0.0};
  f->upper = {kCapG, 1e3, kInf};
  f->scale_compute = false;
  f->domain = YDomain::Unit;
  f->x_name = "L";
  f->analytic_gradient = true;
  f->model = [](double L, double /*lnx*/, const double* q, double* grad) {
    const double g = q[0], k = q[1], L0 = q[2];
    const double s = sigmoid(-k * (L - L0));  // 1/(1 + exp(k(L − L0)))
    if (grad) {
      const double ds = (1.0 - g) * s * (1.0 - s);
      grad[0] = 1.0 - s;
      grad[1] = -ds * (L - L0);
      grad[2] = ds * k;
    }
    return g + (1.0 - g) * s;
  };
  f->starts = [](const std::vector<double>& L, const std::vector<double>& y) {
    const auto [mn, mx] = std::minmax_element(L.begin(), L.end());
    const double span = std::max(*mx - *mn, 1e-12);
    const double ymin = *std::min_element(y.begin(), y.end());
    std::vector<std::vector<double>> out;
    for (double g : {0.0, 0.1, 0.25, 0.9 * ymin})
      for (double pos : {-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0})
        for (double k : {0.3, 1.0, 3.0, 10.0, 30.0}) out.push_back({g, k / span, *mn + pos * span});
    return out;
  };
  return f;
}

}  // namespace

std::vector<std::string> builtin_form_names() {
  return {"cod", "f1", "f2", "f3", "bnsl", "loss_power", "loss_sigmoid"};
}

std::shared_ptr<const Form> builtin_form(const std::string& name) {
  if (name == "cod") return cod_family("cod", true, true);
  if (name == "f1") return cod_family("f1", true, false);
  if (name == "f2") return cod_family("f2", false, true);
  if (name == "f3") return cod_family("f3", false, false);
  if (name == "loss_power") return loss_power();
  if (name == "loss_sigmoid") return loss_sigmoid();
  if (name.rfind("bnsl", 0) == 0) {
    const std::string k = name.substr(4);
    if (k.empty()) return bnsl(1);
    if (k.size() == 1 && k[0] >= '1' && k[0] <= '4') return bnsl(k[0] - '0');
    throw Error(fmt::format("unknown form '{}' (bnsl takes 1 to 4 breaks: bnsl, bnsl2, bnsl3, bnsl4)", name));
  }
  std::string list;
  for (const auto& n : builtin_form_names()) list += (list.empty() ? "" : ", ") + n;
  throw Error(fmt::format("unknown form '{}' (built-in forms: {}, bnslK for K breaks)", name, list));
}

}  // namespace law
}  // namespace cod
