// Vector kernels of the KD-tree's ball queries, chosen at run time (AVX-512 or
// AVX2 when the CPU has it, scalar otherwise; the engine itself is built for
// baseline x86-64). Every kernel decides exactly as the scalar code:
// - leaf_mask and leaf_rdist vectorise across rows (8 lanes with AVX-512, 4 with
//   AVX2), each lane summing (q_j - x_j)^2 over j in column order with separate
//   multiply and add, so every row's squared distance is bit-identical to rdist()
//   (this file is compiled with -ffp-contract=off, see engine/CMakeLists.txt: in the
//   AVX-512 kernels GCC would otherwise fuse a*b+c into an FMA; the kernel tests
//   compare every level bit for bit);
// - limb_accumulate adds 64-bit integers modulo 2^64, which no order changes;
// - box_range sums the box bounds in another order than rdist() (within d·2^-53
//   relative of the exact bounds), so its users settle a node only with a 1e-12
//   relative margin (a few ulps would do); nodes within the margin are left to the
//   per-row test.

#include <atomic>

#include "cluster_kdtree.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define COD_CLUSTER_AVX2 1
#endif

namespace cod::cluster::detail {
namespace {

std::uint32_t leaf_mask_scalar(const double* q, const double* xt, int len, int first, int count, int d,
                               double r2) {
  std::uint32_t mask = 0;
  for (int i = 0; i < count; ++i) {
    double s = 0.0;
    for (int j = 0; j < d; ++j) {
      const double t = q[j] - xt[j * len + first + i];
      s += t * t;
    }
    if (s <= r2) mask |= 1u << i;
  }
  return mask;
}

void leaf_rdist_scalar(const double* q, const double* xt, int len, int d, double* out) {
  for (int i = 0; i < len; ++i) {
    double s = 0.0;
    for (int j = 0; j < d; ++j) {
      const double t = q[j] - xt[j * len + i];
      s += t * t;
    }
    out[i] = s;
  }
}

std::int64_t shell_split_scalar(const double* r, const std::int64_t* w, std::size_t len, double lo, double hi,
                                double* cv, std::int64_t* cw, std::size_t& n) {
  std::int64_t below = 0;
  std::size_t k = n;
  for (std::size_t i = 0; i < len; ++i) {
    const double s = r[i];
    below += s < lo ? w[i] : 0;
    cv[k] = s;  // kept only when in the shell (no branch on the common case)
    cw[k] = w[i];
    k += (s >= lo) & (s <= hi);
  }
  n = k;
  return below;
}

void limb_accumulate_scalar(const std::uint64_t* rows, int stride, std::uint32_t mask, bool subtract,
                            std::uint64_t* acc, int width) {
  for (; mask != 0; mask &= mask - 1) {
    const std::uint64_t* r = rows + static_cast<std::size_t>(__builtin_ctz(mask)) * static_cast<std::size_t>(stride);
    if (subtract) {
      for (int j = 0; j < width; ++j) acc[j] -= r[j];
    } else {
      for (int j = 0; j < width; ++j) acc[j] += r[j];
    }
  }
}

#ifdef COD_CLUSTER_AVX2
__attribute__((target("avx2"))) void limb_accumulate_avx2(const std::uint64_t* rows, int stride, std::uint32_t mask,
                                                          bool subtract, std::uint64_t* acc, int width) {
  for (int j = 0; j < width; j += 4) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + j));
    for (std::uint32_t m = mask; m != 0; m &= m - 1) {
      const std::uint64_t* r = rows + static_cast<std::size_t>(__builtin_ctz(m)) * static_cast<std::size_t>(stride) + j;
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r));
      a = subtract ? _mm256_sub_epi64(a, v) : _mm256_add_epi64(a, v);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + j), a);
  }
}

__attribute__((target("avx512f"))) void limb_accumulate_avx512(const std::uint64_t* rows, int stride,
                                                               std::uint32_t mask, bool subtract, std::uint64_t* acc,
                                                               int width) {
  for (int j = 0; j < width; j += 8) {
    __m512i a = _mm512_loadu_si512(acc + j);
    for (std::uint32_t m = mask; m != 0; m &= m - 1) {
      const __m512i v =
          _mm512_loadu_si512(rows + static_cast<std::size_t>(__builtin_ctz(m)) * static_cast<std::size_t>(stride) + j);
      a = subtract ? _mm512_sub_epi64(a, v) : _mm512_add_epi64(a, v);
    }
    _mm512_storeu_si512(acc + j, a);
  }
}

