// Weighted least-squares fits of scaling-law forms: a start grid scored by
// SSE, then NLopt SLSQP (bounded, analytic or central-difference gradients)
// from the best grid points; the lowest end point wins.

#include "cod/law.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <nlopt.hpp>
#include <numeric>
#include <utility>

#include "cod/error.hpp"

namespace cod {
namespace law {
namespace {

const char* status_name(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS: return "success";
    case nlopt::STOPVAL_REACHED: return "stopval_reached";
    case nlopt::FTOL_REACHED: return "ftol_reached";
    case nlopt::XTOL_REACHED: return "xtol_reached";
    case nlopt::MAXEVAL_REACHED: return "maxeval_reached";
    case nlopt::MAXTIME_REACHED: return "maxtime_reached";
    case nlopt::FAILURE: return "failure";
    case nlopt::INVALID_ARGS: return "invalid_args";
    case nlopt::OUT_OF_MEMORY: return "out_of_memory";
    case nlopt::ROUNDOFF_LIMITED: return "roundoff_limited";
    case nlopt::FORCED_STOP: return "forced_stop";
    default: return "unknown";
  }
}

// A tolerance stop is convergence. Roundoff-limited means the method could
// not make further progress at double precision, which on these small
// problems happens at (numerically) exact optima; it counts as converged too.
bool is_converged(nlopt::result r) {
  return r == nlopt::SUCCESS || r == nlopt::STOPVAL_REACHED || r == nlopt::FTOL_REACHED || r == nlopt::XTOL_REACHED ||
         r == nlopt::ROUNDOFF_LIMITED;
}

std::string fmt_num(double v) { return fmt::format("{:.10g}", v); }

// The least-squares problem in fit space, with some parameters held fixed.
class Problem {
public:
  Problem(const Form& form, std::vector<double> x, std::vector<double> y, std::vector<double> w,
          std::vector<double> lo, std::vector<double> hi, std::vector<bool> fixed, std::vector<double> fixed_values)
      : form_(form), x_(std::move(x)), y_(std::move(y)), w_(std::move(w)), lo_(std::move(lo)), hi_(std::move(hi)),
        fixed_(std::move(fixed)), q_(std::move(fixed_values)) {
    lnx_.resize(x_.size());
    for (std::size_t j = 0; j < x_.size(); ++j) lnx_[j] = std::log(x_[j]);
    for (std::size_t i = 0; i < fixed_.size(); ++i)
      if (!fixed_[i]) free_.push_back(i);
    grad_point_.resize(q_.size());
  }

  std::size_t nfree() const { return free_.size(); }
  const std::vector<std::size_t>& free_index() const { return free_; }
  const std::vector<double>& lower() const { return lo_; }
  const std::vector<double>& upper() const { return hi_; }
  long evaluations() const { return evals_; }

  // Full fit vector from free values.
  std::vector<double> full(const double* v) const {
    std::vector<double> q = q_;
    for (std::size_t k = 0; k < free_.size(); ++k) q[free_[k]] = v[k];
    return q;
  }

  // Weighted SSE at a full fit vector (no gradient).
  double sse_full(const std::vector<double>& q) const {
    double s = 0.0;
    for (std::size_t j = 0; j < x_.size(); ++j) {
      if (w_[j] == 0.0) continue;
      const double r = y_[j] - form_.model(x_[j], lnx_[j], q.data(), nullptr);
      s += w_[j] * r * r;
    }
    return std::isfinite(s) ? s : HUGE_VAL;
  }

