#pragma once
/// @file csv.hpp
/// A fast RFC-4180 CSV reader over a whole file held in memory, with the
/// error conventions of cod::InputError (file, physical line, column name).
///
/// Accepted: `""` inside quoted fields, quoted commas and line breaks, LF or
/// CRLF (or lone CR) line ends, a UTF-8 byte-order mark before the header, an
/// optional final line end. Blank lines are skipped. Rejected with an
/// InputError: an unterminated quoted field, a quote inside an unquoted field,
/// text after a closing quote, a row whose field count differs from the header.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cod {
namespace csv {

/**
 * The whole contents of `path`, followed by `padding` zero bytes that are part of
 * the returned string (the caller subtracts them; SIMD parsers need them).
 * Throws cod::InputError(path, 0, "", "cannot open ...") when the file cannot be read.
 */
std::string read_file(const std::string& path, std::size_t padding = 0);

/**
 * Splits CSV text into records. Fields are views into the text, which is modified
 * in place (a quoted field is unescaped where it lies), so the text must outlive them.
 */
class Tokenizer {
public:
  /** `file` names the source in error messages; `text` is tokenized in place. A leading BOM is skipped. */
  Tokenizer(std::string file, std::string& text);

  /**
   * The next non-blank record into `fields` (cleared first); false at the end of the text.
   * Throws cod::InputError on a quoting error.
   */
  bool next(std::vector<std::string_view>& fields);

  /** Physical 1-based line on which the last record returned starts. */
  std::size_t line() const { return record_line_; }
  /** The file name used in error messages. */
  const std::string& file() const { return file_; }
  /** Column names used in error messages (field i → names[i]); empty names give "field N". */
  void set_names(std::vector<std::string> names) { names_ = std::move(names); }
  /** The name error messages use for field `index` (0-based). */
  std::string column_name(std::size_t index) const;

private:
  [[noreturn]] void fail(std::size_t line, std::size_t field, const std::string& what) const;
  void end_line();

  std::string file_;
  char* p_;
  char* end_;
  std::size_t line_ = 1;         // physical line of p_
  std::size_t record_line_ = 0;  // physical line where the last record starts
  std::vector<std::string> names_;
};

/**
 * A CSV file with a header row: columns are found by name, each row is checked to have
 * as many fields as the header, and errors name the file, the row's line and the column.
 */
class Table {
public:
  /**
   * Read `path` and its header. Throws cod::InputError when the file cannot be read or is
   * empty; `expected` (e.g. "benchmark,item_id,model,passrate") is quoted in that message.
   */
  Table(const std::string& path, const std::string& expected);
  Table(const Table&) = delete;             // the tokenizer points into text_
  Table& operator=(const Table&) = delete;

  /** Physical line of the header (1 unless blank lines precede it). */
  std::size_t header_line() const { return header_line_; }
  /** Header names, in file order. */
  const std::vector<std::string>& header() const { return header_; }
  /** Index of the column called `name`, or -1. Throws cod::InputError if the name occurs twice. */
  int column(std::string_view name) const;
  /** Index of the column called `name`; throws cod::InputError listing the header when it is absent. */
  int require(std::string_view name) const;
  /** Header names quoted and comma-separated, for messages. */
  std::string header_list() const;

  /** Advance to the next row; false at the end. Throws on quoting errors and wrong field counts. */
  bool next();
  /** Field `c` of the current row (raw text, not trimmed). */
  std::string_view field(int c) const { return fields_[static_cast<std::size_t>(c)]; }
  /** Physical line where the current row starts. */
  std::size_t line() const { return tok_.line(); }
  /** The file path. */
  const std::string& file() const { return tok_.file(); }
  /** Throw cod::InputError for the current row and column `c` (-1: no column). */
  [[noreturn]] void fail(int c, const std::string& what) const;

private:
  std::string text_;
  Tokenizer tok_;
  std::vector<std::string> header_;
  std::size_t header_line_ = 1;
  std::vector<std::string_view> fields_;
};

/** Outcome of parse_number. */
enum class NumberStatus { ok, empty, not_a_number, not_finite };

/**
 * Parse a decimal number (std::from_chars, general format). Decision: surrounding spaces and
 * tabs are trimmed (a number with spaces around it has one obvious meaning; names are never
 * trimmed, since that could merge or split models); a leading '+' is accepted. NaN and
 * infinities (and overflow) are `not_finite`; anything else that is not wholly a number is
 * `not_a_number`; only blanks is `empty`.
 */
NumberStatus parse_number(std::string_view s, double& out);

/** `s` in single quotes; longer than `max_len` bytes: cut (on a UTF-8 boundary) with "… (N bytes)". */
std::string quote(std::string_view s, std::size_t max_len = 120);

}  // namespace csv
}  // namespace cod
