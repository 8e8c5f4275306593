#pragma once
/// @file synth.hpp
/// Synthetic ladders with a known answer. A ladder of models of log-spaced
/// compute (plus an optional target and anchors) answers items whose answer
/// loss follows `alpha·C^(-beta) + gamma` (C in the dataset's compute unit);
/// an item's pass probability for a model is
///
///     p = clamp(cap · (guess + (1 − guess)·exp(−loss)) + noise·z, 0, 1),   z ~ N(0, 1) per model,
///
/// with the item's parameters drawn from the distributions of its *kind*.
/// Pass rates are then sampled binomially with a chosen trial count (or kept
/// exact). The truth — every item's kind, parameters and probabilities, and
/// every model's expected metric on every set — comes back with the data.
///
/// Determinism: the only source of randomness is std::mt19937_64 (whose output
/// sequence the C++ standard fixes); uniform, normal, gamma and binomial draws
/// are this file's own, never std::*_distribution (which differ between
/// standard libraries).

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cod/dataset.hpp"
#include "cod/matrix.hpp"

namespace cod {

// ---------------------------------------------------------------- random draws

/**
 * A seeded random stream with platform-independent draws. The integer stream is
 * std::mt19937_64's; uniforms use its top 53 bits; the derived draws use only
 * +, −, ×, ÷, sqrt (exact in IEEE 754) and log/exp/pow from the C library.
 */
class SynthRng {
public:
  /** A stream seeded with `seed` (std::mt19937_64's own seeding). */
  explicit SynthRng(std::uint64_t seed) : gen_(seed) {}

