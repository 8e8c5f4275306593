#pragma once
/// @file cluster_common.hpp
/// Private machinery of the cluster module shared by every method: argument checks and
/// message helpers, the 128-bit integer types, the deterministic thread helper and the
/// PRNG formulas. Not installed.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cod/cluster.hpp"
#include "cod/error.hpp"

namespace cod::cluster::detail {

// GCC/Clang 128-bit integers: exact fixed-point sums and 64x64-bit products.
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// ------------------------------------------------------------------ checks

/** Throw unless X has rows and columns and only finite values (messages count from 1). */
void check_matrix(const Matrix& X, const char* fname);

/** Resolve Exec::threads (0 = all cores), capped by the number of tasks and cod::thread_limit(). */
int thread_count(int requested, std::size_t tasks);

/** Throw unless q is in [0, 1] / v (when given) is finite and > 0. */
void check_quantile(double q, const char* fname);
void check_positive(std::optional<double> v, const char* name, const char* fname);

/** Message prefix helper: "cluster.<fname>: ". */
std::string prefix(const char* fname);

/** A number for messages: shortest of %.10g (0.3 -> "0.3", 1e-4 -> "0.0001", NaN -> "nan"). */
std::string num(double v);

// ------------------------------------------------------------------ threads

/**
 * Run f(begin, end) over [0, n) in blocks on `threads` threads. Blocks are
 * handed out dynamically, so f must write only per-task outputs (results then
 * never depend on scheduling). The first exception is rethrown after joining.
 */
template <class F>
void parallel_blocks(std::size_t n, std::size_t block, int threads, F&& f) {
  if (n == 0) return;
  if (threads <= 1 || n <= block) {
    for (std::size_t b = 0; b < n; b += block) f(b, std::min(n, b + block), 0);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::atomic<bool> failed{false};
  auto work = [&](int tid) {
    try {
      for (;;) {
        if (failed.load()) return;
        const std::size_t b = next.fetch_add(block);
        if (b >= n) return;
        f(b, std::min(n, b + block), tid);
      }
    } catch (...) {  // transported to the calling thread and rethrown there
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed.store(true);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

// ------------------------------------------------------------------ PRNG

/** Uniform double in [0, 1): the top 53 bits of one draw. */
inline double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

/** Uniform integer in [0, n): floor(draw · n / 2^64) of one draw. */
inline std::uint64_t uniform_index(std::mt19937_64& g, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<u128>(g()) * n) >> 64);
}

}  // namespace cod::cluster::detail
