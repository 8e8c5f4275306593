// The CSV tokenizer and number parsing under the readers (cod/csv.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cod/csv.hpp"
#include "cod/error.hpp"

namespace {

std::vector<std::vector<std::string>> tokenize(std::string text, std::vector<std::size_t>* lines = nullptr) {
  cod::csv::Tokenizer tok("mem.csv", text);
  std::vector<std::string_view> fields;
  std::vector<std::vector<std::string>> out;
  while (tok.next(fields)) {
    out.emplace_back(fields.begin(), fields.end());
    if (lines) lines->push_back(tok.line());
  }
  return out;
}

std::string tokenize_error(std::string text) {
  try {
    tokenize(std::move(text));
  } catch (const cod::InputError& e) {
    return e.what();
  }
  return "no error";
}

using Rows = std::vector<std::vector<std::string>>;

}  // namespace

TEST_CASE("csv: plain fields, empty fields, optional final line end") {
  CHECK(tokenize("a,b,c\n1,,3") == Rows{{"a", "b", "c"}, {"1", "", "3"}});
  CHECK(tokenize("a,b,\n,,\n") == Rows{{"a", "b", ""}, {"", "", ""}});
  CHECK(tokenize("") == Rows{});
  CHECK(tokenize("x") == Rows{{"x"}});
}

TEST_CASE("csv: RFC-4180 quoting keeps commas, doubled quotes and line breaks") {
  CHECK(tokenize("\"a,b\",\"say \"\"hi\"\"\",\"\"\n") == Rows{{"a,b", "say \"hi\"", ""}});
  std::vector<std::size_t> lines;
  const Rows rows = tokenize("h1,h2\n\"two\nlines\",x\n\"three\r\nphysical\nlines\",y\nlast,z\n", &lines);
  CHECK(rows == Rows{{"h1", "h2"}, {"two\nlines", "x"}, {"three\r\nphysical\nlines", "y"}, {"last", "z"}});
  // Each record reports the physical line where it starts.
  CHECK(lines == std::vector<std::size_t>{1, 2, 4, 7});
}

TEST_CASE("csv: CRLF, lone CR, BOM and blank lines") {
  std::vector<std::size_t> lines;
  CHECK(tokenize("\xEF\xBB\xBF" "a,b\r\n1,2\r\n\r\n3,4\r5,6", &lines) == Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}, {"5", "6"}});
  CHECK(lines == std::vector<std::size_t>{1, 2, 4, 5});
  // A BOM anywhere but the start is data.
  CHECK(tokenize("a\n\xEF\xBB\xBF" "b\n") == Rows{{"a"}, {"\xEF\xBB\xBF" "b"}});
}

TEST_CASE("csv: quoting errors name the line and the field") {
  CHECK(tokenize_error("a,b\n1,\"open\n2,3\n") ==
        "mem.csv:2: column 'field 2': unterminated quoted field: the quote opened on line 2 is never closed "
        "(expected a closing \")");
  CHECK(tokenize_error("a,b\n1,x\"y\n") ==
        "mem.csv:2: column 'field 2': stray quote inside an unquoted field (expected the whole field in quotes, "
        "with inner quotes doubled: \"a \"\"b\"\" c\")");
  CHECK(tokenize_error("\"a\" ,b\n") ==
        "mem.csv:1: column 'field 1': text after the closing quote of a quoted field (expected a comma or the end "
        "of the line; write \"\" for a quote inside a quoted field)");
}

TEST_CASE("csv: parse_number trims blanks, accepts '+', rejects NaN, Inf and junk") {
  using cod::csv::NumberStatus;
  using cod::csv::parse_number;
  double v = -1;
  CHECK(parse_number("0.25", v) == NumberStatus::ok);
  CHECK(v == 0.25);
  CHECK(parse_number(" \t1e-3 ", v) == NumberStatus::ok);
  CHECK(v == 1e-3);
  CHECK(parse_number("+7", v) == NumberStatus::ok);
  CHECK(v == 7);
  CHECK(parse_number("-2.5E2", v) == NumberStatus::ok);
  CHECK(v == -250);
  CHECK(parse_number("1e-320", v) == NumberStatus::ok);  // underflow to a subnormal is still a number
  CHECK(v > 0);
  CHECK(v < 1e-300);
  CHECK(parse_number("", v) == NumberStatus::empty);
  CHECK(parse_number("  ", v) == NumberStatus::empty);
  CHECK(parse_number("nan", v) == NumberStatus::not_finite);
  CHECK(parse_number("-inf", v) == NumberStatus::not_finite);
  CHECK(parse_number("Infinity", v) == NumberStatus::not_finite);
  CHECK(parse_number("1e400", v) == NumberStatus::not_finite);
  CHECK(parse_number("0.5x", v) == NumberStatus::not_a_number);
  CHECK(parse_number("0x10", v) == NumberStatus::not_a_number);
  CHECK(parse_number("1 000", v) == NumberStatus::not_a_number);
  CHECK(parse_number("++1", v) == NumberStatus::not_a_number);
  CHECK(parse_number("+-1", v) == NumberStatus::not_a_number);
  CHECK(parse_number("+", v) == NumberStatus::not_a_number);
}

TEST_CASE("csv: read_file reports a missing file and a directory") {
  const std::string missing = COD_TEST_DATA_DIR "/bad/no_such_file.csv";
  try {
    cod::csv::read_file(missing);
    FAIL("expected an InputError");
  } catch (const cod::InputError& e) {
    CHECK(std::string(e.what()) == missing + ": cannot open the file: No such file or directory");
    CHECK(e.line() == 0);
  }
  try {
    cod::csv::read_file(COD_TEST_DATA_DIR "/bad");
    FAIL("expected an InputError");
  } catch (const cod::InputError& e) {
    CHECK(std::string(e.what()) == COD_TEST_DATA_DIR "/bad: is a directory, expected a file");
  }
  const std::string padded = cod::csv::read_file(COD_TEST_DATA_DIR "/io/items_counts_only.csv", 8);
  CHECK(padded.size() == 8 + std::string("benchmark,item_id,model,n_samples,n_correct\ns,i1,m1,5,5\ns,i1,m2,5,0\n").size());
  CHECK(padded.substr(padded.size() - 8) == std::string(8, '\0'));
}