  /** The next raw 64-bit value. */
  std::uint64_t next() { return gen_(); }
  /** Uniform on [0, 1), a multiple of 2^-53. */
  double uniform();
  /** Uniform on (0, 1): never 0, never 1. */
  double uniform_open();
  /** Uniform integer on [0, n), without modulo bias; n must be ≥ 1. */
  std::uint64_t below(std::uint64_t n);
  /** Standard normal (Marsaglia's polar method; the second value of each pair is discarded). */
  double normal();
  /** Gamma(shape, 1) for shape ≥ 1 (Marsaglia–Tsang squeeze-rejection; exact). */
  double gamma(double shape);
  /** Beta(a, b) = G_a / (G_a + G_b) for a, b ≥ 1. */
  double beta(double a, double b);
  /**
   * Binomial(n, p), exact. For n ≤ 1000: inversion by sequential search (BINV) on
   * min(p, 1−p), starting from (1−p)^n (no underflow for n ≤ 1000). For n > 1000:
   * Knuth's order-statistic split (TAOCP vol. 2, 3.4.1): the a-th smallest of n
   * uniforms is Beta(a, n+1−a) distributed, which reduces the draw to a binomial of
   * about half the size; repeated until n ≤ 1000. Expected cost O(log n + 1000·p).
   * Throws cod::Error when n < 0 or p is not in [0, 1].
   */
  long long binomial(long long n, double p);

private:
  long long binomial_small(long long n, double p);
  std::mt19937_64 gen_;
};

/** splitmix64 finaliser: decorrelates derived seeds. */
std::uint64_t synth_mix64(std::uint64_t x);

// ---------------------------------------------------------------- item kinds

/**
 * What an item is made to look like. `emergent`: the paper's regular items, pass rate
 * rising across the ladder and beyond; `non_emergent`: flat pass rates (β ≈ 0, α small),
 * which a good filter rejects; `ceiling`: capped at a pass rate below 1 (cap < 1);
 * `noisy`: extra per-model noise on the pass probability (non-monotone); `zero`: always 0.
 */
enum class ItemKind { emergent = 0, non_emergent = 1, ceiling = 2, noisy = 3, zero = 4 };
/** Number of item kinds. */
inline constexpr std::size_t kNumItemKinds = 5;
/** "emergent", "non_emergent", "ceiling", "noisy", "zero". */
const char* kind_name(ItemKind k);
/** Parse a kind name; throws cod::Error listing the kinds. */
ItemKind parse_kind(const std::string& s);

/** A closed interval [lo, hi]; lo == hi is a constant. */
struct ParamRange {
  double lo = 0;
  double hi = 0;
};

/**
 * Parameter distributions of one kind. `alpha` is drawn log-uniformly (so it must be
 * > 0 unless it is the constant 0), the others uniformly. Every draw is made even when
 * lo == hi, so that changing one range never shifts the others' draws.
 */
struct KindDistribution {
  ParamRange alpha;  ///< loss scale α (log-uniform)
  ParamRange beta;   ///< compute exponent β ≥ 0
  ParamRange gamma;  ///< irreducible loss γ ≥ 0
  ParamRange guess;  ///< random-guess rate g in [0, 1)
  ParamRange cap;    ///< maximum pass probability in [0, 1] (1 = no cap)
  ParamRange noise;  ///< sd of the per-model normal noise added to the probability (0 = none)
};

/** Distributions per kind, indexed by ItemKind; the `zero` entry is not used. */
using KindDistributions = std::array<KindDistribution, kNumItemKinds>;

/**
 * The defaults ("paper-like", C in units of 1e18 FLOPs over a ladder of 1e18–1e21 FLOPs):
 * - emergent:     α ∈ [2, 30] (log), β ∈ [0.2, 0.6], γ ∈ [0, 0.5], g = 0, cap = 1, noise = 0
 * - non_emergent: α ∈ [0.05, 1] (log), β ∈ [0, 0.02], γ ∈ [0, 3], g = 0, cap = 1, noise = 0
 * - ceiling:      as emergent but cap ∈ [0.3, 0.8]
 * - noisy:        as emergent but noise ∈ [0.05, 0.15]
 */
KindDistributions default_kind_distributions();

/** Default mix: emergent 0.7, non_emergent 0.1, ceiling 0.1, noisy 0.05, zero 0.05. */
std::array<double, kNumItemKinds> default_mix();

// ---------------------------------------------------------------- options

/** One evaluation set to generate. */
struct SynthSetSpec {
  std::string name;                                  ///< unique, non-empty
  long long items = 1000;                            ///< number of items, ≥ 1
  std::array<double, kNumItemKinds> mix = default_mix();  ///< proportions per kind, ≥ 0, summing to 1 (±1e-6)
  KindDistributions kinds = default_kind_distributions();
  long long trials = -1;  ///< trials per cell for this set; -1: SynthOptions::trials
};

/** A per-model loss L(C) = irreducible + scale·C^(−exponent) (C in compute units), for loss-based baselines. */
struct SynthLossLaw {
  bool enabled = true;
  double irreducible = 1.7;
  double scale = 2.0;
  double exponent = 0.15;
};

/** Everything synth_ladder needs. Defaults: 8 ladder models over 1e18–1e21 FLOPs, a target at 30×, 100 trials; `sets` must be filled. */
struct SynthOptions {
  std::uint64_t seed = 1;
  long long models = 8;            ///< ladder size (ignored when ladder_flops is given)
  double min_flops = 1e18;         ///< smallest ladder compute, FLOPs
  double max_flops = 1e21;         ///< largest ladder compute, FLOPs
  std::vector<double> ladder_flops;  ///< explicit ladder compute (strictly increasing); overrides the three above
  double tokens_per_param = 20;    ///< D = r·N, with C = 6·N·D
  bool target = true;              ///< add a target model
  double target_factor = 30;       ///< target compute / largest ladder compute (> 1)
  double target_flops = kUnknown;  ///< explicit target compute (overrides target_factor)
  long long anchors = 0;           ///< anchors placed log-evenly between the largest ladder model and the target
  std::vector<double> anchor_flops;  ///< explicit anchor compute (overrides `anchors`)
  double compute_unit = 1e18;      ///< Dataset::compute_unit; the item laws use C / compute_unit
  long long trials = 100;          ///< binomial trials per cell; 0 = exact probabilities; 1 = one 0/1 answer
  SynthLossLaw loss;               ///< per-model loss
  std::vector<SynthSetSpec> sets;  ///< at least one
};

// ---------------------------------------------------------------- results

/** True parameters of one item. */
struct SynthItemParams {
  double alpha = 0, beta = 0, gamma = 0, guess = 0, cap = 1, noise = 0;
};

/**
 * An item's pass probability before noise at compute `c` (in compute units):
 * cap·(guess + (1 − guess)·exp(−(α·c^(−β) + γ))). The one implementation of the synthetic
 * item law; synth_ladder adds noise·z and clamps to [0, 1].
 */
double synth_item_probability(const SynthItemParams& p, double c);

/** The known answer for one generated set. Model columns follow Dataset::models. */
struct SynthSetTruth {
  std::string name;
  std::vector<ItemKind> kinds;           ///< per item
  std::vector<SynthItemParams> params;   ///< per item
  Matrix prob;                           ///< items × models: true pass probabilities
  std::vector<double> metric;            ///< per model: mean of prob over items (the expected full-set metric)
  /** Per kind, per model: mean of prob over the kind's items; empty when the set has no item of that kind. */
  std::array<std::vector<double>, kNumItemKinds> kind_metric;
  std::array<long long, kNumItemKinds> counts{};  ///< items per kind
  long long trials = 0;                  ///< trials used (0 = exact)
};

/** The known answer for a whole generated dataset; `sets[s]` belongs to Dataset::sets[s]. */
struct SynthTruth {
  std::uint64_t seed = 0;
  std::vector<SynthSetTruth> sets;
};

/** What synth_ladder returns. */
struct SynthResult {
  Dataset data;
  SynthTruth truth;
};

/**
 * The compute (FLOPs) of the ladder, target and anchor models that `opt` asks for, in
 * Dataset::models order: ladder ascending, then anchors, then the target. Throws
 * cod::Error on bad compute options (with the numbers).
 */
std::vector<double> synth_model_flops(const SynthOptions& opt);

/**
 * Generate a synthetic dataset and its truth. Models are "synth-1"… (ladder, ascending
 * compute), "synth-anchor-1"… and "synth-target", family "synth", with N = sqrt(C/(6r)),
 * D = r·N (r = tokens_per_param) and compute_flops = C. Every set has every model. A set's
 * items depend only on the seed, the set's name and spec, and the models' compute: adding
 * or reordering other sets changes nothing in it; its truth does not depend on trials.
 * With trials > 0, pass = k/trials with k ~ Binomial(trials, p) and n_samples = trials
 * in every cell; with trials = 0, pass = p and n_samples is empty.
 * Throws cod::Error on bad options, naming the option and the numbers.
 */
SynthResult synth_ladder(const SynthOptions& opt);

}  // namespace cod