  // Weighted SSE at free values v; gradient w.r.t. the free values into g (may be null).
  double sse_free(const double* v, double* g) {
    ++evals_;
    for (std::size_t k = 0; k < free_.size(); ++k) q_[free_[k]] = v[k];
    if (g) std::fill(g, g + free_.size(), 0.0);
    double s = 0.0;
    for (std::size_t j = 0; j < x_.size(); ++j) {
      if (w_[j] == 0.0) continue;
      double m;
      if (g) {
        m = model_with_gradient(j);
        const double r = y_[j] - m;
        for (std::size_t k = 0; k < free_.size(); ++k) g[k] -= 2.0 * w_[j] * r * grad_point_[free_[k]];
      } else {
        m = form_.model(x_[j], lnx_[j], q_.data(), nullptr);
      }
      const double r = y_[j] - m;
      s += w_[j] * r * r;
    }
    if (!std::isfinite(s)) {
      // Outside the model's finite region: a wall the line search backs off from.
      if (g) std::fill(g, g + free_.size(), 0.0);
      return HUGE_VAL;
    }
    return s;
  }

private:
  // Model value at point j and d model / d q (all entries) into grad_point_.
  double model_with_gradient(std::size_t j) {
    if (form_.analytic_gradient) return form_.model(x_[j], lnx_[j], q_.data(), grad_point_.data());
    const double m = form_.model(x_[j], lnx_[j], q_.data(), nullptr);
    // Central differences with a cube-root-of-epsilon step, one-sided at a bound.
    static const double kStep = std::cbrt(std::numeric_limits<double>::epsilon());
    for (std::size_t i : free_) {
      const double q0 = q_[i];
      const double h = kStep * std::max(1.0, std::fabs(q0));
      const double up = std::min(q0 + h, hi_[i]);
      const double dn = std::max(q0 - h, lo_[i]);
      q_[i] = up;
      const double mu = form_.model(x_[j], lnx_[j], q_.data(), nullptr);
      q_[i] = dn;
      const double md = form_.model(x_[j], lnx_[j], q_.data(), nullptr);
      q_[i] = q0;
      grad_point_[i] = up > dn ? (mu - md) / (up - dn) : 0.0;
    }
    return m;
  }