// d <= 8: the whole box in one register (masked lanes are 0 and add nothing).
__attribute__((target("avx512f"))) void box_range_avx512(const double* lo, const double* hi, const double* q, int d,
                                                        double& mn, double& mx) {
  const __mmask8 live = static_cast<__mmask8>((1u << d) - 1);
  const __m512d qv = _mm512_maskz_loadu_pd(live, q);
  const __m512d a = _mm512_sub_pd(qv, _mm512_maskz_loadu_pd(live, lo));
  const __m512d b = _mm512_sub_pd(_mm512_maskz_loadu_pd(live, hi), qv);
  const __m512d zero = _mm512_setzero_pd();
  const __m512i no_sign = _mm512_set1_epi64(0x7FFFFFFFFFFFFFFF);
  // dmin = max(-a, -b, 0); dmax = max(|a|, |b|)
  const __m512d dmin = _mm512_maskz_max_pd(0xFF, _mm512_maskz_max_pd(0xFF, _mm512_sub_pd(zero, a), _mm512_sub_pd(zero, b)), zero);
  const __m512d abs_a = _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(a), no_sign));
  const __m512d abs_b = _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(b), no_sign));
  const __m512d dmax = _mm512_maskz_max_pd(0xFF, abs_a, abs_b);  // maskz: GCC 12 warns on the unmasked form
  alignas(64) double vmin[8], vmax[8];
  _mm512_store_pd(vmin, _mm512_mul_pd(dmin, dmin));
  _mm512_store_pd(vmax, _mm512_mul_pd(dmax, dmax));
  mn = ((vmin[0] + vmin[1]) + (vmin[2] + vmin[3])) + ((vmin[4] + vmin[5]) + (vmin[6] + vmin[7]));
  mx = ((vmax[0] + vmax[1]) + (vmax[2] + vmax[3])) + ((vmax[4] + vmax[5]) + (vmax[6] + vmax[7]));
}

__attribute__((target("avx512f"))) std::uint32_t leaf_mask_avx512(const double* q, const double* xt, int len,
                                                                  int first, int count, int d, double r2) {
  std::uint32_t mask = 0;
  const __m512d r2v = _mm512_set1_pd(r2);
  int i = 0;
  for (; i + 8 <= count; i += 8) {
    __m512d s = _mm512_setzero_pd();
    for (int j = 0; j < d; ++j) {
      const __m512d t = _mm512_sub_pd(_mm512_set1_pd(q[j]), _mm512_loadu_pd(xt + j * len + first + i));
      s = _mm512_add_pd(s, _mm512_mul_pd(t, t));
    }
    mask |= static_cast<std::uint32_t>(_mm512_cmp_pd_mask(s, r2v, _CMP_LE_OQ)) << i;
  }
  if (i < count) {  // the last rows in masked lanes (loads past count are suppressed)
    const __mmask8 live = static_cast<__mmask8>((1u << (count - i)) - 1);
    __m512d s = _mm512_setzero_pd();
    for (int j = 0; j < d; ++j) {
      const __m512d t =
          _mm512_sub_pd(_mm512_set1_pd(q[j]), _mm512_maskz_loadu_pd(live, xt + j * len + first + i));
      s = _mm512_add_pd(s, _mm512_mul_pd(t, t));
    }
    mask |= static_cast<std::uint32_t>(_mm512_mask_cmp_pd_mask(live, s, r2v, _CMP_LE_OQ)) << i;
  }
  return mask;
}

__attribute__((target("avx512f"))) std::uint32_t leaf_mask_f32_avx512(const double* q, const float* qf,
                                                                      const double* xt, const float* xtf, int len,
                                                                      int first, int count, int d, double r2,
                                                                      float sure_in, float sure_out) {
  std::uint32_t mask = 0;
  const __m512 in_v = _mm512_set1_ps(sure_in), out_v = _mm512_set1_ps(sure_out);
  for (int i = 0; i < count; i += 16) {
    const __mmask16 live = static_cast<__mmask16>(count - i >= 16 ? 0xFFFFu : (1u << (count - i)) - 1);
    __m512 s = _mm512_setzero_ps();
    for (int j = 0; j < d; ++j) {
      const __m512 t = _mm512_sub_ps(_mm512_set1_ps(qf[j]), _mm512_maskz_loadu_ps(live, xtf + j * len + first + i));
      s = _mm512_add_ps(s, _mm512_mul_ps(t, t));
    }
    std::uint32_t in = _mm512_mask_cmp_ps_mask(live, s, in_v, _CMP_LT_OQ);
    // Rows near the sphere: the exact double test, as rdist() computes it.
    for (std::uint32_t near = live & ~in & ~static_cast<std::uint32_t>(_mm512_cmp_ps_mask(s, out_v, _CMP_GT_OQ));
         near != 0; near &= near - 1) {
      const int row = first + i + __builtin_ctz(near);
      double e = 0.0;
      for (int j = 0; j < d; ++j) {
        const double t = q[j] - xt[j * len + row];
        e += t * t;
      }
      if (e <= r2) in |= 1u << __builtin_ctz(near);
    }
    mask |= in << i;
  }
  return mask;
}

