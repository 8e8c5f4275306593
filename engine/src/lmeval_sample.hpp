#pragma once
// Private to io_lmeval.cpp: what one lm-eval 0.4.x sample line says beyond its metric keys.
// lm-eval writes `resps` and `filtered_resps` with every leaf turned into a string
// (`[["-18.875", "False"], ...]`), `target` as a string (older files: an int), and `arguments`
// as {"gen_args_0": {"arg_0": context, "arg_1": continuation or generation kwargs}, ...}.
// Older files may hold plain numbers and bools; both spellings are accepted.

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "cod/io.hpp"

namespace cod {
namespace io_detail {

/** A malformed value in a sample line: the reader adds the file and line. */
struct SampleError : std::runtime_error {
  SampleError(std::string k, const std::string& what) : std::runtime_error(what), key(std::move(k)) {}
  std::string key;
};

/** The responses and requests of one sample line, as parsed (views into the parser's buffers). */
struct SampleResponses {
  bool has_resps = false;           ///< the line has "filtered_resps"
  std::vector<double> loglik;       ///< one per request: log-likelihood requests (multiple choice, loglikelihood)
  std::vector<std::string_view> texts;  ///< generated responses (generate-until; several with repeats)
  std::vector<std::string_view> continuations;  ///< per request: arguments' arg_1 when it is a string
  bool generation = false;          ///< some request's arg_1 is an object (generation kwargs)
  std::size_t mixed_at = 0;         ///< pairs and other responses mixed (an error unless generation)
};

/** How a JSON value of type `t` is named in messages ("an array", "a string", ...). */
const char* json_type_word(simdjson::ondemand::json_type t);

/** Parse the value of "filtered_resps" into `out` (throws SampleError). */
void parse_filtered_resps(simdjson::ondemand::value v, SampleResponses& out);
/** Parse the value of "arguments" into `out` (throws SampleError). */
void parse_arguments(simdjson::ondemand::value v, SampleResponses& out);

/**
 * Settle what the line is once all its keys are read: with generation arguments every string leaf
 * is a response (even one that looks like a pair); otherwise pairs and other responses must not mix.
 */
void finish(SampleResponses& r);

/** The log-likelihood features of kLmEvalFeatures; NaN where not defined (e.g. one choice, no arguments). */
using LmFeatures = std::array<double, kLmEvalFeatureCount>;

/**
 * Features of a log-likelihood line. The gold request is `target` read as a 0-based index, else the
 * request whose continuation equals the target (leading whitespace ignored), else the only request.
 * Throws SampleError when the target names no request.
 */
LmFeatures loglik_features(const SampleResponses& r, std::string_view target);

/** `s` normalised as `opts` says (strip, case, punctuation). */
std::string normalise(std::string_view s, const MatchOptions& opts);

/** How many of the generated responses equal the target once both are normalised. */
std::size_t matching_responses(const SampleResponses& r, std::string_view target, const MatchOptions& opts);

}  // namespace io_detail
}  // namespace cod
