// The joint two-parameter logistic fit of irt.hpp: penalised likelihood, analytic gradient, L-BFGS.

#include "cod/irt.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlopt.hpp>

#include "cod/error.hpp"

namespace cod {

namespace {

// log σ(z) and log(1 − σ(z)) without overflow.
double log_sigmoid(double z) { return z >= 0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z)); }
double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

struct Problem {
  const Matrix& Y;
  const Matrix& W;
  const IrtOptions& opt;
  int evaluations = 0;
};

double trampoline(unsigned n, const double* x, double* grad, void* data) {
  auto* p = static_cast<Problem*>(data);
  ++p->evaluations;
  std::vector<double> xv(x, x + n), g;
  const double f = irt_objective(p->Y, p->W, p->opt, xv, grad ? &g : nullptr);
  if (grad) std::copy(g.begin(), g.end(), grad);
  return f;
}

void check_inputs(const Matrix& Y, const Matrix& W, const IrtOptions& opt) {
  if (Y.rows() < 1 || Y.cols() < 2)
    throw Error(fmt::format("fit_irt: expected at least 1 item and 2 models, got {} x {}", Y.rows(), Y.cols()));
  if (!(Y.array() >= 0 && Y.array() <= 1).all()) throw Error("fit_irt: values must be in [0, 1] (0/1 answers or pass rates)");
  if (W.size() > 0 && (W.rows() != Y.rows() || W.cols() != Y.cols()))
    throw Error(fmt::format("fit_irt: weights are {} x {}, expected {} x {}", W.rows(), W.cols(), Y.rows(), Y.cols()));
  if (W.size() > 0 && !(W.array() >= 0).all()) throw Error("fit_irt: weights must be >= 0");
  for (double sd : {opt.slope_sd, opt.difficulty_sd, opt.ability_sd})
    if (!(sd > 0) || !std::isfinite(sd)) throw Error(fmt::format("fit_irt: prior sds must be positive and finite, got {}", sd));
  if (opt.max_iterations < 1) throw Error("fit_irt: max_iterations must be >= 1");
}

}  // namespace

double irt_objective(const Matrix& Y, const Matrix& W, const IrtOptions& opt, const std::vector<double>& x,
                     std::vector<double>* grad) {
  const Eigen::Index n = Y.rows(), m = Y.cols();
  const double* theta = x.data();
  const double* b = theta + m;
  const double* s = b + n;
  if (grad) grad->assign(x.size(), 0.0);
  double f = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double a = std::exp(s[i]);
    double gb = 0, gs = 0;
    for (Eigen::Index j = 0; j < m; ++j) {
      const double w = W.size() ? W(i, j) : 1.0;
      const double y = Y(i, j);
      const double z = a * (theta[j] - b[i]);
      f -= w * (y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z));
      if (grad) {
        const double r = w * (sigmoid(z) - y);  // d(−log L)/dz
        (*grad)[static_cast<std::size_t>(j)] += r * a;
        gb -= r * a;
        gs += r * z;
      }
    }
    f += 0.5 * (b[i] * b[i]) / (opt.difficulty_sd * opt.difficulty_sd) + 0.5 * (s[i] * s[i]) / (opt.slope_sd * opt.slope_sd);
    if (grad) {
      (*grad)[static_cast<std::size_t>(m + i)] = gb + b[i] / (opt.difficulty_sd * opt.difficulty_sd);
      (*grad)[static_cast<std::size_t>(m + n + i)] = gs + s[i] / (opt.slope_sd * opt.slope_sd);
    }
  }
  for (Eigen::Index j = 0; j < m; ++j) {
    f += 0.5 * theta[j] * theta[j] / (opt.ability_sd * opt.ability_sd);
    if (grad) (*grad)[static_cast<std::size_t>(j)] += theta[j] / (opt.ability_sd * opt.ability_sd);
  }
  return f;
}

