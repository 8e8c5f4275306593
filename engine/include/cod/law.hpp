#pragma once
/// @file law.hpp
/// Scaling-law forms and their weighted least-squares fits (SPEC §4, §9).
///
/// A form is a curve y = f(C; params) with named parameters, box bounds and
/// a generator of start points. Fitting evaluates the weighted sum of squares
/// on the start grid, starts an NLopt local method (SLSQP with analytic
/// gradients, bounded) from the best grid points and keeps the best end point.
///
/// Two parameter vectors exist for every form: the *public* parameters a
/// user reads (cod: a, b, c, g) and the *fit* parameters the optimiser moves
/// (cod: u, b, c, g with u = a·C_ref^(−b), C_ref the geometric mean of the
/// compute values). Bounds, fixed values and start points are in fit
/// parameters. For most forms both vectors coincide.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cod/matrix.hpp"

namespace cod {
namespace law {

/** The space in which residuals are measured. */
enum class Space {
  Linear,   ///< r = y − f(C)
  LogError  ///< r = log(1 − y) − log(1 − f(C)) (BNSL: the error 1 − metric in log space)
};

/** Which observed values y a form accepts. */
enum class YDomain {
  Unit,          ///< 0 ≤ y ≤ 1 (a metric)
  UnitBelowOne,  ///< 0 ≤ y < 1 (a metric whose error 1 − y is logged)
  Positive,      ///< y > 0 (a loss)
  Finite         ///< any finite y (user forms)
};

/**
 * A scaling-law form. Built-in forms come from builtin_form(); a user form
 * only needs name, params, bounds, model and starts (gradient optional).
 */
struct Form {
  /** Form name, e.g. "cod". */
  std::string name;
  /** Public parameter names, in order. */
  std::vector<std::string> params;
  /** Fit parameter names (same length as params; equal to params unless reparameterised). */
  std::vector<std::string> fit_params;
  /** Default lower bounds of the fit parameters (-HUGE_VAL for none). */
  std::vector<double> lower;
  /** Default upper bounds of the fit parameters (HUGE_VAL for none). */
  std::vector<double> upper;
  /** When true the model sees x = C / C_ref instead of C. */
  bool scale_compute = false;
  /** Residual space. */
  Space space = Space::Linear;
  /** Accepted observed values. */
  YDomain domain = YDomain::Unit;
  /** Name of the abscissa in messages ("C" for compute, "L" for a loss). */
  std::string x_name = "C";
  /** False when the model may not be called from several threads at once (user callbacks). */
  bool thread_safe = true;
  /**
   * The model in fit space at abscissa x (lnx = log x, precomputed) for fit
   * parameters q. When `grad` is non-null and the form has an analytic
   * gradient, it receives d model / d q. For Space::LogError the model value
   * is log(1 − f), i.e. the log error.
   */
  std::function<double(double x, double lnx, const double* q, double* grad)> model;
  /** True when `model` fills `grad`; otherwise the fit uses central differences. */
  bool analytic_gradient = false;
  /** Fit → public parameters (null: identity). */
  std::function<void(const double* q, double c_ref, double* p)> to_public;
  /** Public → fit parameters (null: identity). */
  std::function<void(const double* p, double c_ref, double* q)> to_fit;
  /**
   * Start grid for the data (x as the model sees it, y in fit space): one
   * value list per fit parameter; every combination is a start candidate.
   * Null: no grid.
   */
  std::function<std::vector<std::vector<double>>(const std::vector<double>& x, const std::vector<double>& y)> grid;
  /**
   * Optional fast scorer of a grid: the weighted SSE of every combination of
   * `axes` (mixed radix, last axis fastest) into `sse`, given log x, y in fit
   * space and the weights. Must agree with scoring through `model`.
   */
  std::function<void(const std::vector<std::vector<double>>& axes, const std::vector<double>& lnx,
                     const std::vector<double>& y, const std::vector<double>& w, std::vector<double>& sse)>
      grid_sse;
  /**
   * Explicit start candidates (full fit-parameter vectors) besides the grid.
   * With neither grid nor starts, the fit needs FitOptions::starts.
   */
  std::function<std::vector<std::vector<double>>(const std::vector<double>& x, const std::vector<double>& y)> starts;
  /**
   * Optional: tighten the default bounds from the data (x as the model sees
   * it), before the caller's bounds apply. BNSL keeps its breaks inside the
   * observed compute range this way.
   */
  std::function<void(const std::vector<double>& x, std::vector<double>& lower, std::vector<double>& upper)>
      data_bounds;
};

/**
 * A built-in form by name: "cod", "f1", "f2", "f3" (SPEC §4), "bnsl" or
 * "bnslK" (broken neural scaling law with K ≥ 1 breaks, fitted on log(1 − y)),
 * "loss_power" (L = E + A·C^(−α)) and "loss_sigmoid"
 * (y = g + (1 − g)/(1 + exp(k·(L − L0))), abscissa = loss).
 * Throws cod::Error for an unknown name.
 */
std::shared_ptr<const Form> builtin_form(const std::string& name);

/** Names of the built-in forms (bnsl listed once, as "bnsl"). */
std::vector<std::string> builtin_form_names();

/** Fit settings. */
struct FitOptions {
  /** Point weights w_j ≥ 0 (empty: all 1). */
  std::vector<double> weights;
  /** Fit parameters held at a value (e.g. {"g", 0.25}: a known random-guess rate). */
  std::map<std::string, double> fixed;
  /** Lower bounds replacing the form's defaults, by fit-parameter name. */
  std::map<std::string, double> lower;
  /** Upper bounds replacing the form's defaults, by fit-parameter name. */
  std::map<std::string, double> upper;
  /** Extra start points (full fit-parameter vectors) tried alongside the form's grid. */
  std::vector<std::vector<double>> starts;
  /** How many of the best grid points start a local run. */
  int local_starts = 6;
  /** Objective evaluations allowed per local run. */
  int max_eval = 3000;
  /** Relative tolerance on the objective for the local method. */
  double ftol_rel = 1e-12;
  /** Relative tolerance on the parameters for the local method. */
  double xtol_rel = 1e-12;
};

/** A fitted curve. A result with ok == false carries a reason and no parameters. */
struct FitResult {
  /** The form that was fitted (owned jointly; evaluates the curve). */
  std::shared_ptr<const Form> form;
  /** False when no fit was made (too few points, constant y); `reason` says why. */
  bool ok = false;
  /** Why the fit was not made (empty when ok). */
  std::string reason;
  /** Public parameter values, in form->params order. */
  std::vector<double> params;
  /** Fit parameter values, in form->fit_params order. */
  std::vector<double> fit_params;
  /** Which fit parameters were held fixed. */
  std::vector<bool> fixed;
  /** Geometric mean of the compute values (1 for forms that do not scale compute). */
  double c_ref = 1.0;
  /** Weighted sum of squared residuals in the form's residual space. */
  double sse = 0.0;
  /** 1 − SSE/SST (weighted, residual space). */
  double r2 = 0.0;
  /** Number of points. */
  std::size_t n = 0;
  /** Number of free parameters. */
  std::size_t free = 0;
  /** True when the winning local run stopped on a tolerance. */
  bool converged = false;
  /** NLopt's result for the winning run ("ftol_reached", "xtol_reached", ...; "not_run" when !ok). */
  std::string status = "not_run";
  /** Objective evaluations over all local runs. */
  long evaluations = 0;
  /** Number of local runs made. */
  int local_runs = 0;

