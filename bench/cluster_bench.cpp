// Benchmark of the cluster module on synthetic pass-rate features.
//
//   cluster_bench <method> <n> <d> [--bin-seeding] [--threads T] [--seed S] [--k K] [--n-samples M]
//                 [--csv FILE] [--repeat R] [--quantile Q] [--simd scalar|avx2|avx512] [--no-shells]
//                 [--no-carry]
//
// --csv FILE clusters the first n rows and d columns of a headerless numeric CSV instead
// of generated data; --repeat R runs the method R times and reports the fastest run
// (improved_meanshift and estimate_bandwidth); --quantile Q is estimate_bandwidth's
// quantile (default 0.1; the bandwidth it prints in hex is for bit-for-bit comparisons);
// --simd caps the kernel level; --no-shells climbs without window caches (every window walks);
// --no-carry makes every round of Improved MeanShift climb afresh (no climbs carried across rounds).
// improved_meanshift also prints a digest (FNV-1a over the bits of the labels, centres,
// member means, sizes, per-round MeanShift cluster counts and bandwidth) so two builds can be compared bit for bit;
// meanshift one over the labels, centres, window sizes, n_iter and the number of modes.
//
// method: improved_meanshift | kmeans | estimate_bandwidth | meanshift
// The data is generated here with a seeded generator shaped like pass-rate
// curves of a model ladder: item i has a difficulty b_i and a slope s_i, model
// j an ability a_j increasing with j; the pass rate is the number of correct
// answers out of 100 samples of sigmoid(s_i·(a_j − b_i)) (normal approximation
// of the binomial, Box–Muller on std::mt19937_64), so values are multiples of
// 1/100, rows increase on average, hard items are all-zero and easy ones all-one.
// Prints one line per phase (seconds) and a summary; run it under
// `/usr/bin/time -v` for peak memory (bench/README.md).

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "../engine/src/cluster_kdtree.hpp"  // private switch: --simd
#include "../engine/src/cluster_memo.hpp"    // private switch: --no-carry
#include "cod/cluster.hpp"
#include "cod/error.hpp"

