// What one lm-eval sample line says beyond its metric keys: log-likelihoods per choice, generated
// responses, the requests' continuations; and the per-item features and exact-match counts drawn
// from them (SPEC §14).

#include "lmeval_sample.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace cod {
namespace io_detail {

/** How a JSON value of type `t` is named in messages ("an array", "a string", ...). */
const char* json_type_word(simdjson::ondemand::json_type t) {
  switch (t) {
    case simdjson::ondemand::json_type::array: return "an array";
    case simdjson::ondemand::json_type::object: return "an object";
    case simdjson::ondemand::json_type::number: return "a number";
    case simdjson::ondemand::json_type::string: return "a string";
    case simdjson::ondemand::json_type::boolean: return "a bool";
    case simdjson::ondemand::json_type::null: return "null";
  }
  return "something else";
}

namespace {

namespace od = simdjson::ondemand;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check(simdjson::error_code e, const char* key) {
  if (e) throw SampleError(key, std::string("invalid JSON (") + simdjson::error_message(e) + ")");
}


std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// A whole string read as a number the way Python's str(float) writes one ("-18.875", "-inf").
bool parse_number(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  const auto res = std::from_chars(b, s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool parse_bool(std::string_view s, bool& out) {
  if (s == "True" || s == "true") return out = true, true;
  if (s == "False" || s == "false") return out = false, true;
  return false;
}

// One leaf of filtered_resps: a string, a number or a bool (older files were not stringified).
struct Leaf {
  od::json_type type = od::json_type::null;
  std::string_view text;
  double number = kNaN;
  bool flag = false;
};

Leaf read_leaf(od::value v) {
  Leaf leaf;
  check(v.type().get(leaf.type), "filtered_resps");
  switch (leaf.type) {
    case od::json_type::string: check(v.get_string().get(leaf.text), "filtered_resps"); break;
    case od::json_type::number: check(v.get_double().get(leaf.number), "filtered_resps"); break;
    case od::json_type::boolean: check(v.get_bool().get(leaf.flag), "filtered_resps"); break;
    default:
      throw SampleError("filtered_resps", std::string("expected strings (responses or [log-likelihood, is-greedy] "
                                                      "pairs), got ") + json_type_word(leaf.type) + " inside");
  }
  return leaf;
}

// Count of UTF-8 code points (Python's len of the decoded string).
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

void parse_filtered_resps(od::value v, SampleResponses& out) {
  od::json_type t;
  check(v.type().get(t), "filtered_resps");
  if (t != od::json_type::array)
    throw SampleError("filtered_resps", std::string("expected an array (one entry per request), got ") + json_type_word(t));
  od::array requests;
  check(v.get_array().get(requests), "filtered_resps");
  out.has_resps = true;
  std::size_t index = 0, pairs = 0, others = 0, first_other = 0;
  for (auto res : requests) {
    od::value e;
    check(std::move(res).get(e), "filtered_resps");
    ++index;
    od::json_type et;
    check(e.type().get(et), "filtered_resps");
    if (et != od::json_type::array) {
      if (et != od::json_type::string)
        throw SampleError("filtered_resps", fmt::format("request {}: expected a string response or a "
                                                        "[log-likelihood, is-greedy] pair, got {}", index, json_type_word(et)));
      const Leaf leaf = read_leaf(e);
      out.texts.push_back(leaf.text);
      if (++others == 1) first_other = index;
      continue;
    }
    od::array inner;
    check(e.get_array().get(inner), "filtered_resps");
    std::vector<Leaf> leaves;
    for (auto r : inner) {
      od::value lv;
      check(std::move(r).get(lv), "filtered_resps");
      leaves.push_back(read_leaf(lv));
    }
    // [log-likelihood, is-greedy]: a number (or its string) and a bool (or "True"/"False").
    double ll = kNaN;
    bool greedy = false;
    const bool is_pair = leaves.size() == 2 &&
                         (leaves[0].type == od::json_type::number ? (ll = leaves[0].number, true)
                                                                  : leaves[0].type == od::json_type::string &&
                                                                        parse_number(leaves[0].text, ll)) &&
                         (leaves[1].type == od::json_type::boolean ||
                          (leaves[1].type == od::json_type::string && parse_bool(leaves[1].text, greedy)));
    if (is_pair) {
      if (std::isnan(ll) || ll > 1e-9)
        throw SampleError("filtered_resps", fmt::format("request {}: log-likelihood {} is not a number <= 0", index,
                                                        leaves[0].type == od::json_type::string ? std::string(leaves[0].text)
                                                                                              : fmt::format("{}", ll)));
      out.loglik.push_back(std::min(ll, 0.0));
      ++pairs;
    }
    // The same leaves may be generated responses (repeats); the arguments decide (see finish below).
    for (const Leaf& leaf : leaves) {
      if (leaf.type == od::json_type::string) {
        out.texts.push_back(leaf.text);
      } else if (!is_pair) {
        throw SampleError("filtered_resps", fmt::format("request {}: expected string responses or a "
                                                        "[log-likelihood, is-greedy] pair, got {} inside",
                                                        index, json_type_word(leaf.type)));
      }
    }
    if (!is_pair && ++others == 1) first_other = index;
  }
  if (pairs > 0 && others > 0) out.mixed_at = first_other;  // an error unless the arguments say generation
  if (pairs == 0) out.loglik.clear();
}

void parse_arguments(od::value v, SampleResponses& out) {
  od::json_type t;
  check(v.type().get(t), "arguments");
  // Forks that keep the raw request tuples write a list; only the 0.4.x dict form is read.
  if (t != od::json_type::object) return;
  od::object requests;
  check(v.get_object().get(requests), "arguments");
  for (auto res : requests) {
    od::field req;
    check(std::move(res).get(req), "arguments");
    od::json_type rt;
    check(req.value().type().get(rt), "arguments");
    if (rt != od::json_type::object) continue;
    od::object args;
    check(req.value().get_object().get(args), "arguments");
    std::string_view continuation;
    bool has_continuation = false;
    for (auto ares : args) {
      od::field arg;
      check(std::move(ares).get(arg), "arguments");
      std::string_view key;
      check(arg.unescaped_key().get(key), "arguments");
      if (key != "arg_1") continue;
      od::json_type at;
      check(arg.value().type().get(at), "arguments");
      if (at == od::json_type::string) {
        check(arg.value().get_string().get(continuation), "arguments");
        has_continuation = true;
      } else if (at == od::json_type::object) {
        out.generation = true;  // generate-until: arg_1 holds the generation kwargs
      }
    }
    if (has_continuation) out.continuations.push_back(continuation);
  }
}

void finish(SampleResponses& r) {
  if (r.generation) {
    r.loglik.clear();
    r.mixed_at = 0;
    return;
  }
  if (r.mixed_at)
    throw SampleError("filtered_resps", fmt::format("request {}: expected a [log-likelihood, is-greedy] pair such as "
                                                    "[\"-2.5\", \"False\"], as the line's other requests have",
                                                    r.mixed_at));
  if (!r.loglik.empty()) r.texts.clear();
}

LmFeatures loglik_features(const SampleResponses& r, std::string_view target) {
  LmFeatures f;
  f.fill(kNaN);
  const std::size_t n = r.loglik.size();
  if (n == 0) return f;
  const bool have_cont = r.continuations.size() == n;
  std::size_t gold = n;
  if (n == 1) {
    gold = 0;  // loglikelihood output type: the one request is the target continuation
  } else {
    long long idx = -1;
    const std::string_view t = trim(target);
    const auto res = std::from_chars(t.data(), t.data() + t.size(), idx);
    if (!t.empty() && res.ec == std::errc() && res.ptr == t.data() + t.size()) {
      if (idx < 0 || static_cast<std::size_t>(idx) >= n)
        throw SampleError("target", fmt::format("{} is not a choice index (the line has {} choices, 0 to {})", idx, n,
                                                n - 1));
      gold = static_cast<std::size_t>(idx);
    } else if (have_cont) {
      for (std::size_t k = 0; k < n && gold == n; ++k)
        if (trim(r.continuations[k]) == t) gold = k;
    }
    if (gold == n)
      throw SampleError("target", "'" + std::string(target.substr(0, 80)) +
                                      "' is neither a choice index nor one of the choices' continuations");
  }
  const double lg = r.loglik[gold];
  f[2] = std::exp(lg);
  if (have_cont) f[3] = std::exp(lg / static_cast<double>(std::max<std::size_t>(1, code_points(trim(r.continuations[gold])))));
  if (n >= 2) {
    // Softmax at the gold index, shifted by the maximum for stability.
    auto softmax_at = [&](auto&& value) {
      double top = -std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < n; ++k) top = std::max(top, value(k));
      if (!std::isfinite(top)) return kNaN;
      double sum = 0;
      for (std::size_t k = 0; k < n; ++k) sum += std::exp(value(k) - top);
      return std::exp(value(gold) - top) / sum;
    };
    f[0] = softmax_at([&](std::size_t k) { return r.loglik[k]; });
    if (have_cont)
      f[1] = softmax_at([&](std::size_t k) {
        return r.loglik[k] / static_cast<double>(std::max<std::size_t>(1, code_points(trim(r.continuations[k]))));
      });
  }
  return f;
}

std::string normalise(std::string_view s, const MatchOptions& opts) {
  if (opts.strip) s = trim(s);
  std::string out;
  out.reserve(s.size());
  static const char* const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  for (char c : s) {
    if (opts.ignore_punctuation && c != '\0' && std::strchr(punctuation, c)) continue;
    if (opts.ignore_case && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  return out;
}

std::size_t matching_responses(const SampleResponses& r, std::string_view target, const MatchOptions& opts) {
  const std::string gold = normalise(target, opts);
  std::size_t k = 0;
  for (std::string_view t : r.texts) k += normalise(t, opts) == gold;
  return k;
}

}  // namespace io_detail
}  // namespace cod