  /** The curve at compute C (the metric, for every form); throws when !ok. */
  double eval(double C) const;
  /** A public parameter by name; throws for an unknown name or when !ok. */
  double param(const std::string& name) const;
  /** True when the form has a public parameter of that name. */
  bool has_param(const std::string& name) const;
};

/**
 * Weighted least-squares fit of `form` to (C_j, y_j). Throws cod::Error for
 * bad input (unequal lengths, non-finite or out-of-domain y, non-positive
 * compute, bad weights, unknown or out-of-bounds fixed parameters); returns
 * a result with a reason for too few points or a constant y.
 */
FitResult fit(std::shared_ptr<const Form> form, const std::vector<double>& C, const std::vector<double>& y,
              const FitOptions& options = {});

/** fit() of a built-in form by name. */
FitResult fit(const std::string& form, const std::vector<double>& C, const std::vector<double>& y,
              const FitOptions& options = {});

/**
 * Evaluate a form at compute C from fit parameters and C_ref (no fit
 * needed): the curve value as a metric (or loss).
 */
double evaluate(const Form& form, const std::vector<double>& fit_params, double c_ref, double C);

/** Public → fit parameters of `form` for the given C_ref. */
std::vector<double> to_fit_params(const Form& form, const std::vector<double>& params, double c_ref);

/** The geometric mean of positive compute values (throws for an empty or non-positive input). */
double geometric_mean(const std::vector<double>& C);

/** One cluster's fitted curve. */
struct ClusterFit {
  /** The cluster's label (as given). */
  int label = -1;
  /** Number of items in the cluster. */
  std::size_t size = 0;
  /** Mean pass rate of the cluster's items per ladder model. */
  std::vector<double> y;
  /** The fit of y against the ladder's compute. */
  FitResult fit;
};

/**
 * Fit every cluster of a labelled item set: `passrates` is items × ladder
 * models (pass rates in [0, 1]), `labels` one per item (-1 = not in a
 * cluster), `C` the ladder's compute (one per column). Clusters come back in
 * increasing label order. `threads` > 1 fits clusters in parallel (ignored
 * for forms that are not thread-safe); the result does not depend on it.
 */
std::vector<ClusterFit> fit_clusters(std::shared_ptr<const Form> form, const Matrix& passrates, const Labels& labels,
                                     const std::vector<double>& C, const FitOptions& options = {}, int threads = 1);

}  // namespace law
}  // namespace cod