namespace {

double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

double normal(std::mt19937_64& g) {
  const double u1 = 1.0 - uniform01(g);  // (0, 1]
  const double u2 = uniform01(g);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

cod::Matrix pass_rates(std::size_t n, int d, std::uint64_t seed, bool noise) {
  std::mt19937_64 g(seed);
  cod::Matrix X(static_cast<Eigen::Index>(n), d);
  for (std::size_t i = 0; i < n; ++i) {
    const double b = -4.0 + 11.0 * uniform01(g);  // difficulty: some items far beyond the largest model (all zero)
    const double s = 0.6 + 1.2 * uniform01(g);   // how sharply the item turns
    for (int j = 0; j < d; ++j) {
      const double a = -3.0 + 6.0 * j / (d - 1);  // ability of model j
      const double p = 1.0 / (1.0 + std::exp(-s * (a - b)));
      double c = std::round(100.0 * p + (noise ? std::sqrt(100.0 * p * (1.0 - p)) * normal(g) : 0.0));
      c = std::min(100.0, std::max(0.0, c));
      X(static_cast<Eigen::Index>(i), j) = c / 100.0;
    }
  }
  return X;
}

cod::Matrix read_csv(const char* path, std::size_t n, int d) {
  std::FILE* f = std::fopen(path, "r");
  if (!f) throw std::runtime_error(std::string("cannot open ") + path);
  cod::Matrix X(static_cast<Eigen::Index>(n), d);
  char line[4096];
  std::size_t i = 0;
  while (i < n && std::fgets(line, sizeof line, f)) {
    char* p = line;
    for (int j = 0; j < d; ++j) {
      char* end = nullptr;
      X(static_cast<Eigen::Index>(i), j) = std::strtod(p, &end);
      if (end == p) throw std::runtime_error(std::string(path) + ": line " + std::to_string(i + 1) + ": expected " + std::to_string(d) + " numbers");
      p = *end == ',' ? end + 1 : end;
    }
    ++i;
  }
  std::fclose(f);
  if (i < n) throw std::runtime_error(std::string(path) + ": only " + std::to_string(i) + " rows");
  return X;
}

struct Digest {
  std::uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, std::size_t len) {
    const unsigned char* c = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < len; ++i) h = (h ^ c[i]) * 1099511628211ull;
  }
  template <class T>
  void value(T v) { bytes(&v, sizeof v); }
};

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of the process (all threads): steadier than wall time on a shared machine.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s <improved_meanshift|kmeans|estimate_bandwidth|meanshift> <n> <d> [--bin-seeding] "
                 "[--threads T] [--seed S] [--k K] [--n-samples M] [--csv FILE] [--repeat R] [--quantile Q]\n"
                 "       [--simd scalar|avx2|avx512] [--no-shells] [--no-carry]\n",
                 argv[0]);
    return 2;
  }
  const std::string method = argv[1];
  const std::size_t n = std::strtoull(argv[2], nullptr, 10);
  const int d = std::atoi(argv[3]);
  bool bin = false, noise = false;
  int threads = 0, k = 8;
  std::uint64_t seed = 1;
  std::size_t n_samples = 0;
  const char* csv = nullptr;
  int repeat = 1;
  double quantile = 0.1;
  for (int a = 4; a < argc; ++a) {
    const std::string s = argv[a];
    if (s == "--bin-seeding") bin = true;
    else if (s == "--noise") noise = true;
    else if (s == "--no-shells") cod::cluster::detail::allow_shell_cache(false);
    else if (s == "--no-carry") cod::cluster::detail::allow_round_carry(false);
    else if (s == "--shell-budget" && a + 1 < argc) cod::cluster::detail::set_shell_budget(std::strtoull(argv[++a], nullptr, 10));
    else if (s == "--threads" && a + 1 < argc) threads = std::atoi(argv[++a]);
    else if (s == "--seed" && a + 1 < argc) seed = std::strtoull(argv[++a], nullptr, 10);
    else if (s == "--k" && a + 1 < argc) k = std::atoi(argv[++a]);
    else if (s == "--n-samples" && a + 1 < argc) n_samples = std::strtoull(argv[++a], nullptr, 10);
    else if (s == "--csv" && a + 1 < argc) csv = argv[++a];
    else if (s == "--repeat" && a + 1 < argc) repeat = std::max(1, std::atoi(argv[++a]));
    else if (s == "--quantile" && a + 1 < argc) quantile = std::strtod(argv[++a], nullptr);
    else if (s == "--simd" && a + 1 < argc) {
      const std::string v = argv[++a];
      namespace dt = cod::cluster::detail;
      dt::limit_simd(v == "scalar" ? dt::Simd::scalar : v == "avx2" ? dt::Simd::avx2 : dt::Simd::avx512);
    }
    else {
      std::fprintf(stderr, "unknown argument %s\n", s.c_str());
      return 2;
    }
  }
  try {
    double t0 = now();
    const cod::Matrix X = csv ? read_csv(csv, n, d) : pass_rates(n, d, seed, noise);
    std::printf("generate   %8.3f s  (%zu x %d)\n", now() - t0, n, d);
    {
      // Distinct rows: what the weighted collapse leaves to cluster (row indices only, 8 bytes a row).
      std::vector<std::size_t> idx(n);
      for (std::size_t i = 0; i < n; ++i) idx[i] = i;
      auto row = [&](std::size_t i) { return X.row(static_cast<Eigen::Index>(i)).data(); };
      auto less = [&](std::size_t a, std::size_t b) { return std::lexicographical_compare(row(a), row(a) + d, row(b), row(b) + d); };
      std::sort(idx.begin(), idx.end(), less);
      std::size_t distinct = n ? 1 : 0;
      for (std::size_t i = 1; i < n; ++i) distinct += less(idx[i - 1], idx[i]) ? 1 : 0;
      std::printf("rows       %zu distinct, %zu all-zero\n", distinct, cod::cluster::zero_rows(X).size());
    }
    cod::cluster::Exec exec;
    exec.threads = threads;
    t0 = now();
    if (method == "improved_meanshift") {
      cod::cluster::ImprovedMeanShiftOptions o;
      o.exec = exec;
      o.bin_seeding = bin;
      if (n_samples > 0) {
        // Bandwidth from a seeded subsample of the non-zero rows (sklearn's n_samples), then fixed.
        const auto zero = cod::cluster::zero_rows(X);
        cod::Matrix nz(X.rows() - static_cast<Eigen::Index>(zero.size()), d);
        std::size_t z = 0, r = 0;
        for (std::size_t i = 0; i < n; ++i) {
          if (z < zero.size() && zero[z] == i) {
            ++z;
            continue;
          }
          nz.row(static_cast<Eigen::Index>(r++)) = X.row(static_cast<Eigen::Index>(i));
        }
        cod::cluster::BandwidthOptions b;
        b.quantile = 0.1;
        b.n_samples = n_samples;
        b.exec = exec;
        const double est = cod::cluster::estimate_bandwidth(nz, b);
        const double cap = std::sqrt(static_cast<double>(d)) / 10.0;
        o.bandwidth = est == 0 ? cap : std::min(est, cap);
        std::printf("bandwidth  %8.3f s  (n_samples %zu: R = %.6f)\n", now() - t0, n_samples, *o.bandwidth);
      }
      const double t_start = t0;
      double best = 1e300, best_cpu = 1e300;
      cod::cluster::ImprovedMeanShiftResult r;
      const std::size_t taken0 = cod::cluster::detail::carried_steps_taken();
      const std::size_t refused0 = cod::cluster::detail::carried_steps_refused();
      for (int rep = 0; rep < repeat; ++rep) {
        const double t1 = now(), c1 = cpu_now();
        r = cod::cluster::improved_meanshift(X, o);
        best = std::min(best, now() - t1);
        best_cpu = std::min(best_cpu, cpu_now() - c1);
      }
      Digest dg;
      for (int l : r.labels) dg.value(l);
      for (Eigen::Index i = 0; i < r.centres.size(); ++i) dg.value(r.centres.data()[i]);
      for (Eigen::Index i = 0; i < r.member_means.size(); ++i) dg.value(r.member_means.data()[i]);
      for (auto w : r.sizes) dg.value(w);
      for (const auto& h : r.history) dg.value(h.n_meanshift_clusters);
      dg.value(r.bandwidth.bandwidth);
      dg.value(r.rounds);
      if (repeat > 1) std::printf("fastest of %d: %.4f s per run (CPU %.4f s)\n", repeat, best, best_cpu);
      std::printf("digest     %016llx\n", static_cast<unsigned long long>(dg.h));
      t0 = t_start;
      const auto q = cod::cluster::quality(X, r.labels);
      std::printf("improved_meanshift %8.3f s  R=%.6f (estimate %.6f) rounds=%d clusters=%ld IAD=%.4f OR=%.2f%%%s\n",
                  now() - t0, r.bandwidth.bandwidth, r.bandwidth.estimate, r.rounds,
                  static_cast<long>(r.centres.rows()), q.iad, q.outlier_rate, bin ? " (bin seeding)" : "");
      for (const auto& h : r.history)
        std::printf("  round %d: input %zu, meanshift clusters %zu, new clusters %zu, labelled %zu\n", h.round,
                    h.n_input, h.n_meanshift_clusters, h.n_new_clusters, h.n_new_labelled);
      std::printf("carried steps per run: %zu taken, %zu refused\n",
                  (cod::cluster::detail::carried_steps_taken() - taken0) / static_cast<std::size_t>(repeat),
                  (cod::cluster::detail::carried_steps_refused() - refused0) / static_cast<std::size_t>(repeat));
    } else if (method == "meanshift") {
      cod::cluster::BandwidthOptions b;
      b.quantile = 0.1;
      b.exec = exec;
      b.n_samples = n_samples;
      const double h = std::min(cod::cluster::estimate_bandwidth(X, b), std::sqrt(static_cast<double>(d)) / 10.0);
      std::printf("bandwidth  %8.3f s  (h = %.6f)\n", now() - t0, h);
      t0 = now();
      cod::cluster::MeanShiftOptions o;
      o.bandwidth = h;
      o.bin_seeding = bin;
      o.exec = exec;
      const auto r = cod::cluster::meanshift(X, o);
      Digest dg;
      for (int l : r.labels) dg.value(l);
      for (Eigen::Index i = 0; i < r.centres.size(); ++i) dg.value(r.centres.data()[i]);
      for (auto w : r.window_sizes) dg.value(w);
      dg.value(r.n_iter);
      dg.value(r.n_modes);
      std::printf("digest     %016llx\n", static_cast<unsigned long long>(dg.h));
      std::printf("meanshift  %8.3f s  seeds=%zu distinct=%zu modes=%zu clusters=%ld n_iter=%d\n", now() - t0,
                  r.n_seeds, r.n_distinct_seeds, r.n_modes, static_cast<long>(r.centres.rows()), r.n_iter);
    } else if (method == "estimate_bandwidth") {
      cod::cluster::BandwidthOptions b;
      b.quantile = quantile;
      b.exec = exec;
      b.n_samples = n_samples;
      double h = 0, best = 1e300, best_cpu = 1e300;
      for (int rep = 0; rep < repeat; ++rep) {
        const double t1 = now(), c1 = cpu_now();
        h = cod::cluster::estimate_bandwidth(X, b);
        best = std::min(best, now() - t1);
        best_cpu = std::min(best_cpu, cpu_now() - c1);
      }
      if (repeat > 1) std::printf("fastest of %d: %.5f s per run (CPU %.5f s)\n", repeat, best, best_cpu);
      std::printf("estimate_bandwidth %8.3f s  (Q = %g: %.9f = %a)\n", now() - t0, quantile, h, h);
    } else if (method == "kmeans") {
      cod::cluster::KMeansOptions o;
      o.k = k;
      o.exec = exec;
      const auto r = cod::cluster::kmeans(X, o);
      std::printf("kmeans     %8.3f s  k=%d n_init=10 inertia=%.6f n_iter=%d\n", now() - t0, k, r.inertia, r.n_iter);
    } else {
      std::fprintf(stderr, "unknown method %s\n", method.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
