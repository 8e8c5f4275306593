#include "cod/error.hpp"

#include <utility>

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

}  // namespace cod