  const Form& form_;
  std::vector<double> x_, lnx_, y_, w_, lo_, hi_;
  std::vector<bool> fixed_;
  std::vector<double> q_;  // current full fit vector (fixed entries hold their values)
  std::vector<std::size_t> free_;
  std::vector<double> grad_point_;
  long evals_ = 0;
};

// What the NLopt callback needs: the problem, the optimiser (to force a
// stop), and the first exception raised by the model.
struct Callback {
  Problem* problem;
  nlopt::opt* opt;
  std::exception_ptr error;
};

// The objective handed to NLopt. Exceptions never cross NLopt's C frames:
// they are stored, the run is stopped, and fit() rethrows after optimize().
double objective(unsigned /*n*/, const double* v, double* grad, void* data) {
  auto* cb = static_cast<Callback*>(data);
  try {
    return cb->problem->sse_free(v, grad);
  } catch (const std::exception&) {
    if (!cb->error) cb->error = std::current_exception();
    cb->opt->force_stop();
    return HUGE_VAL;
  }
}

struct RunResult {
  std::vector<double> v;  // free values at the end point
  double sse = HUGE_VAL;
  nlopt::result status = nlopt::FAILURE;
};

RunResult local_run(Problem& problem, const std::vector<double>& start_free, const FitOptions& opt_in) {
  const std::size_t k = problem.nfree();
  // SLSQP: a bounded quasi-Newton SQP. On the golden series it reaches the
  // reference optima to ~1e-7 in the parameters and goes deepest along the
  // valleys of degenerate (flat) clusters, where L-BFGS stops early.
  nlopt::opt opt(nlopt::LD_SLSQP, static_cast<unsigned>(k));
  std::vector<double> lo(k), hi(k);
  for (std::size_t i = 0; i < k; ++i) {
    lo[i] = problem.lower()[problem.free_index()[i]];
    hi[i] = problem.upper()[problem.free_index()[i]];
  }
  opt.set_lower_bounds(lo);
  opt.set_upper_bounds(hi);
  Callback cb{&problem, &opt, nullptr};
  opt.set_min_objective(&objective, &cb);
  opt.set_ftol_rel(opt_in.ftol_rel);
  opt.set_xtol_rel(opt_in.xtol_rel);
  opt.set_maxeval(opt_in.max_eval);

  RunResult rr;
  rr.v = start_free;
  double f = HUGE_VAL;
  try {
    rr.status = opt.optimize(rr.v, f);
  } catch (const nlopt::forced_stop&) {
    rr.status = nlopt::FORCED_STOP;
  } catch (const nlopt::roundoff_limited&) {
    rr.status = nlopt::ROUNDOFF_LIMITED;
  } catch (const std::runtime_error&) {
    // NLopt's generic failure; the end point below is still scored.
    rr.status = nlopt::FAILURE;
  }
  if (cb.error) std::rethrow_exception(cb.error);
  // Score the end point ourselves: NLopt's reported value belongs to its last
  // evaluation, not necessarily to the returned point after a failure.
  rr.sse = problem.sse_full(problem.full(rr.v.data()));
  return rr;
}

void check_y(const Form& form, const std::vector<double>& y) {
  const std::size_t n = y.size();
  for (std::size_t j = 0; j < n; ++j) {
    const double v = y[j];
    const std::string where = fmt::format("y at point {} of {}", j + 1, n);
    if (std::isnan(v)) throw Error(where + " is NaN");
    if (!std::isfinite(v)) throw Error(fmt::format("{} is {} (must be finite)", where, fmt_num(v)));
    switch (form.domain) {
      case YDomain::Unit:
        if (v < 0.0 || v > 1.0)
          throw Error(fmt::format("{} is {}, outside [0, 1] (form '{}')", where, fmt_num(v), form.name));
        break;
      case YDomain::UnitBelowOne:
        if (v < 0.0 || v >= 1.0)
          throw Error(fmt::format("{} is {}, outside [0, 1) (form '{}' fits log(1 - y))", where, fmt_num(v),
                                  form.name));
        break;
      case YDomain::Positive:
        if (v <= 0.0) throw Error(fmt::format("{} is {}, must be > 0 (form '{}')", where, fmt_num(v), form.name));
        break;
      case YDomain::Finite: break;
    }
  }
}

std::size_t index_of(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::size_t fit_param_index(const Form& form, const std::string& name, const char* what) {
  const std::size_t i = index_of(form.fit_params, name);
  if (i == form.fit_params.size())
    throw Error(fmt::format("cannot {} '{}': not a fit parameter of form '{}' (fit parameters: {})", what, name,
                            form.name, join(form.fit_params)));
  return i;
}

}  // namespace

double geometric_mean(const std::vector<double>& C) {
  if (C.empty()) throw Error("geometric mean of no values");
  double s = 0.0;
  for (double c : C) {
    if (!(c > 0.0) || !std::isfinite(c)) throw Error(fmt::format("geometric mean needs positive values, got {}", c));
    s += std::log(c);
  }
  return std::exp(s / static_cast<double>(C.size()));
}

double evaluate(const Form& form, const std::vector<double>& q, double c_ref, double C) {
  if (q.size() != form.fit_params.size())
    throw Error(fmt::format("form '{}' has {} parameters, got {}", form.name, form.fit_params.size(), q.size()));
  if (!(C > 0.0) || !std::isfinite(C))
    throw Error(fmt::format("{} must be positive and finite, got {}", form.x_name, fmt_num(C)));
  const double x = form.scale_compute ? C / c_ref : C;
  const double m = form.model(x, std::log(x), q.data(), nullptr);
  return form.space == Space::LogError ? 1.0 - std::exp(m) : m;
}

std::vector<double> to_fit_params(const Form& form, const std::vector<double>& p, double c_ref) {
  if (p.size() != form.params.size())
    throw Error(fmt::format("form '{}' has {} parameters, got {}", form.name, form.params.size(), p.size()));
  std::vector<double> q(p.size());
  if (form.to_fit)
    form.to_fit(p.data(), c_ref, q.data());
  else
    q = p;
  return q;
}

double FitResult::eval(double C) const {
  if (!ok) throw Error(fmt::format("cannot evaluate a failed fit of form '{}': {}", form ? form->name : "?", reason));
  return evaluate(*form, fit_params, c_ref, C);
}

bool FitResult::has_param(const std::string& name) const {
  return form && index_of(form->params, name) < form->params.size();
}

double FitResult::param(const std::string& name) const {
  if (!form || !has_param(name))
    throw Error(fmt::format("form '{}' has no parameter '{}'", form ? form->name : "?", name));
  if (!ok) throw Error(fmt::format("fit of form '{}' failed: {}", form->name, reason));
  return params[index_of(form->params, name)];
}

FitResult fit(const std::string& form, const std::vector<double>& C, const std::vector<double>& y,
              const FitOptions& options) {
  return fit(builtin_form(form), C, y, options);
}

FitResult fit(std::shared_ptr<const Form> form_ptr, const std::vector<double>& C, const std::vector<double>& y,
              const FitOptions& options) {
  if (!form_ptr) throw Error("fit: no form given");
  const Form& form = *form_ptr;
  const std::size_t P = form.fit_params.size();
  if (!form.model) throw Error(fmt::format("form '{}' has no model function", form.name));
  if (form.params.size() != P || form.lower.size() != P || form.upper.size() != P)
    throw Error(fmt::format("form '{}' is inconsistent: {} parameters, {} fit parameters, {} lower, {} upper bounds",
                            form.name, form.params.size(), P, form.lower.size(), form.upper.size()));

  // ---- input checks (misuse raises)
  const std::size_t n = y.size();
  if (C.size() != n) throw Error(fmt::format("{} has {} values but y has {}", form.x_name, C.size(), n));
  if (n == 0) throw Error("no points to fit");
  for (std::size_t j = 0; j < n; ++j) {
    if (std::isnan(C[j])) throw Error(fmt::format("{} at point {} of {} is NaN", form.x_name, j + 1, n));
    if (!(C[j] > 0.0) || !std::isfinite(C[j]))
      throw Error(fmt::format("{} at point {} of {} is {}, must be positive and finite", form.x_name, j + 1, n,
                              fmt_num(C[j])));
  }
  check_y(form, y);
  std::vector<double> w = options.weights.empty() ? std::vector<double>(n, 1.0) : options.weights;
  if (w.size() != n) throw Error(fmt::format("weights has {} values but y has {}", w.size(), n));
  for (std::size_t j = 0; j < n; ++j)
    if (!(w[j] >= 0.0) || !std::isfinite(w[j]))
      throw Error(fmt::format("weight at point {} of {} is {}, must be finite and >= 0", j + 1, n, fmt_num(w[j])));
  if (options.local_starts < 1) throw Error(fmt::format("local_starts must be >= 1, got {}", options.local_starts));
  if (options.max_eval < 1) throw Error(fmt::format("max_eval must be >= 1, got {}", options.max_eval));

  // ---- bounds and fixed parameters
  std::vector<double> lo = form.lower, hi = form.upper;
  if (form.data_bounds) {
    std::vector<double> xs(n);
    const double c_ref = form.scale_compute ? geometric_mean(C) : 1.0;
    for (std::size_t j = 0; j < n; ++j) xs[j] = form.scale_compute ? C[j] / c_ref : C[j];
    form.data_bounds(xs, lo, hi);
  }
  for (const auto& [name, v] : options.lower) lo[fit_param_index(form, name, "bound")] = v;
  for (const auto& [name, v] : options.upper) hi[fit_param_index(form, name, "bound")] = v;
  for (std::size_t i = 0; i < P; ++i)
    if (std::isnan(lo[i]) || std::isnan(hi[i]) || lo[i] > hi[i])
      throw Error(fmt::format("bounds of '{}' are empty: [{}, {}]", form.fit_params[i], fmt_num(lo[i]),
                              fmt_num(hi[i])));
  std::vector<bool> fixed(P, false);
  std::vector<double> q0(P, 0.0);
  for (const auto& [name, v] : options.fixed) {
    const std::size_t i = fit_param_index(form, name, "fix");
    if (!(v >= lo[i] && v <= hi[i]))
      throw Error(fmt::format("fixed {} = {} is outside its bounds [{}, {}]", name, fmt_num(v), fmt_num(lo[i]),
                              fmt_num(hi[i])));
    fixed[i] = true;
    q0[i] = v;
  }

  FitResult res;
  res.form = form_ptr;
  res.n = n;
  res.fixed = fixed;
  res.c_ref = form.scale_compute ? geometric_mean(C) : 1.0;
  for (bool f : fixed) res.free += f ? 0 : 1;

  // ---- fit space
  std::vector<double> x(n), yf(n);
  for (std::size_t j = 0; j < n; ++j) {
    x[j] = form.scale_compute ? C[j] / res.c_ref : C[j];
    yf[j] = form.space == Space::LogError ? std::log1p(-y[j]) : y[j];
  }

  // ---- outcomes that are not errors: too few points, constant y
  std::size_t npos = 0;
  double ymin = HUGE_VAL, ymax = -HUGE_VAL;
  for (std::size_t j = 0; j < n; ++j) {
    if (w[j] == 0.0) continue;
    ++npos;
    ymin = std::min(ymin, y[j]);
    ymax = std::max(ymax, y[j]);
  }
  if (npos == 0) throw Error("all weights are 0");
  if (npos < res.free) {
    res.reason = fmt::format("too few points: {} for {} free parameters", npos, res.free);
    return res;
  }
  if (ymin == ymax) {
    res.reason = fmt::format("y is constant ({} at all {} points): no curve to fit", fmt_num(ymin), npos);
    return res;
  }

  // ---- starts: the form's Cartesian grid, its explicit starts and the
  // caller's, clamped into the bounds, fixed entries set, scored by SSE.
  Problem problem(form, x, yf, w, lo, hi, fixed, q0);
  const auto prep = [&](std::vector<double> s) {
    if (s.size() != P)
      throw Error(fmt::format("a start point has {} values, form '{}' has {} fit parameters", s.size(), form.name, P));
    for (std::size_t i = 0; i < P; ++i) s[i] = fixed[i] ? q0[i] : std::clamp(s[i], lo[i], hi[i]);
    return s;
  };
  std::vector<std::vector<double>> axes;  // empty: no grid
  std::size_t grid_size = 0;
  if (form.grid) {
    axes = form.grid(x, yf);
    if (axes.size() != P) throw Error(fmt::format("form '{}' produced a grid of {} axes", form.name, axes.size()));
    grid_size = 1;
    for (std::size_t i = 0; i < P; ++i) {
      // Clamping or fixing can merge grid values: keep each value once.
      std::vector<double> ax;
      for (double v : fixed[i] ? std::vector<double>{q0[i]} : axes[i]) {
        v = fixed[i] ? v : std::clamp(v, lo[i], hi[i]);
        if (std::find(ax.begin(), ax.end(), v) == ax.end()) ax.push_back(v);
      }
      axes[i] = std::move(ax);
      grid_size *= axes[i].size();
    }
  }
  std::vector<std::vector<double>> extra;
  if (form.starts)
    for (auto& s : form.starts(x, yf)) extra.push_back(prep(std::move(s)));
  for (const auto& s : options.starts) extra.push_back(prep(s));
  if (grid_size + extra.size() == 0) throw Error(fmt::format("form '{}' has no start points", form.name));

  // Grid point k in mixed radix, the last axis fastest.
  const auto grid_point = [&](std::size_t k) {
    std::vector<double> q(P);
    for (std::size_t i = P; i-- > 0;) {
      q[i] = axes[i][k % axes[i].size()];
      k /= axes[i].size();
    }
    return q;
  };
  std::vector<double> grid_sse(grid_size);
  if (grid_size > 0) {
    if (form.grid_sse) {
      std::vector<double> lnx(n);
      for (std::size_t j = 0; j < n; ++j) lnx[j] = std::log(x[j]);
      form.grid_sse(axes, lnx, yf, w, grid_sse);
      for (double& v : grid_sse)
        if (!std::isfinite(v)) v = HUGE_VAL;
    } else {
      for (std::size_t k = 0; k < grid_size; ++k) grid_sse[k] = problem.sse_full(grid_point(k));
    }
  }
  const auto candidate = [&](std::size_t k) { return k < grid_size ? grid_point(k) : extra[k - grid_size]; };
  std::vector<std::pair<double, std::size_t>> scored;
  scored.reserve(grid_size + extra.size());
  for (std::size_t k = 0; k < grid_size; ++k) scored.emplace_back(grid_sse[k], k);
  for (std::size_t k = 0; k < extra.size(); ++k) scored.emplace_back(problem.sse_full(extra[k]), grid_size + k);

  // The best distinct starts; (SSE, index) is a total order, so ties go to the
  // earlier candidate. Sort only as much of the list as the choice needs.
  const std::vector<std::size_t>& free_idx = problem.free_index();
  std::vector<std::vector<double>> chosen;
  std::size_t sorted = 0;
  for (std::size_t r = 0; r < scored.size() && static_cast<int>(chosen.size()) < options.local_starts; ++r) {
    if (r == sorted) {
      const std::size_t m = std::min(scored.size(), std::max<std::size_t>(2 * sorted, 16 * options.local_starts));
      std::partial_sort(scored.begin() + static_cast<std::ptrdiff_t>(sorted),
                        scored.begin() + static_cast<std::ptrdiff_t>(m), scored.end());
      sorted = m;
    }
    if (!std::isfinite(scored[r].first)) break;
    const std::vector<double> q = candidate(scored[r].second);
    std::vector<double> v(free_idx.size());
    for (std::size_t k = 0; k < free_idx.size(); ++k) v[k] = q[free_idx[k]];
    if (std::find(chosen.begin(), chosen.end(), v) == chosen.end()) chosen.push_back(std::move(v));
  }
  if (chosen.empty())
    throw Error(fmt::format("form '{}': the model is not finite at any start point", form.name));

  RunResult best;
  bool have = false;
  if (free_idx.empty()) {
    best.v = {};
    best.sse = problem.sse_full(q0);
    best.status = nlopt::SUCCESS;
    have = true;
  } else {
    for (const auto& v : chosen) {
      RunResult rr = local_run(problem, v, options);
      ++res.local_runs;
      if (!have || rr.sse < best.sse) {
        best = std::move(rr);
        have = true;
      }
    }
  }
  res.evaluations = problem.evaluations();

  res.fit_params = problem.full(best.v.data());
  res.params.resize(P);
  if (form.to_public)
    form.to_public(res.fit_params.data(), res.c_ref, res.params.data());
  else
    res.params = res.fit_params;
  res.sse = best.sse;
  double sw = 0.0, swy = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    sw += w[j];
    swy += w[j] * yf[j];
  }
  const double ybar = swy / sw;
  double sst = 0.0;
  for (std::size_t j = 0; j < n; ++j) sst += w[j] * (yf[j] - ybar) * (yf[j] - ybar);
  res.r2 = 1.0 - res.sse / sst;
  res.status = status_name(best.status);
  res.converged = std::isfinite(best.sse) && is_converged(best.status);
  res.ok = std::isfinite(best.sse);
  if (!res.ok) res.reason = fmt::format("form '{}': no finite end point", form.name);
  return res;
}

}  // namespace law
}  // namespace cod
