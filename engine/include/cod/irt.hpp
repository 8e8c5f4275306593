#pragma once
/// @file irt.hpp
/// Item-response difficulty curves for 0/1 (or few-sample) correctness (SPEC §14): a joint
/// two-parameter logistic model over items × ladder models,
///
///     P(item i correct for model j) = σ(a_i · (θ_j − b_i)),   a_i = exp(s_i),
///
/// with one ability θ_j per model shared by every item, a difficulty b_i and a log-slope s_i
/// per item. Fitted by penalised maximum likelihood (L-BFGS with the analytic gradient):
/// s_i ~ N(0, slope_sd²) shrinks the slopes towards 1, b_i ~ N(0, difficulty_sd²) keeps items
/// every model got right (or wrong) finite, θ_j ~ N(0, ability_sd²) fixes the ability scale.
/// Each item's curve at the ladder points is the smooth difficulty feature COD clusters on.

#include <string>
#include <vector>

#include "cod/matrix.hpp"

namespace cod {

/** Settings of fit_irt; defaults are the measured ones (docs/features.md). */
struct IrtOptions {
  double slope_sd = 0.5;        ///< prior sd of log-slopes s_i (shrinkage; smaller = slopes closer to 1)
  double difficulty_sd = 3.0;   ///< prior sd of difficulties b_i
  double ability_sd = 1.0;      ///< prior sd of abilities θ_j
  int max_iterations = 500;     ///< L-BFGS evaluations at most
  double tolerance = 1e-9;      ///< relative tolerance on the objective
};

/** A fitted item-response model. */
struct IrtFit {
  std::vector<double> ability;     ///< θ_j per model (column of Y)
  std::vector<double> difficulty;  ///< b_i per item
  std::vector<double> slope;       ///< a_i per item
  Matrix curves;                   ///< items × models: σ(a_i (θ_j − b_i))
  double objective = 0;            ///< penalised negative log-likelihood at the optimum
  int evaluations = 0;
  bool converged = false;
  std::string status;              ///< NLopt's result name
};

/**
 * Fit the model to `Y` (items × models, values in [0, 1]: 0/1 answers or pass rates), each cell
 * weighted by `weights` (trials; empty = 1 each). Abilities start at the standardised column
 * means' logits, so a monotone ladder gives increasing θ. Deterministic. Throws cod::Error on
 * bad shapes, values outside [0, 1], fewer than 2 models or bad options.
 */
IrtFit fit_irt(const Matrix& Y, const Matrix& weights, const IrtOptions& opt);

/** An item-response extrapolation to a larger model (see extrapolate_irt). */
struct IrtExtrapolation {
  double intercept = 0, slope = 0;  ///< θ ≈ intercept + slope · log(C), least squares over the ladder
  double ability = 0;               ///< θ at the target compute
  double metric = 0;                ///< mean over items of σ(a_i (θ − b_i)): the predicted full-set accuracy
  std::vector<double> items;        ///< per item: σ(a_i (θ − b_i))
};

/**
 * Extrapolate a fit to compute `target` (same unit as `compute`, one per model of the fit, all > 0):
 * abilities are regressed on log-compute by least squares and the line is read at the target.
 * Throws cod::Error when the compute values do not vary or are not positive.
 */
IrtExtrapolation extrapolate_irt(const IrtFit& fit, const std::vector<double>& compute, double target);

/** The penalised objective and its gradient at `x` = (θ, b, s) (for tests of the gradient). */
double irt_objective(const Matrix& Y, const Matrix& weights, const IrtOptions& opt, const std::vector<double>& x,
                     std::vector<double>* grad);

}  // namespace cod
