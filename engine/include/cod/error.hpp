#pragma once
/// @file error.hpp
/// The engine's one exception type. The engine never prints and never exits:
/// it throws cod::Error, and the bindings turn it into a Lua error.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace cod {

/** An error the engine reports to its caller: bad arguments, bad input, impossible requests. */
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/**
 * A user's mistake rather than a bug: an unknown model or set name, an impossible
 * request about the user's data. Hosts show it as one line, without a traceback.
 */
class UserError : public Error {
public:
  using Error::Error;
};

/**
 * An error in an input file. The message reads `file:line: column 'c': what`
 * (line and column are omitted when unknown: line 0, empty column).
 */
class InputError : public UserError {
public:
  InputError(std::string file, std::size_t line, std::string column, const std::string& what);

  /** The file that holds the problem. */
  const std::string& file() const noexcept { return file_; }
  /** 1-based line number, 0 when the problem is not on one line. */
  std::size_t line() const noexcept { return line_; }
  /** Column name, empty when the problem is not in one column. */
  const std::string& column() const noexcept { return column_; }

private:
  std::string file_;
  std::size_t line_;
  std::string column_;
};

/**
 * A " (did you mean 'x'?)" suffix naming the candidate closest to `name`, or "" when none is
 * close: a case-insensitive match, else at most max(1, len/3) edits of the optimal string
 * alignment distance (insertions, deletions, substitutions, adjacent transpositions; on
 * lower-cased bytes). An exact match needs no suggestion (""). Names over 64 bytes are not
 * compared. Ties go to the earlier candidate.
 */
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace cod
