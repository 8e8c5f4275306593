#include <algorithm>
#include "cod/csv.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "cod/error.hpp"

namespace cod {
namespace csv {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Bytes that end an unquoted field or need a closer look.
struct SpecialTable {
  bool v[256] = {};
  constexpr SpecialTable() {
    v[static_cast<unsigned char>(',')] = true;
    v[static_cast<unsigned char>('\n')] = true;
    v[static_cast<unsigned char>('\r')] = true;
    v[static_cast<unsigned char>('"')] = true;
  }
};
constexpr SpecialTable kSpecial{};

}  // namespace

std::string read_file(const std::string& path, std::size_t padding) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, 0, "", "is a directory, expected a file");
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw InputError(path, 0, "", std::string("cannot open the file: ") + std::strerror(errno));
  std::string out;
  // Size from the file system when it knows it; read until EOF either way (pipes, growing files).
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) out.reserve(static_cast<std::size_t>(size) + padding);
  char chunk[1 << 16];
  if (!ec && size > 0) {
    out.resize(static_cast<std::size_t>(size));
    const std::size_t got = std::fread(out.data(), 1, out.size(), f.get());
    out.resize(got);
  }
  for (;;) {
    const std::size_t got = std::fread(chunk, 1, sizeof chunk, f.get());
    out.append(chunk, got);
    if (got < sizeof chunk) break;
  }
  if (std::ferror(f.get())) throw InputError(path, 0, "", std::string("cannot read the file: ") + std::strerror(errno));
  out.append(padding, '\0');
  return out;
}

// ------------------------------------------------------------------ Tokenizer

Tokenizer::Tokenizer(std::string file, std::string& text)
    : file_(std::move(file)), p_(text.data()), end_(text.data() + text.size()) {
  if (text.size() >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;
  // UTF-16 text is full of NUL bytes and would read as garbage: say what it is.
  if (text.size() >= 2 && ((static_cast<unsigned char>(text[0]) == 0xFF && static_cast<unsigned char>(text[1]) == 0xFE) ||
                           (static_cast<unsigned char>(text[0]) == 0xFE && static_cast<unsigned char>(text[1]) == 0xFF)))
    throw InputError(file_, 1, "", "the file is UTF-16 (it starts with a UTF-16 byte-order mark); expected UTF-8 text");
  // A NUL byte cannot be part of a name (it would cut it short downstream): reject it where it is.
  if (const void* nul = std::memchr(p_, '\0', static_cast<std::size_t>(end_ - p_))) {
    const char* at = static_cast<const char*>(nul);
    const std::size_t line = 1 + static_cast<std::size_t>(std::count(static_cast<const char*>(p_), at, '\n'));
    throw InputError(file_, line, "", "NUL byte in the text (a binary file, or UTF-16/32?); expected UTF-8 text");
  }
}

std::string Tokenizer::column_name(std::size_t index) const {
  if (index < names_.size() && !names_[index].empty()) return names_[index];
  return "field " + std::to_string(index + 1);
}

void Tokenizer::fail(std::size_t line, std::size_t field, const std::string& what) const {
  throw InputError(file_, line, column_name(field), what);
}

// Consume one line end at p_ (LF, CRLF or a lone CR) and count it.
void Tokenizer::end_line() {
  if (*p_ == '\r') {
    ++p_;
    if (p_ < end_ && *p_ == '\n') ++p_;
  } else {
    ++p_;
  }
  ++line_;
}

bool Tokenizer::next(std::vector<std::string_view>& fields) {
  fields.clear();
  while (p_ < end_ && (*p_ == '\n' || *p_ == '\r')) end_line();  // blank lines
  if (p_ == end_) return false;
  record_line_ = line_;
  for (;;) {
    if (p_ < end_ && *p_ == '"') {
      const std::size_t open_line = line_;
      ++p_;
      char* start = p_;
      char* out = p_;  // unescape in place: "" -> "
      for (;;) {
        if (p_ == end_)
          fail(open_line, fields.size(),
               "unterminated quoted field: the quote opened on line " + std::to_string(open_line) +
                   " is never closed (expected a closing \")");
        const char c = *p_;
        if (c == '"') {
          if (p_ + 1 < end_ && p_[1] == '"') {
            *out++ = '"';
            p_ += 2;
            continue;
          }
          ++p_;
          break;
        }
        // A line break inside quotes is data, but it still advances the physical line.
        if (c == '\n' || (c == '\r' && !(p_ + 1 < end_ && p_[1] == '\n'))) ++line_;
        *out++ = c;
        ++p_;
      }
      fields.emplace_back(start, static_cast<std::size_t>(out - start));
      if (p_ == end_) return true;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '\n' || *p_ == '\r') {
        end_line();
        return true;
      }
      fail(record_line_, fields.size() - 1,
           "text after the closing quote of a quoted field (expected a comma or the end of the line; "
           "write \"\" for a quote inside a quoted field)");
    }
    char* start = p_;
    while (p_ < end_ && !kSpecial.v[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ < end_ && *p_ == '"')
      fail(record_line_, fields.size(),
           "stray quote inside an unquoted field (expected the whole field in quotes, with inner quotes "
           "doubled: \"a \"\"b\"\" c\")");
    fields.emplace_back(start, static_cast<std::size_t>(p_ - start));
    if (p_ == end_) return true;
    if (*p_ == ',') {
      ++p_;
      continue;
    }
    end_line();
    return true;
  }
}

// ------------------------------------------------------------------ Table

Table::Table(const std::string& path, const std::string& expected) : text_(read_file(path)), tok_(path, text_) {
  if (!tok_.next(fields_))
    throw InputError(path, 0, "", "empty file: expected a header line (" + expected + ") and rows");
  header_.assign(fields_.begin(), fields_.end());
  header_line_ = tok_.line();
  tok_.set_names(header_);
}

int Table::column(std::string_view name) const {
  int found = -1;
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] != name) continue;
    if (found >= 0)
      throw InputError(file(), header_line_, std::string(name),
                       "the header names this column twice (fields " + std::to_string(found + 1) + " and " +
                           std::to_string(i + 1) + "); expected each column once");
    found = static_cast<int>(i);
  }
  return found;
}