__attribute__((target("avx512f"))) void leaf_rdist_avx512(const double* q, const double* xt, int len, int d,
                                                          double* out) {
  int i = 0;
  // Four independent vectors of rows at a time: each lane's sum is a chain of d dependent
  // adds, so one vector alone would wait on the adder's latency.
  for (; i + 32 <= len; i += 32) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    for (int j = 0; j < d; ++j) {
      const __m512d qj = _mm512_set1_pd(q[j]);
      const double* c = xt + j * len + i;
      const __m512d t0 = _mm512_sub_pd(qj, _mm512_loadu_pd(c));
      const __m512d t1 = _mm512_sub_pd(qj, _mm512_loadu_pd(c + 8));
      const __m512d t2 = _mm512_sub_pd(qj, _mm512_loadu_pd(c + 16));
      const __m512d t3 = _mm512_sub_pd(qj, _mm512_loadu_pd(c + 24));
      s0 = _mm512_add_pd(s0, _mm512_mul_pd(t0, t0));
      s1 = _mm512_add_pd(s1, _mm512_mul_pd(t1, t1));
      s2 = _mm512_add_pd(s2, _mm512_mul_pd(t2, t2));
      s3 = _mm512_add_pd(s3, _mm512_mul_pd(t3, t3));
    }
    _mm512_storeu_pd(out + i, s0);
    _mm512_storeu_pd(out + i + 8, s1);
    _mm512_storeu_pd(out + i + 16, s2);
    _mm512_storeu_pd(out + i + 24, s3);
  }
  for (; i < len; i += 8) {
    const __mmask8 live = static_cast<__mmask8>(len - i >= 8 ? 0xFF : (1u << (len - i)) - 1);
    __m512d s = _mm512_setzero_pd();
    for (int j = 0; j < d; ++j) {
      const __m512d t = _mm512_sub_pd(_mm512_set1_pd(q[j]), _mm512_maskz_loadu_pd(live, xt + j * len + i));
      s = _mm512_add_pd(s, _mm512_mul_pd(t, t));
    }
    _mm512_mask_storeu_pd(out + i, live, s);
  }
}

__attribute__((target("avx512f,popcnt"))) std::int64_t shell_split_avx512(const double* r, const std::int64_t* w,
                                                                         std::size_t len, double lo, double hi,
                                                                         double* cv, std::int64_t* cw, std::size_t& n) {
  const __m512d lov = _mm512_set1_pd(lo), hiv = _mm512_set1_pd(hi);
  __m512i below = _mm512_setzero_si512();
  std::size_t k = n;
  for (std::size_t i = 0; i < len; i += 8) {
    const __mmask8 live = static_cast<__mmask8>(len - i >= 8 ? 0xFF : (1u << (len - i)) - 1);
    const __m512d s = _mm512_maskz_loadu_pd(live, r + i);
    const __mmask8 b = _mm512_mask_cmp_pd_mask(live, s, lov, _CMP_LT_OQ);
    const __mmask8 c = _mm512_mask_cmp_pd_mask(static_cast<__mmask8>(live & ~b), s, hiv, _CMP_LE_OQ);
    // No branches (which rows fall where is unpredictable): compress in registers and store
    // all 8 lanes (the buffers have 8 spare entries).
    const __m512i wv = _mm512_maskz_loadu_epi64(live, w + i);
    below = _mm512_mask_add_epi64(below, b, below, wv);
    _mm512_storeu_pd(cv + k, _mm512_maskz_compress_pd(c, s));
    _mm512_storeu_si512(cw + k, _mm512_maskz_compress_epi64(c, wv));
    k += static_cast<std::size_t>(__builtin_popcount(c));
  }
  n = k;
  alignas(64) std::int64_t bv[8];  // not _mm512_reduce_add_epi64: GCC 12 warns inside it
  _mm512_store_si512(bv, below);
  return ((bv[0] + bv[1]) + (bv[2] + bv[3])) + ((bv[4] + bv[5]) + (bv[6] + bv[7]));
}

