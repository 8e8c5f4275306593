// Weighted distinct points, exact fixed-point sums and small shared helpers of
// the cluster module.

#include <climits>
#include <cstdio>
#include <limits>

#include "cluster_points.hpp"
#include "cod/threads.hpp"

namespace cod::cluster {

std::vector<std::size_t> zero_rows(const Matrix& X) {
  std::vector<std::size_t> out;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    bool zero = true;
    for (Eigen::Index j = 0; j < X.cols() && zero; ++j) zero = X(i, j) == 0.0;
    if (zero) out.push_back(static_cast<std::size_t>(i));
  }
  return out;
}

std::size_t distinct_rows(const Matrix& X) {
  detail::RowMap seen(static_cast<int>(X.cols()), static_cast<std::size_t>(X.rows()));
  for (Eigen::Index i = 0; i < X.rows(); ++i) seen.insert(X.row(i).data());
  return seen.size();
}

namespace detail {

std::string prefix(const char* fname) { return std::string("cluster.") + fname + ": "; }

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

void check_matrix(const Matrix& X, const char* fname) {
  if (X.rows() == 0) throw Error(prefix(fname) + "X has no rows");
  if (X.cols() == 0) throw Error(prefix(fname) + "X has " + std::to_string(X.rows()) + " rows but no columns");
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      if (!std::isfinite(X(i, j))) {
        const char* what = std::isnan(X(i, j)) ? "NaN" : (X(i, j) > 0 ? "inf" : "-inf");
        throw Error(prefix(fname) + "X has a non-finite value (" + what + ") at row " + std::to_string(i + 1) +
                    ", column " + std::to_string(j + 1));
      }
}

int thread_count(int requested, std::size_t tasks) { return resolve_threads(requested, tasks); }

// ------------------------------------------------------------------ RowMap

RowMap::RowMap(int d, std::size_t expected) : d_(d) {
  std::size_t cap = 16;
  while (cap < 2 * expected) cap <<= 1;
  slots_.assign(cap, -1);
  keys_.reserve(expected * static_cast<std::size_t>(d));
}

std::uint64_t RowMap::hash(const double* key) const {
  std::uint64_t h = 0x9E3779B97F4A7C15ull;
  for (int j = 0; j < d_; ++j) {
    const double v = key[j] + 0.0;  // -0.0 + 0.0 == +0.0: equal keys hash alike
    std::uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    h ^= b + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  return h;
}

bool RowMap::equal(const double* a, const double* b) const {
  for (int j = 0; j < d_; ++j)
    if (!(a[j] == b[j])) return false;
  return true;
}

int RowMap::find(const double* key) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = hash(key) & mask;; s = (s + 1) & mask) {
    const int i = slots_[s];
    if (i < 0) return -1;
    if (equal(this->key(i), key)) return i;
  }
}

void RowMap::grow() {
  std::vector<int> old(slots_.size() * 2, -1);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = 0; i < count_; ++i) {
    std::size_t s = hash(key(static_cast<int>(i))) & mask;
    while (slots_[s] >= 0) s = (s + 1) & mask;
    slots_[s] = static_cast<int>(i);
  }
}

std::pair<int, bool> RowMap::insert(const double* key) {
  if (2 * (count_ + 1) > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t s = hash(key) & mask;
  for (;; s = (s + 1) & mask) {
    const int i = slots_[s];
    if (i < 0) break;
    if (equal(this->key(i), key)) return {i, false};
  }
  if (count_ >= static_cast<std::size_t>(INT_MAX)) throw Error("cluster: too many distinct vectors");
  const int idx = static_cast<int>(count_++);
  keys_.insert(keys_.end(), key, key + d_);
  slots_[s] = idx;
  return {idx, true};
}

// ------------------------------------------------------------------ Points

void split_zero(const Matrix& X, bool drop_zero, std::vector<std::size_t>& keep, std::vector<std::size_t>& zero) {
  keep.clear();
  zero.clear();
  if (drop_zero) zero = cluster::zero_rows(X);
  keep.reserve(static_cast<std::size_t>(X.rows()) - zero.size());
  std::size_t z = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(X.rows()); ++i) {
    if (z < zero.size() && zero[z] == i) {
      ++z;
      continue;
    }
    keep.push_back(i);
  }
}

Points make_points(const Matrix& X, const std::vector<std::size_t>& rows, bool collapse) {
  Points P;
  P.d = static_cast<int>(X.cols());
  P.of_row.assign(static_cast<std::size_t>(X.rows()), -1);
  const std::size_t d = static_cast<std::size_t>(P.d);
  if (!collapse) {
    P.x.resize(rows.size() * d);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      for (std::size_t j = 0; j < d; ++j) P.x[k * d + j] = X(static_cast<Eigen::Index>(rows[k]), static_cast<Eigen::Index>(j));
      P.of_row[rows[k]] = static_cast<int>(k);
    }
    P.w.assign(rows.size(), 1);
    P.first_row = rows;
    P.last_row = rows;
    P.total = static_cast<std::int64_t>(rows.size());
    return P;
  }
  RowMap map(P.d, rows.size());
  std::vector<double> buf(d);
  for (std::size_t r : rows) {
    for (std::size_t j = 0; j < d; ++j) buf[j] = X(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j));
    auto [idx, inserted] = map.insert(buf.data());
    const std::size_t i = static_cast<std::size_t>(idx);
    if (inserted) {
      P.w.push_back(0);
      P.first_row.push_back(r);
      P.last_row.push_back(r);
    }
    P.w[i] += 1;
    P.last_row[i] = r;
    P.of_row[r] = idx;
  }
  P.x.assign(map.key(0), map.key(0) + map.size() * d);
  P.total = static_cast<std::int64_t>(rows.size());
  return P;
}