IrtFit fit_irt(const Matrix& Y, const Matrix& W, const IrtOptions& opt) {
  check_inputs(Y, W, opt);
  const Eigen::Index n = Y.rows(), m = Y.cols();
  const auto dim = static_cast<std::size_t>(m + 2 * n);
  std::vector<double> x(dim, 0.0);
  // Start: abilities from the models' mean accuracy (standardised logits), difficulties from the
  // items' mean accuracy, slopes 1.
  auto logit = [](double p) {
    p = std::clamp(p, 0.02, 0.98);
    return std::log(p / (1 - p));
  };
  std::vector<double> lm(static_cast<std::size_t>(m));
  double mu = 0, var = 0;
  for (Eigen::Index j = 0; j < m; ++j) mu += lm[static_cast<std::size_t>(j)] = logit(Y.col(j).mean());
  mu /= static_cast<double>(m);
  for (double v : lm) var += (v - mu) * (v - mu);
  const double sd = std::sqrt(var / static_cast<double>(m));
  for (Eigen::Index j = 0; j < m; ++j) x[static_cast<std::size_t>(j)] = sd > 1e-9 ? (lm[static_cast<std::size_t>(j)] - mu) / sd : 0.0;
  for (Eigen::Index i = 0; i < n; ++i) x[static_cast<std::size_t>(m + i)] = -logit(Y.row(i).mean());

  Problem problem{Y, W, opt};
  nlopt::opt solver(nlopt::LD_LBFGS, static_cast<unsigned>(dim));
  solver.set_min_objective(trampoline, &problem);
  solver.set_ftol_rel(opt.tolerance);
  solver.set_maxeval(opt.max_iterations);
  solver.set_vector_storage(10);
  IrtFit fit;
  double f = 0;
  try {
    const nlopt::result r = solver.optimize(x, f);
    fit.converged = r == nlopt::SUCCESS || r == nlopt::FTOL_REACHED || r == nlopt::XTOL_REACHED;
    fit.status = r == nlopt::MAXEVAL_REACHED ? "maxeval_reached" : "converged";
  } catch (const nlopt::roundoff_limited&) {
    // L-BFGS stops on roundoff near the optimum: the point it holds is the answer.
    fit.converged = true;
    fit.status = "roundoff_limited";
    f = irt_objective(Y, W, opt, x, nullptr);
  }
  fit.objective = f;
  fit.evaluations = problem.evaluations;
  fit.ability.assign(x.begin(), x.begin() + m);
  fit.difficulty.assign(x.begin() + m, x.begin() + m + n);
  fit.slope.resize(static_cast<std::size_t>(n));
  fit.curves.resize(n, m);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double a = std::exp(x[static_cast<std::size_t>(m + n + i)]);
    fit.slope[static_cast<std::size_t>(i)] = a;
    for (Eigen::Index j = 0; j < m; ++j)
      fit.curves(i, j) = sigmoid(a * (x[static_cast<std::size_t>(j)] - x[static_cast<std::size_t>(m + i)]));
  }
  return fit;
}

IrtExtrapolation extrapolate_irt(const IrtFit& fit, const std::vector<double>& compute, double target) {
  const std::size_t m = fit.ability.size();
  if (compute.size() != m) throw Error(fmt::format("extrapolate_irt: {} compute values for {} models", compute.size(), m));
  if (!(target > 0) || !std::isfinite(target)) throw Error(fmt::format("extrapolate_irt: target compute must be > 0, got {}", target));
  double mx = 0, my = 0;
  for (std::size_t j = 0; j < m; ++j) {
    if (!(compute[j] > 0) || !std::isfinite(compute[j]))
      throw Error(fmt::format("extrapolate_irt: compute must be positive and finite, got {}", compute[j]));
    mx += std::log(compute[j]);
    my += fit.ability[j];
  }
  mx /= static_cast<double>(m);
  my /= static_cast<double>(m);
  double sxx = 0, sxy = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const double dx = std::log(compute[j]) - mx;
    sxx += dx * dx;
    sxy += dx * (fit.ability[j] - my);
  }
  if (!(sxx > 0)) throw Error("extrapolate_irt: the models' compute does not vary (no trend to extrapolate)");
  IrtExtrapolation e;
  e.slope = sxy / sxx;
  e.intercept = my - e.slope * mx;
  e.ability = e.intercept + e.slope * std::log(target);
  e.items.resize(fit.difficulty.size());
  double sum = 0;
  for (std::size_t i = 0; i < e.items.size(); ++i) sum += e.items[i] = sigmoid(fit.slope[i] * (e.ability - fit.difficulty[i]));
  e.metric = e.items.empty() ? 0.0 : sum / static_cast<double>(e.items.size());
  return e;
}

}  // namespace cod