__attribute__((target("avx2"))) std::int64_t shell_split_avx2(const double* r, const std::int64_t* w, std::size_t len,
                                                              double lo, double hi, double* cv, std::int64_t* cw,
                                                              std::size_t& n) {
  const __m256d lov = _mm256_set1_pd(lo), hiv = _mm256_set1_pd(hi);
  __m256i below = _mm256_setzero_si256();
  std::size_t k = n, i = 0;
  for (; i + 4 <= len; i += 4) {
    const __m256d s = _mm256_loadu_pd(r + i);
    const __m256d b = _mm256_cmp_pd(s, lov, _CMP_LT_OQ);
    below = _mm256_add_epi64(below, _mm256_and_si256(_mm256_castpd_si256(b),
                                                     _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i))));
    for (int c = _mm256_movemask_pd(_mm256_andnot_pd(b, _mm256_cmp_pd(s, hiv, _CMP_LE_OQ))); c != 0; c &= c - 1) {
      const std::size_t l = i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(c)));
      cv[k] = r[l];
      cw[k] = w[l];
      ++k;
    }
  }
  alignas(32) std::int64_t bv[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(bv), below);
  n = k;
  return (bv[0] + bv[1]) + (bv[2] + bv[3]) + shell_split_scalar(r + i, w + i, len - i, lo, hi, cv, cw, n);
}

__attribute__((target("avx2"))) void leaf_rdist_avx2(const double* q, const double* xt, int len, int d, double* out) {
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    __m256d s = _mm256_setzero_pd();
    for (int j = 0; j < d; ++j) {
      const __m256d t = _mm256_sub_pd(_mm256_set1_pd(q[j]), _mm256_loadu_pd(xt + j * len + i));
      s = _mm256_add_pd(s, _mm256_mul_pd(t, t));
    }
    _mm256_storeu_pd(out + i, s);
  }
  for (; i < len; ++i) {
    double s = 0.0;
    for (int j = 0; j < d; ++j) {
      const double t = q[j] - xt[j * len + i];
      s += t * t;
    }
    out[i] = s;
  }
}

__attribute__((target("avx2"))) void box_range_avx2(const double* lo, const double* hi, const double* q, int d,
                                                    double& mn, double& mx) {
  const __m256d zero = _mm256_setzero_pd();
  const __m256d sign = _mm256_set1_pd(-0.0);
  __m256d smin = zero, smax = zero;
  int j = 0;
  for (; j + 4 <= d; j += 4) {
    const __m256d qv = _mm256_loadu_pd(q + j);
    const __m256d a = _mm256_sub_pd(qv, _mm256_loadu_pd(lo + j));
    const __m256d b = _mm256_sub_pd(_mm256_loadu_pd(hi + j), qv);
    // dmin = max(-a, -b, 0); dmax = max(|a|, |b|)
    const __m256d dmin = _mm256_max_pd(_mm256_max_pd(_mm256_xor_pd(a, sign), _mm256_xor_pd(b, sign)), zero);
    const __m256d dmax = _mm256_max_pd(_mm256_andnot_pd(sign, a), _mm256_andnot_pd(sign, b));
    smin = _mm256_add_pd(smin, _mm256_mul_pd(dmin, dmin));
    smax = _mm256_add_pd(smax, _mm256_mul_pd(dmax, dmax));
  }
  alignas(32) double vmin[4], vmax[4];
  _mm256_store_pd(vmin, smin);
  _mm256_store_pd(vmax, smax);
  double tmin = (vmin[0] + vmin[1]) + (vmin[2] + vmin[3]);
  double tmax = (vmax[0] + vmax[1]) + (vmax[2] + vmax[3]);
  for (; j < d; ++j) {
    double dmin, dmax;
    box_gaps(lo[j], hi[j], q[j], dmin, dmax);
    tmin += dmin * dmin;
    tmax += dmax * dmax;
  }
  mn = tmin;
  mx = tmax;
}