int Table::require(std::string_view name) const {
  const int c = column(name);
  if (c < 0)
    throw InputError(file(), header_line_, std::string(name), "missing column; the header has: " + header_list());
  return c;
}

std::string Table::header_list() const {
  // Bounded: a header of a million names is named by its first 20 and its size.
  constexpr std::size_t kShown = 20;
  std::string s;
  for (std::size_t i = 0; i < header_.size() && i < kShown; ++i) {
    if (i) s += ", ";
    s += quote(header_[i], 80);
  }
  if (header_.size() > kShown) s += ", ... (" + std::to_string(header_.size()) + " columns in all)";
  return s;
}

bool Table::next() {
  if (!tok_.next(fields_)) return false;
  if (fields_.size() != header_.size())
    throw InputError(file(), line(), "",
                     "this row has " + std::to_string(fields_.size()) + " fields, expected " +
                         std::to_string(header_.size()) + " as in the header");
  return true;
}

void Table::fail(int c, const std::string& what) const {
  throw InputError(file(), line(), c < 0 ? std::string() : tok_.column_name(static_cast<std::size_t>(c)), what);
}

// ------------------------------------------------------------------ numbers

NumberStatus parse_number(std::string_view s, double& out) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  if (b == e) return NumberStatus::empty;
  if (s[b] == '+' && e - b > 1 && s[b + 1] != '-' && s[b + 1] != '+') ++b;
  const char* first = s.data() + b;
  const char* last = s.data() + e;
  const auto r = std::from_chars(first, last, out, std::chars_format::general);
  if (r.ptr != last) return NumberStatus::not_a_number;
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars leaves `out` untouched here; strtod tells overflow (inf) from underflow
    // (a tiny finite number, which is fine). This path is rare, so the copy does not matter.
    const std::string copy(first, last);
    const double v = std::strtod(copy.c_str(), nullptr);
    if (!std::isfinite(v)) return NumberStatus::not_finite;
    out = v;
    return NumberStatus::ok;
  }
  if (r.ec != std::errc()) return NumberStatus::not_a_number;
  if (!std::isfinite(out)) return NumberStatus::not_finite;
  return NumberStatus::ok;
}

std::string quote(std::string_view s, std::size_t max_len) {
  // A name from a file: cut on a UTF-8 boundary, and its size said when cut.
  std::string out = "'";
  if (s.size() > max_len) {
    std::size_t cut = max_len;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out.append(s.substr(0, cut));
    out += "'… (" + std::to_string(s.size()) + " bytes)";
    return out;
  }
  out.append(s);
  return out + "'";
}

}  // namespace csv
}  // namespace cod