Points subset(const Points& P, const std::vector<std::size_t>& keep) {
  Points S;
  S.d = P.d;
  const std::size_t d = static_cast<std::size_t>(P.d);
  std::vector<int> new_index(P.size(), -1);
  for (std::size_t k = 0; k < keep.size(); ++k) {
    const std::size_t i = keep[k];
    new_index[i] = static_cast<int>(k);
    S.x.insert(S.x.end(), P.row(i), P.row(i) + d);
    S.w.push_back(P.w[i]);
    S.first_row.push_back(P.first_row[i]);
    S.last_row.push_back(P.last_row[i]);
    S.total += P.w[i];
  }
  S.of_row.assign(P.of_row.size(), -1);
  for (std::size_t r = 0; r < P.of_row.size(); ++r)
    if (P.of_row[r] >= 0) S.of_row[r] = new_index[static_cast<std::size_t>(P.of_row[r])];
  return S;
}

Labels expand_labels(const Points& P, const std::vector<int>& label, std::size_t n_rows) {
  Labels out(n_rows, -1);
  for (std::size_t r = 0; r < n_rows && r < P.of_row.size(); ++r)
    if (P.of_row[r] >= 0) out[r] = label[static_cast<std::size_t>(P.of_row[r])];
  return out;
}

// ------------------------------------------------------------------ FixedScale

namespace {
// v = mant · 2^exp with mant odd (or v == 0: mant 0).
void decompose(double v, std::uint64_t& mant, int& exp) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int e = static_cast<int>((bits >> 52) & 0x7FF);
  mant = bits & ((1ull << 52) - 1);
  if (e == 0) {
    exp = -1074;
  } else {
    mant |= 1ull << 52;
    exp = e - 1075;
  }
  if (mant == 0) return;
  const int tz = __builtin_ctzll(mant);
  mant >>= tz;
  exp += tz;
}
}  // namespace

FixedScale::FixedScale(const Points& P) {
  const int d = P.d;
  shift.assign(static_cast<std::size_t>(d), 0);
  // Bits needed by the total weight: sums of |values| < total · 2^top.
  int wbits = 1;
  while (wbits < 62 && (std::int64_t{1} << wbits) <= P.total) ++wbits;
  for (int j = 0; j < d; ++j) {
    int low = INT_MAX;   // lowest set bit over the column
    int top = INT_MIN;   // |v| < 2^top
    for (std::size_t i = 0; i < P.size(); ++i) {
      const double v = P.row(i)[j];
      if (v == 0.0) continue;
      std::uint64_t m;
      int e;
      decompose(v, m, e);
      low = std::min(low, e);
      top = std::max(top, e + 64 - __builtin_clzll(m));
    }
    if (top == INT_MIN) {  // all zero
      shift[static_cast<std::size_t>(j)] = 0;
      continue;
    }
    // Exact when every value is an integer multiple of 2^-s and the sums fit in 126 bits.
    const int s_exact = -low;
    const int s_fit = 126 - top - wbits;
    if (s_exact <= s_fit) {
      shift[static_cast<std::size_t>(j)] = s_exact;
    } else {
      shift[static_cast<std::size_t>(j)] = s_fit;
      exact = false;
    }
  }
}

i128 FixedScale::to_fixed(double v, int j) const {
  if (v == 0.0) return 0;
  std::uint64_t m;
  int e;
  decompose(std::fabs(v), m, e);
  const int s = e + shift[static_cast<std::size_t>(j)];
  i128 r;
  if (s >= 0) {
    r = static_cast<i128>(m) << s;
  } else if (s <= -64) {
    r = 0;  // far below the resolution (only when not exact)
  } else {
    // Round half up at the resolution (only when not exact): deterministic.
    const std::uint64_t half = 1ull << (-s - 1);
    r = static_cast<i128>((m >> (-s)) + ((m & ((half << 1) - 1)) >= half ? 1 : 0));
  }
  return v < 0 ? -r : r;
}

double FixedScale::to_double(i128 s, int j) const {
  return std::ldexp(static_cast<double>(s), -shift[static_cast<std::size_t>(j)]);
}

void member_means(const Points& P, const std::vector<int>& label, int k, Matrix& means,
                  std::vector<std::int64_t>& sizes) {
  const FixedScale fx(P);
  const int d = P.d;
  std::vector<i128> sum(static_cast<std::size_t>(k) * d, 0);
  sizes.assign(static_cast<std::size_t>(k), 0);
  for (std::size_t i = 0; i < P.size(); ++i) {
    const int c = label[i];
    if (c < 0) continue;
    sizes[static_cast<std::size_t>(c)] += P.w[i];
    for (int j = 0; j < d; ++j)
      sum[static_cast<std::size_t>(c) * d + j] += fx.to_fixed(P.row(i)[j], j) * P.w[i];
  }
  means.resize(k, d);
  for (int c = 0; c < k; ++c) {
    if (sizes[static_cast<std::size_t>(c)] == 0) {
      means.row(c).setConstant(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    fixed_mean(fx, sum.data() + static_cast<std::size_t>(c) * d, sizes[static_cast<std::size_t>(c)], d,
               means.row(c).data());
  }
}

}  // namespace detail
}  // namespace cod::cluster