__attribute__((target("avx2"))) std::uint32_t leaf_mask_avx2(const double* q, const double* xt, int len, int first,
                                                             int count, int d, double r2) {
  std::uint32_t mask = 0;
  const __m256d r2v = _mm256_set1_pd(r2);
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    __m256d s = _mm256_setzero_pd();
    for (int j = 0; j < d; ++j) {
      const __m256d t = _mm256_sub_pd(_mm256_set1_pd(q[j]), _mm256_loadu_pd(xt + j * len + first + i));
      s = _mm256_add_pd(s, _mm256_mul_pd(t, t));
    }
    mask |= static_cast<std::uint32_t>(_mm256_movemask_pd(_mm256_cmp_pd(s, r2v, _CMP_LE_OQ))) << i;
  }
  for (; i < count; ++i) {
    double s = 0.0;
    for (int j = 0; j < d; ++j) {
      const double t = q[j] - xt[j * len + first + i];
      s += t * t;
    }
    if (s <= r2) mask |= 1u << i;
  }
  return mask;
}

const Simd kBest = [] {
  __builtin_cpu_init();  // may run before libgcc's own constructor
  if (__builtin_cpu_supports("avx512f")) return Simd::avx512;
  if (__builtin_cpu_supports("avx2")) return Simd::avx2;
  return Simd::scalar;
}();
#else
const Simd kBest = Simd::scalar;
#endif

std::atomic<int> g_level{static_cast<int>(kBest)};
std::atomic<bool> g_limbs{true};

inline Simd level() { return static_cast<Simd>(g_level.load(std::memory_order_relaxed)); }

}  // namespace

Simd simd_level() { return level(); }

void limit_simd(Simd max) { g_level.store(static_cast<int>(std::min(max, kBest))); }

bool limb_sums_allowed() { return g_limbs.load(std::memory_order_relaxed); }

void allow_limb_sums(bool on) { g_limbs.store(on); }

void limb_accumulate(const std::uint64_t* rows, int stride, std::uint32_t mask, bool subtract, std::uint64_t* acc,
                     int width) {
#ifdef COD_CLUSTER_AVX2
  if (level() == Simd::avx512) return limb_accumulate_avx512(rows, stride, mask, subtract, acc, width);
  if (level() == Simd::avx2) return limb_accumulate_avx2(rows, stride, mask, subtract, acc, width);
#endif
  limb_accumulate_scalar(rows, stride, mask, subtract, acc, width);
}

void box_range(const double* lo, const double* hi, const double* q, int d, double& mn, double& mx) {
#ifdef COD_CLUSTER_AVX2
  if (level() == Simd::avx512 && d <= 8) return box_range_avx512(lo, hi, q, d, mn, mx);
  if (level() != Simd::scalar) return box_range_avx2(lo, hi, q, d, mn, mx);
#endif
  box_range_ordered(lo, hi, q, d, mn, mx);
}

std::uint32_t leaf_mask(const double* q, const double* xt, int len, int first, int count, int d, double r2) {
#ifdef COD_CLUSTER_AVX2
  if (level() == Simd::avx512) return leaf_mask_avx512(q, xt, len, first, count, d, r2);
  if (level() == Simd::avx2) return leaf_mask_avx2(q, xt, len, first, count, d, r2);
#endif
  return leaf_mask_scalar(q, xt, len, first, count, d, r2);
}

std::uint32_t leaf_mask_f32(const double* q, const float* qf, const double* xt, const float* xtf, int len, int first,
                            int count, int d, double r2, float sure_in, float sure_out) {
#ifdef COD_CLUSTER_AVX2
  if (level() == Simd::avx512)
    return leaf_mask_f32_avx512(q, qf, xt, xtf, len, first, count, d, r2, sure_in, sure_out);
#endif
  (void)qf, (void)xtf, (void)sure_in, (void)sure_out;
  return leaf_mask(q, xt, len, first, count, d, r2);
}

bool f32_prefilter() { return level() == Simd::avx512; }

std::int64_t shell_split(const double* r, const std::int64_t* w, std::size_t len, double lo, double hi, double* cv,
                         std::int64_t* cw, std::size_t& n) {
#ifdef COD_CLUSTER_AVX2
  if (level() == Simd::avx512) return shell_split_avx512(r, w, len, lo, hi, cv, cw, n);
  if (level() == Simd::avx2) return shell_split_avx2(r, w, len, lo, hi, cv, cw, n);
#endif
  return shell_split_scalar(r, w, len, lo, hi, cv, cw, n);
}

void leaf_rdist(const double* q, const double* xt, int len, int d, double* out) {
#ifdef COD_CLUSTER_AVX2
  if (level() == Simd::avx512) return leaf_rdist_avx512(q, xt, len, d, out);
  if (level() == Simd::avx2) return leaf_rdist_avx2(q, xt, len, d, out);
#endif
  leaf_rdist_scalar(q, xt, len, d, out);
}


}  // namespace cod::cluster::detail