namespace cod {

// ---------------------------------------------------------------- lm-eval logs

/** How synth_lmeval writes multiple-choice logs. */
struct SynthLmEvalOptions {
  std::uint64_t seed = 1;
  long long choices = 4;     ///< choices per item, ≥ 2
  double noise = 0.3;        ///< sd of per (item, model, choice) normal noise on the choices' log-probabilities
  std::string date = "2026-01-01T00-00-00.000000";  ///< the files' date id
};

/** What synth_lmeval wrote, and the accuracy its logs hold. */
struct SynthLmEvalResult {
  std::vector<std::string> files;  ///< every file written, in order
  std::vector<Matrix> acc;         ///< per set: items × models, lm-eval's acc (argmax of the log-likelihoods)
};

/**
 * Write `models` and per-item true pass probabilities `prob` (one items × models matrix per set,
 * columns in `models` order, item ids "0", "1", ...) as an lm-evaluation-harness 0.4.x
 * `--log_samples` folder: `<dir>/models.csv` and `<dir>/samples/<model>/samples_<set>_<date>.jsonl`,
 * every leaf of resps/filtered_resps a string, target the gold index as a string.
 *
 * Item i's choice distribution for model j: gold g_i (uniform), π_gold = p_ij, the distractors
 * sharing 1 − p_ij by weights w_i ~ Dirichlet(1, …) fixed per item; each choice's log-probability
 * gets N(0, noise²) noise and the result is renormalised, so choice_prob ≈ p_ij. The written
 * log-likelihood of choice k is log π_k − len_k·ℓ_j (len_k its length in words, ℓ_j = 0.1·the
 * model's loss when known, else 0): a whole-continuation likelihood. acc = 1 when the gold choice
 * has the largest log-likelihood; acc_norm the same on log-likelihood per character.
 * `dir` must not exist or be empty; throws cod::Error (with the path) on a failed write.
 */
SynthLmEvalResult synth_lmeval(const std::vector<Model>& models, const std::vector<std::string>& set_names,
                               const std::vector<Matrix>& prob, const std::string& dir, const SynthLmEvalOptions& opt);

}  // namespace cod
