#include "cod/error.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>
#include <vector>

namespace cod {
namespace {
std::string format_input_error(const std::string& file, std::size_t line, const std::string& column,
                               const std::string& what) {
  std::string msg = file;
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": ";
  if (!column.empty()) msg += "column '" + column + "': ";
  return msg + what;
}
}  // namespace

InputError::InputError(std::string file, std::size_t line, std::string column, const std::string& what)
    : UserError(format_input_error(file, line, column, what)),
      file_(std::move(file)),
      line_(line),
      column_(std::move(column)) {}

namespace {
std::string lower(const std::string& s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring).
std::size_t osa_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t v = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[n][m];
}
}  // namespace

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  constexpr std::size_t kMaxLen = 64;
  const std::string lname = lower(name);
  const std::string* best = nullptr;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::string lc = lower(c);
    std::size_t d;
    if (lc == lname)
      d = 0;
    else if (lname.size() > kMaxLen || lc.size() > kMaxLen)
      continue;
    else
      d = osa_distance(lname, lc);
    if (d < best_d) best = &c, best_d = d;
  }
  if (best == nullptr || *best == name || best_d > std::max<std::size_t>(1, name.size() / 3)) return "";
  return " (did you mean '" + *best + "'?)";
}

}  // namespace cod
