// Synthetic ladders with a known answer (see synth.hpp for the model).

#include "cod/synth.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cod/error.hpp"

namespace cod {

// ---------------------------------------------------------------- random draws

std::uint64_t synth_mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double SynthRng::uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

double SynthRng::uniform_open() { return (static_cast<double>(gen_() >> 11) + 0.5) * 0x1.0p-53; }

std::uint64_t SynthRng::below(std::uint64_t n) {
  if (n == 0) throw Error("SynthRng::below: n must be >= 1");
  // Reject the top partial block of 2^64 so every residue is equally likely.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
  std::uint64_t x;
  do x = gen_();
  while (x >= limit);
  return x % n;
}

double SynthRng::normal() {
  for (;;) {
    const double u = 2.0 * uniform() - 1.0;
    const double v = 2.0 * uniform() - 1.0;
    const double s = u * u + v * v;
    if (s >= 1.0 || s == 0.0) continue;
    return u * std::sqrt(-2.0 * std::log(s) / s);
  }
}

double SynthRng::gamma(double shape) {
  if (!(shape >= 1.0) || !std::isfinite(shape)) throw Error(fmt::format("SynthRng::gamma: shape must be >= 1, got {}", shape));
  // Marsaglia & Tsang (2000): exact rejection from a transformed normal.
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double z = normal();
    double v = 1.0 + c * z;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = uniform_open();
    const double z2 = z * z;
    if (u < 1.0 - 0.0331 * z2 * z2) return d * v;  // squeeze: accepted without a log
    if (std::log(u) < 0.5 * z2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double SynthRng::beta(double a, double b) {
  const double x = gamma(a);
  const double y = gamma(b);
  return x / (x + y);
}

long long SynthRng::binomial_small(long long n, double p) {
  // BINV on q = min(p, 1-p) ≤ 0.5: f(0) = (1-q)^n ≥ 2^-1000 is a normal double for n ≤ 1000.
  const bool flip = p > 0.5;
  const double pp = flip ? 1.0 - p : p;
  if (pp <= 0.0) return flip ? n : 0;
  const double q = 1.0 - pp;
  const double r = pp / q;
  const double f0 = std::pow(q, static_cast<double>(n));
  for (;;) {
    double u = uniform();
    double f = f0;
    long long k = 0;
    for (;;) {
      if (u < f) return flip ? n - k : k;
      u -= f;
      ++k;
      // Rounding left a sliver (~1e-13) of [0,1) uncovered: draw again, i.e. sample
      // exactly from the computed pmf renormalised.
      if (k > n) break;
      f *= r * static_cast<double>(n - k + 1) / static_cast<double>(k);
    }
  }
}

long long SynthRng::binomial(long long n, double p) {
  if (n < 0) throw Error(fmt::format("binomial: n must be >= 0, got {}", n));
  if (!(p >= 0.0 && p <= 1.0)) throw Error(fmt::format("binomial: p must be in [0, 1], got {}", p));
  long long base = 0;  // successes already fixed by the splits
  for (;;) {
    if (n == 0 || p == 0.0) return base;
    if (p == 1.0) return base + n;
    if (n <= 1000) return base + binomial_small(n, p);
    // The a-th smallest of n uniforms X ~ Beta(a, n+1-a). If X ≥ p the a-1 below it are
    // uniform on (0, X) and none above counts; else the a below count and the n-a above
    // are uniform on (X, 1).
    const long long a = 1 + n / 2;
    const long long b = n - a + 1;  // not n + 1 - a: n + 1 overflows at LLONG_MAX (UBSan)
    const double x = beta(static_cast<double>(a), static_cast<double>(b));
    if (x >= p) {
      n = a - 1;
      p = p / x;
    } else {
      base += a;
      n = b - 1;
      p = (p - x) / (1.0 - x);
    }
    p = std::min(1.0, std::max(0.0, p));  // guard the rounding of the ratios
  }
}

// ---------------------------------------------------------------- kinds

namespace {

constexpr const char* kKindNames[kNumItemKinds] = {"emergent", "non_emergent", "ceiling", "noisy", "zero"};

std::string kind_list() {
  std::string s;
  for (const char* k : kKindNames) s += (s.empty() ? "" : ", ") + std::string(k);
  return s;
}

}  // namespace

const char* kind_name(ItemKind k) { return kKindNames[static_cast<std::size_t>(k)]; }

ItemKind parse_kind(const std::string& s) {
  for (std::size_t i = 0; i < kNumItemKinds; ++i)
    if (s == kKindNames[i]) return static_cast<ItemKind>(i);
  throw Error(fmt::format("unknown item kind '{}' (valid kinds: {})", s, kind_list()));
}

KindDistributions default_kind_distributions() {
  KindDistribution emergent;
  emergent.alpha = {2.0, 30.0};
  emergent.beta = {0.2, 0.6};
  emergent.gamma = {0.0, 0.5};
  emergent.guess = {0.0, 0.0};
  emergent.cap = {1.0, 1.0};
  emergent.noise = {0.0, 0.0};

  KindDistribution flat = emergent;
  flat.alpha = {0.05, 1.0};
  flat.beta = {0.0, 0.02};
  flat.gamma = {0.0, 3.0};

  KindDistribution ceiling = emergent;
  ceiling.cap = {0.3, 0.8};

  KindDistribution noisy = emergent;
  noisy.noise = {0.05, 0.15};

  KindDistribution zero;  // not used: zero items are exactly 0
  zero.cap = {0.0, 0.0};

  KindDistributions d;
  d[static_cast<std::size_t>(ItemKind::emergent)] = emergent;
  d[static_cast<std::size_t>(ItemKind::non_emergent)] = flat;
  d[static_cast<std::size_t>(ItemKind::ceiling)] = ceiling;
  d[static_cast<std::size_t>(ItemKind::noisy)] = noisy;
  d[static_cast<std::size_t>(ItemKind::zero)] = zero;
  return d;
}

std::array<double, kNumItemKinds> default_mix() { return {0.7, 0.1, 0.1, 0.05, 0.05}; }

// ---------------------------------------------------------------- option checks

namespace {

constexpr long long kMaxTrials = 1000000000LL;

void check_range(const std::string& set, ItemKind kind, const char* param, const ParamRange& r, double min,
                 double max, bool max_open = false) {
  auto where = [&] { return fmt::format("set '{}': kind '{}': {}", set, kind_name(kind), param); };
  if (!std::isfinite(r.lo) || !std::isfinite(r.hi))
    throw Error(fmt::format("{} range [{}, {}] must be finite", where(), r.lo, r.hi));
  if (r.lo > r.hi) throw Error(fmt::format("{} range [{}, {}] has lo > hi", where(), r.lo, r.hi));
  if (r.lo < min || r.hi > max || (max_open && r.hi >= max))
    throw Error(fmt::format("{} range [{}, {}] must lie in [{}, {}{}", where(), r.lo, r.hi, min, max, max_open ? ")" : "]"));
}

void check_set(const SynthSetSpec& s, std::size_t index) {
  if (s.name.empty()) throw Error(fmt::format("set {} has an empty name", index + 1));
  if (s.items < 1) throw Error(fmt::format("set '{}': items must be >= 1, got {}", s.name, s.items));
  if (s.trials < -1 || s.trials > kMaxTrials)
    throw Error(fmt::format("set '{}': trials must be in [0, {}], got {}", s.name, kMaxTrials, s.trials));
  double sum = 0;
  for (std::size_t k = 0; k < kNumItemKinds; ++k) {
    const double m = s.mix[k];
    if (!std::isfinite(m) || m < 0)
      throw Error(fmt::format("set '{}': mix proportion of '{}' must be a finite number >= 0, got {}", s.name,
                              kKindNames[k], m));
    sum += m;
  }
  if (std::fabs(sum - 1.0) > 1e-6) {
    std::string parts;
    for (std::size_t k = 0; k < kNumItemKinds; ++k)
      if (s.mix[k] > 0) parts += fmt::format("{}{}={}", parts.empty() ? "" : ", ", kKindNames[k], s.mix[k]);
    throw Error(fmt::format("set '{}': mix proportions sum to {:.6g}, expected 1 ({})", s.name, sum, parts));
  }
  for (std::size_t k = 0; k + 1 < kNumItemKinds; ++k) {  // every kind but zero
    const auto kind = static_cast<ItemKind>(k);
    const KindDistribution& d = s.kinds[k];
    const double inf = std::numeric_limits<double>::infinity();
    check_range(s.name, kind, "alpha", d.alpha, 0.0, inf);
    if (d.alpha.lo == 0.0 && d.alpha.hi > 0.0)
      throw Error(fmt::format("set '{}': kind '{}': alpha range [0, {}] is drawn log-uniformly, so its lower "
                              "bound must be > 0 (or both bounds 0)",
                              s.name, kind_name(kind), d.alpha.hi));
    check_range(s.name, kind, "beta", d.beta, 0.0, inf);
    check_range(s.name, kind, "gamma", d.gamma, 0.0, inf);
    check_range(s.name, kind, "guess", d.guess, 0.0, 1.0, true);
    check_range(s.name, kind, "cap", d.cap, 0.0, 1.0);
    check_range(s.name, kind, "noise", d.noise, 0.0, inf);
  }
}

bool positive_finite(double x) { return std::isfinite(x) && x > 0; }

// Items per kind: floor of items·mix, the rest to the largest remainders (ties: kind order).
std::array<long long, kNumItemKinds> kind_counts(const SynthSetSpec& s) {
  std::array<long long, kNumItemKinds> counts{};
  std::array<double, kNumItemKinds> rem{};
  long long used = 0;
  for (std::size_t k = 0; k < kNumItemKinds; ++k) {
    const double exact = static_cast<double>(s.items) * s.mix[k];
    counts[k] = static_cast<long long>(std::floor(exact));
    rem[k] = exact - static_cast<double>(counts[k]);
    used += counts[k];
  }
  std::array<std::size_t, kNumItemKinds> order{};
  for (std::size_t k = 0; k < kNumItemKinds; ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rem[a] > rem[b]; });
  // The mix sums to 1 within 1e-6, so at most a few items are left; cycle in case of rounding.
  for (std::size_t i = 0; used < s.items; ++i, ++used) ++counts[order[i % kNumItemKinds]];
  while (used > s.items) {  // a sum slightly above 1 can overshoot: take back from the largest
    auto it = std::max_element(counts.begin(), counts.end());
    --*it;
    --used;
  }
  return counts;
}

// FNV-1a: a platform-independent hash of a set's name, to seed its streams.
std::uint64_t name_hash(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

double draw(SynthRng& rng, const ParamRange& r) {
  const double u = rng.uniform();  // always drawn: keeps the stream aligned whatever the ranges
  return r.lo + (r.hi - r.lo) * u;
}

double draw_log(SynthRng& rng, const ParamRange& r) {
  const double u = rng.uniform();
  if (r.lo == r.hi) return r.lo;
  return std::exp(std::log(r.lo) + (std::log(r.hi) - std::log(r.lo)) * u);
}

}  // namespace

std::vector<double> synth_model_flops(const SynthOptions& opt) {
  std::vector<double> ladder;
  if (!opt.ladder_flops.empty()) {
    ladder = opt.ladder_flops;
    for (std::size_t i = 0; i < ladder.size(); ++i) {
      if (!positive_finite(ladder[i]))
        throw Error(fmt::format("ladder compute {} must be a finite number > 0, got {}", i + 1, ladder[i]));
      if (i > 0 && !(ladder[i] > ladder[i - 1]))
        throw Error(fmt::format("ladder compute must be strictly increasing: element {} = {} is not above element {} = {}",
                                i + 1, ladder[i], i, ladder[i - 1]));
    }
  } else {
    if (opt.models < 1) throw Error(fmt::format("models must be >= 1, got {}", opt.models));
    if (!positive_finite(opt.min_flops)) throw Error(fmt::format("min_flops must be a finite number > 0, got {}", opt.min_flops));
    if (!positive_finite(opt.max_flops)) throw Error(fmt::format("max_flops must be a finite number > 0, got {}", opt.max_flops));
    if (opt.models == 1 ? opt.max_flops < opt.min_flops : !(opt.max_flops > opt.min_flops))
      throw Error(fmt::format("max_flops ({}) must be above min_flops ({}) for a ladder of {} models", opt.max_flops,
                              opt.min_flops, opt.models));
    const double lo = std::log(opt.min_flops);
    const double hi = std::log(opt.max_flops);
    const auto n = static_cast<std::size_t>(opt.models);
    ladder.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      ladder[i] = n == 1 ? opt.min_flops : std::exp(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1));
    // exp(log(x)) may miss the bounds by an ulp: pin them to what the user wrote.
    ladder.front() = opt.min_flops;
    if (n > 1) ladder.back() = opt.max_flops;
  }
  const double top = ladder.back();

  double target = kUnknown;
  if (opt.target) {
    if (!std::isnan(opt.target_flops)) {
      if (!positive_finite(opt.target_flops) || !(opt.target_flops > top))
        throw Error(fmt::format("target_flops ({}) must be finite and above the largest ladder compute ({})",
                                opt.target_flops, top));
      target = opt.target_flops;
    } else {
      if (!std::isfinite(opt.target_factor) || !(opt.target_factor > 1.0))
        throw Error(fmt::format("target_factor must be a finite number > 1, got {}", opt.target_factor));
      target = top * opt.target_factor;
    }
  }

  std::vector<double> anchors;
  if (!opt.anchor_flops.empty()) {
    anchors = opt.anchor_flops;
    for (std::size_t i = 0; i < anchors.size(); ++i)
      if (!positive_finite(anchors[i]))
        throw Error(fmt::format("anchor compute {} must be a finite number > 0, got {}", i + 1, anchors[i]));
  } else {
    if (opt.anchors < 0) throw Error(fmt::format("anchors must be >= 0, got {}", opt.anchors));
    // Log-evenly strictly between the top of the ladder and the target (10× the top without one).
    const double upper = opt.target ? target : 10.0 * top;
    const auto m = static_cast<std::size_t>(opt.anchors);
    for (std::size_t k = 1; k <= m; ++k)
      anchors.push_back(top * std::pow(upper / top, static_cast<double>(k) / static_cast<double>(m + 1)));
  }

  std::vector<double> all = ladder;
  all.insert(all.end(), anchors.begin(), anchors.end());
  if (opt.target) all.push_back(target);
  return all;
}

double synth_item_probability(const SynthItemParams& p, double c) {
  const double loss = p.alpha * std::pow(c, -p.beta) + p.gamma;
  return p.cap * (p.guess + (1.0 - p.guess) * std::exp(-loss));
}

SynthResult synth_ladder(const SynthOptions& opt) {
  // ---- check everything before generating anything
  if (!std::isfinite(opt.compute_unit) || !(opt.compute_unit > 0))
    throw Error(fmt::format("compute_unit must be a finite number > 0, got {}", opt.compute_unit));
  if (!std::isfinite(opt.tokens_per_param) || !(opt.tokens_per_param > 0))
    throw Error(fmt::format("tokens_per_param must be a finite number > 0, got {}", opt.tokens_per_param));
  if (opt.trials < 0 || opt.trials > kMaxTrials)
    throw Error(fmt::format("trials must be in [0, {}], got {}", kMaxTrials, opt.trials));
  if (opt.loss.enabled && (!std::isfinite(opt.loss.irreducible) || !std::isfinite(opt.loss.scale) ||
                           !std::isfinite(opt.loss.exponent)))
    throw Error("model loss law parameters must be finite");
  if (opt.sets.empty()) throw Error("at least one set is needed");
  {
    std::set<std::string> names;
    for (std::size_t s = 0; s < opt.sets.size(); ++s) {
      check_set(opt.sets[s], s);
      if (!names.insert(opt.sets[s].name).second)
        throw Error(fmt::format("set name '{}' is used twice", opt.sets[s].name));
    }
  }
  const std::vector<double> flops = synth_model_flops(opt);
  const std::size_t n_ladder = opt.ladder_flops.empty() ? static_cast<std::size_t>(opt.models) : opt.ladder_flops.size();
  const std::size_t n_models = flops.size();
  const std::size_t n_anchors = n_models - n_ladder - (opt.target ? 1 : 0);

  SynthResult out;
  Dataset& ds = out.data;
  ds.compute_unit = opt.compute_unit;

  // ---- models
  std::vector<double> u(n_models);  // compute in units
  for (std::size_t j = 0; j < n_models; ++j) {
    Model m;
    if (j < n_ladder) {
      m.name = fmt::format("synth-{}", j + 1);
      m.role = Role::ladder;
    } else if (j < n_ladder + n_anchors) {
      m.name = fmt::format("synth-anchor-{}", j - n_ladder + 1);
      m.role = Role::anchor;
    } else {
      m.name = "synth-target";
      m.role = Role::target;
    }
    m.family = "synth";
    m.compute_flops = flops[j];
    m.params = std::sqrt(flops[j] / (6.0 * opt.tokens_per_param));
    m.tokens = opt.tokens_per_param * m.params;
    u[j] = flops[j] / opt.compute_unit;
    if (opt.loss.enabled) m.loss = opt.loss.irreducible + opt.loss.scale * std::pow(u[j], -opt.loss.exponent);
    ds.models.push_back(std::move(m));
  }

  // ---- sets
  out.truth.seed = opt.seed;
  for (const SynthSetSpec& spec : opt.sets) {
    const auto n_items = static_cast<std::size_t>(spec.items);
    const long long trials = spec.trials >= 0 ? spec.trials : opt.trials;
    const std::uint64_t set_seed = synth_mix64(opt.seed ^ synth_mix64(name_hash(spec.name)));
    SynthRng truth_rng(synth_mix64(set_seed ^ 0x1ULL));
    SynthRng sample_rng(synth_mix64(set_seed ^ 0x2ULL));

    SynthSetTruth t;
    t.name = spec.name;
    t.trials = trials;
    t.counts = kind_counts(spec);
    t.kinds.reserve(n_items);
    for (std::size_t k = 0; k < kNumItemKinds; ++k)
      t.kinds.insert(t.kinds.end(), static_cast<std::size_t>(t.counts[k]), static_cast<ItemKind>(k));
    // Fisher–Yates with our own bounded draws (std::shuffle is implementation-defined).
    for (std::size_t i = n_items; i > 1; --i) std::swap(t.kinds[i - 1], t.kinds[truth_rng.below(i)]);

    t.params.resize(n_items);
    t.prob.resize(static_cast<Eigen::Index>(n_items), static_cast<Eigen::Index>(n_models));
    for (std::size_t i = 0; i < n_items; ++i) {
      const ItemKind kind = t.kinds[i];
      const KindDistribution& d = spec.kinds[static_cast<std::size_t>(kind)];
      SynthItemParams p;
      // Six draws for every item, zero items included, so kinds never shift each other's streams.
      p.alpha = draw_log(truth_rng, d.alpha);
      p.beta = draw(truth_rng, d.beta);
      p.gamma = draw(truth_rng, d.gamma);
      p.guess = draw(truth_rng, d.guess);
      p.cap = draw(truth_rng, d.cap);
      p.noise = draw(truth_rng, d.noise);
      if (kind == ItemKind::zero) p = SynthItemParams{0, 0, 0, 0, 0, 0};
      t.params[i] = p;
      for (std::size_t j = 0; j < n_models; ++j) {
        double prob = 0.0;
        if (kind != ItemKind::zero) {
          prob = synth_item_probability(p, u[j]);
          if (p.noise > 0) prob += p.noise * truth_rng.normal();
          prob = std::min(1.0, std::max(0.0, prob));
        }
        t.prob(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = prob;
      }
    }
    t.metric.resize(n_models);
    for (std::size_t j = 0; j < n_models; ++j) t.metric[j] = t.prob.col(static_cast<Eigen::Index>(j)).mean();
    for (std::size_t k = 0; k < kNumItemKinds; ++k) {
      if (t.counts[k] == 0) continue;
      std::vector<double>& km = t.kind_metric[k];
      km.assign(n_models, 0.0);
      for (std::size_t i = 0; i < n_items; ++i)
        if (static_cast<std::size_t>(t.kinds[i]) == k)
          for (std::size_t j = 0; j < n_models; ++j)
            km[j] += t.prob(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      for (double& x : km) x /= static_cast<double>(t.counts[k]);
    }

    EvalSet es;
    es.name = spec.name;
    es.items.reserve(n_items);
    for (std::size_t i = 0; i < n_items; ++i) es.items.push_back(fmt::format("item-{}", i + 1));
    for (std::size_t j = 0; j < n_models; ++j) es.models.push_back(j);
    if (trials == 0) {
      es.pass = t.prob;
    } else {
      es.pass.resize(t.prob.rows(), t.prob.cols());
      es.n_samples = Matrix::Constant(t.prob.rows(), t.prob.cols(), static_cast<double>(trials));
      const double n = static_cast<double>(trials);
      for (Eigen::Index i = 0; i < t.prob.rows(); ++i)
        for (Eigen::Index j = 0; j < t.prob.cols(); ++j)
          es.pass(i, j) = static_cast<double>(sample_rng.binomial(trials, t.prob(i, j))) / n;
    }
    ds.sets.push_back(std::move(es));
    out.truth.sets.push_back(std::move(t));
  }
  ds.validate();  // the generator's own invariants, checked as any input's would be
  return out;
}

}  // namespace cod
