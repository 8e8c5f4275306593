// The lm-evaluation-harness --log_samples reader: the hand-written fixture in tests/data/lmeval/
// (realistic arc_easy and gsm8k lines) and one bad folder per error in tests/data/bad/lmeval_*.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cod/dataset.hpp"
#include "cod/error.hpp"
#include "cod/io.hpp"
#include "test_util.hpp"

using test_util::input_error;

namespace {

const std::string kDir = COD_TEST_DATA_DIR "/lmeval/";
const std::string kOut = kDir + "output";
const std::string kBad = COD_TEST_DATA_DIR "/bad/";
const std::string kFile = "/EleutherAI__pythia-70m/samples_toy_task_2024-05-01T12-00-00.123456.jsonl";

cod::DatasetFiles lmeval(const std::string& dir, const std::string& metric, const std::string& filter,
                         std::vector<std::string> tasks = {}) {
  cod::DatasetFiles f;
  f.models = kDir + "models.csv";
  f.lmeval_dir = dir;
  f.lmeval.metric = metric;
  f.lmeval.filter = filter;
  f.lmeval.tasks = std::move(tasks);
  return f;
}

std::string bad_error(const std::string& name, const std::string& metric = "acc") {
  return input_error([&] { cod::read_dataset(lmeval(kBad + name, metric, "none")); });
}

}  // namespace

TEST_CASE("lm-eval: arc_easy, acc, filter none; item order and model order; bool and integer metrics") {
  const cod::Dataset ds = cod::read_dataset(lmeval(kOut, "acc", "none", {"arc_easy"}));
  REQUIRE(ds.models.size() == 3);
  REQUIRE(ds.sets.size() == 1);
  const cod::EvalSet& s = ds.sets[0];
  CHECK(s.name == "arc_easy");
  // Folders are read by name (160m, 410m, 70m); items in order of first appearance (160m's file),
  // models in models-CSV order (70m, 160m, 410m).
  CHECK(s.items == std::vector<std::string>{"0", "1", "2", "3"});
  CHECK(s.models == std::vector<std::size_t>{0, 1, 2});
  REQUIRE(s.pass.rows() == 4);
  REQUIRE(s.pass.cols() == 3);
  const double expected[4][3] = {{1, 1, 1}, {1, 0, 1}, {0, 1, 1}, {0, 0, 1}};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      CAPTURE(i);
      CAPTURE(j);
      CHECK(s.pass(i, j) == expected[i][j]);
    }
  REQUIRE(s.has_trials());
  CHECK(s.n_samples.minCoeff() == 1);
  CHECK(s.n_samples.maxCoeff() == 1);
  CHECK(s.scores.empty());
  CHECK(ds.ignored_columns.empty());
  ds.validate();

  // acc_norm is another key of the same lines.
  const cod::Dataset norm = cod::read_dataset(lmeval(kOut, "acc_norm", "none", {"arc_easy"}));
  CHECK(norm.sets[0].pass(1, 1) == 1.0);  // 160m, doc 1: acc 0 but acc_norm 1
  CHECK(norm.sets[0].pass(2, 1) == 0.0);
}

TEST_CASE("lm-eval: gsm8k, exact_match; repeats average into a pass rate with trial counts; filters") {
  const cod::Dataset ds = cod::read_dataset(lmeval(kOut, "exact_match", "strict-match", {"gsm8k"}));
  REQUIRE(ds.sets.size() == 1);
  const cod::EvalSet& s = ds.sets[0];
  CHECK(s.name == "gsm8k");
  CHECK(s.items == std::vector<std::string>{"0", "1", "2"});
  CHECK(s.models == std::vector<std::size_t>{0, 1});  // 410m has no gsm8k samples: not in the set
  // 70m: one file. 160m: two files (two seeds), each doc seen twice.
  CHECK(s.pass(0, 0) == 0.0);
  CHECK(s.pass(1, 0) == 1.0);
  CHECK(s.pass(2, 0) == 0.0);
  CHECK(s.pass(0, 1) == 0.5);
  CHECK(s.pass(1, 1) == 0.5);
  CHECK(s.pass(2, 1) == 0.5);
  REQUIRE(s.has_trials());
  CHECK(s.n_samples(0, 0) == 1);
  CHECK(s.n_samples(2, 0) == 1);
  CHECK(s.n_samples(0, 1) == 2);
  CHECK(s.n_samples(2, 1) == 2);
  ds.validate();

  const cod::Dataset flex = cod::read_dataset(lmeval(kOut, "exact_match", "flexible-extract", {"gsm8k"}));
  CHECK(flex.sets[0].pass(1, 1) == 1.0);  // seed 2 answered "3" without "####": only the flexible filter counts it
  CHECK(flex.sets[0].pass(0, 1) == 0.5);
}

TEST_CASE("lm-eval: lines without a filter key, file names without a date, tasks with underscores, string doc_ids") {
  const cod::Dataset ds = cod::read_dataset(lmeval(kDir + "variants", "acc", "none"));
  REQUIRE(ds.sets.size() == 3);
  // samples_arithmetic_2da.jsonl and samples_arithmetic_2da_<date>.jsonl: one task ("2da" is not a
  // date), two runs of its one document.
  CHECK(ds.sets[0].name == "arithmetic_2da");
  CHECK(ds.sets[0].items == std::vector<std::string>{"0"});
  CHECK(ds.sets[0].pass(0, 0) == 0.5);
  CHECK(ds.sets[0].n_samples(0, 0) == 2);
  CHECK(ds.sets[1].name == "blimp_anaphor_2x");
  CHECK(ds.sets[1].items == std::vector<std::string>{"a-0", "a-1"});
  CHECK(ds.sets[2].name == "lambada_openai");
  CHECK(ds.sets[2].items == std::vector<std::string>{"0", "1", "2"});
  CHECK(ds.sets[2].models == std::vector<std::size_t>{0});
  CHECK(ds.sets[2].pass(0, 0) == 1.0);
  CHECK(ds.sets[2].pass(1, 0) == 0.0);
  CHECK(ds.sets[2].pass(2, 0) == 1.0);
  // A metric outside [0, 1] is refused even when the harness logs it per sample.
  CHECK(input_error([] { cod::read_dataset(lmeval(kDir + "variants", "perplexity", "none")); }) ==
        kDir + "variants/EleutherAI__pythia-70m/samples_arithmetic_2da.jsonl:1: column 'perplexity': value -2.75 is "
               "outside [0, 1]");
}

TEST_CASE("lm-eval: merged with an items CSV and a scores CSV") {
  cod::DatasetFiles f = lmeval(kOut, "acc", "none", {"arc_easy"});
  f.items = kDir + "items.csv";
  f.scores = kDir + "scores.csv";
  const cod::Dataset ds = cod::read_dataset(f);
  REQUIRE(ds.sets.size() == 2);
  CHECK(ds.sets[0].name == "toy");  // the items CSV is read first
  CHECK(ds.sets[0].models == std::vector<std::size_t>{1, 2});
  CHECK_FALSE(ds.sets[0].has_trials());
  CHECK(ds.sets[1].name == "arc_easy");
  CHECK(ds.sets[1].has_trials());
  REQUIRE(ds.sets[1].scores.size() == 3);
  CHECK(ds.sets[1].scores[2] == 0.5);
  ds.validate();
}

TEST_CASE("lm-eval: naming errors") {
  CHECK(input_error([] { cod::read_dataset(lmeval(kOut, "acc", "none", {"arc_easy", "hellaswag"})); }) ==
        kOut + ": task 'hellaswag' not found (tasks present: 'arc_easy', 'gsm8k')");
  CHECK(input_error([] { cod::read_dataset(lmeval(kOut, "acc", "none")); }) ==
        kOut + "/EleutherAI__pythia-160m/samples_gsm8k_2024-05-01T12-00-00.123456.jsonl: column 'filter': no line has "
               "filter 'none' (filters present: 'flexible-extract', 'strict-match'; expected one of them as the filter "
               "option)");
  CHECK(input_error([] { cod::read_dataset(lmeval(kOut, "acc", "strict-match", {"gsm8k"})); }) ==
        kOut + "/EleutherAI__pythia-160m/samples_gsm8k_2024-05-01T12-00-00.123456.jsonl:1: column 'acc': missing metric "
               "key; the metrics present are: 'exact_match'");
  CHECK(input_error([] { cod::read_dataset(lmeval(kBad + "no_such_dir", "acc", "none")); }) ==
        kBad + "no_such_dir: no such directory (expected an lm-eval --log_samples output folder)");
  CHECK(bad_error("lmeval_no_samples") ==
        kBad + "lmeval_no_samples: no samples_<task>_<date>.jsonl files in its model folders (expected lm-eval output "
               "written with --log_samples: <dir>/<model>/samples_<task>_<date>.jsonl)");
  CHECK(input_error([] { cod::read_dataset(lmeval(kOut + "/EleutherAI__pythia-70m", "acc", "none")); }) ==
        kOut + "/EleutherAI__pythia-70m: this folder holds samples files itself, not in model folders (expected "
               "<dir>/<model>/samples_<task>_<date>.jsonl, the model named by its folder: pass the parent folder)");
  CHECK(bad_error("lmeval_unknown_model") ==
        kBad + "lmeval_unknown_model/gpt-mystery: model 'gpt-mystery' is not in the models CSV " + kDir +
            "models.csv (expected a row there for every model, with its compute_flops or params and tokens); the model "
            "is named by its folder");
  CHECK(bad_error("lmeval_no_filter_match") ==
        kBad + "lmeval_no_filter_match" + kFile +
            ": column 'filter': no line has filter 'none' (filters present: 'flexible-extract', 'strict-match'; "
            "expected one of them as the filter option)");
  CHECK(bad_error("lmeval_empty_file") ==
        kBad + "lmeval_empty_file" + kFile +
            ": no samples in the file (expected one JSON object per line, as lm-eval --log_samples writes)");
  cod::DatasetFiles f = lmeval(kOut, "acc", "none");
  f.lmeval.metric.clear();
  CHECK_THROWS_WITH_AS(cod::read_dataset(f), "lm-eval: no metric named (expected e.g. \"acc\" or \"exact_match\")",
                       cod::Error);
}

TEST_CASE("lm-eval: unreadable lines") {
  CHECK(bad_error("lmeval_invalid_json") ==
        kBad + "lmeval_invalid_json" + kFile +
            ":2: invalid JSON (A string is opened, but never closed.; expected one JSON object per line)");
  CHECK(bad_error("lmeval_not_object") ==
        kBad + "lmeval_not_object" + kFile + ":2: expected a JSON object (one sample per line), got another JSON value");
  CHECK(bad_error("lmeval_two_objects") ==
        kBad + "lmeval_two_objects" + kFile + ":2: text after the JSON object (expected one JSON object per line)");
  CHECK(bad_error("lmeval_missing_doc_id") ==
        kBad + "lmeval_missing_doc_id" + kFile + ":2: column 'doc_id': missing key (expected every line to have a doc_id)");
  CHECK(bad_error("lmeval_doc_id_type") ==
        kBad + "lmeval_doc_id_type" + kFile + ":2: column 'doc_id': expected an integer or a string, got the number 1.5");
  CHECK(bad_error("lmeval_missing_metric") ==
        kBad + "lmeval_missing_metric" + kFile + ":1: column 'acc': missing metric key; the metrics present are: "
                                                 "'exact_match'");
  CHECK(bad_error("lmeval_metric_string") ==
        kBad + "lmeval_metric_string" + kFile +
            ":2: column 'acc': expected a number or a bool (0/1 or a value in [0, 1]), got a string");
  CHECK(bad_error("lmeval_metric_list") ==
        kBad + "lmeval_metric_list" + kFile +
            ":2: column 'acc': expected a number or a bool (0/1 or a value in [0, 1]), got an array");
  CHECK(bad_error("lmeval_metric_range") ==
        kBad + "lmeval_metric_range" + kFile + ":2: column 'acc': value 2 is outside [0, 1]");
}

TEST_CASE("lm-eval: a result given both in the items CSV and in the samples is an error") {
  cod::DatasetFiles f = lmeval(kOut, "acc", "none", {"arc_easy"});
  f.items = kBad + "items_overlaps_lmeval.csv";
  CHECK(input_error([&] { cod::read_dataset(f); }) ==
        kOut + "/EleutherAI__pythia-70m/samples_arc_easy_2024-05-01T12-00-00.123456.jsonl:1: column 'doc_id': task "
               "'arc_easy', doc_id '2', model 'EleutherAI__pythia-70m' already has a row in " +
            kBad + "items_overlaps_lmeval.csv:2 (expected each result from one source only)");
}

// ---------------------------------------------------------------- log-likelihood features (SPEC §14)

namespace {

const std::string kFeat = COD_TEST_DATA_DIR "/lmeval/features/";

cod::DatasetFiles features_files(const std::string& task, const std::string& metric = "acc") {
  cod::DatasetFiles f;
  f.models = kFeat + "models.csv";
  f.lmeval_dir = kFeat + "output";
  f.lmeval.metric = metric;
  f.lmeval.tasks = {task};
  return f;
}

double softmax_at(std::vector<double> ll, std::size_t g) {
  double s = 0;
  for (double v : ll) s += std::exp(v);
  return std::exp(ll[g]) / s;
}

std::string bad_feature_error(const std::string& name) {
  return input_error([&] {
    cod::DatasetFiles f;
    f.models = kFeat + "models.csv";
    f.lmeval_dir = kBad + name;
    cod::read_dataset(f);
  });
}

}  // namespace

TEST_CASE("lm-eval features: multiple choice with string leaves, string/int/text targets, a BOM") {
  // runs = newest: big's older run of mc (different log-likelihoods) is skipped.
  cod::DatasetFiles f = features_files("mc");
  f.lmeval.runs = "newest";
  const cod::Dataset ds = cod::read_dataset(f);
  REQUIRE(ds.sets.size() == 1);
  const cod::EvalSet& s = ds.sets[0];
  CHECK(s.feature_names() == std::vector<std::string>{"metric", "choice_prob", "choice_prob_norm", "answer_prob",
                                                      "answer_prob_norm"});
  CHECK(&s.feature("metric") == &s.pass);
  const cod::Matrix& cp = s.feature("choice_prob");
  // small (column 0): target "0", target 2 (an int), target "CCCC" (the third continuation's text).
  CHECK(cp(0, 0) == doctest::Approx(softmax_at({-1, -2, -3}, 0)).epsilon(1e-12));
  CHECK(cp(1, 0) == doctest::Approx(softmax_at({-0.5, -1.5, -2.5}, 2)).epsilon(1e-12));
  CHECK(cp(2, 0) == doctest::Approx(1.0 / 3).epsilon(1e-12));
  CHECK(cp(2, 2) == doctest::Approx(softmax_at({-4, -4, -0.1}, 2)).epsilon(1e-12));
  const cod::Matrix& ap = s.feature("answer_prob");
  CHECK(ap(0, 0) == doctest::Approx(std::exp(-1.0)).epsilon(1e-12));
  CHECK(ap(1, 1) == doctest::Approx(std::exp(-1.0)).epsilon(1e-12));
  // Normalised by the continuation's length in characters without the leading space (lm-eval's acc_norm).
  const cod::Matrix& apn = s.feature("answer_prob_norm");
  CHECK(apn(1, 0) == doctest::Approx(std::exp(-2.5 / 4)).epsilon(1e-12));
  const cod::Matrix& cpn = s.feature("choice_prob_norm");
  CHECK(cpn(0, 0) == doctest::Approx(softmax_at({-1.0 / 1, -2.0 / 2, -3.0 / 4}, 0)).epsilon(1e-12));
  CHECK(s.pass(0, 0) == 1.0);
  ds.validate();
  CHECK_THROWS_WITH_AS(s.feature("loss"),
                       doctest::Contains("set 'mc' has no feature 'loss' (features present: metric, choice_prob,"),
                       cod::Error);
  // Provenance: big's older run is listed as skipped, every other file as used with its line count.
  REQUIRE(ds.sources.size() == 4);
  CHECK(ds.sources[0].model == "big");
  CHECK(ds.sources[0].date == "2024-06-01T00-00-00.000000");
  CHECK_FALSE(ds.sources[0].used);
  CHECK(ds.sources[0].samples == 0);
  CHECK(ds.sources[1].used);
  CHECK(ds.sources[1].samples == 3);
  CHECK(ds.sources[1].set == "mc");
}

TEST_CASE("lm-eval features: runs = average merges dated files (listed as used), features average too") {
  const cod::Dataset ds = cod::read_dataset(features_files("mc"));
  const cod::EvalSet& s = ds.sets[0];
  const int big = s.column_of(ds.model_index("big"));
  REQUIRE(big >= 0);
  CHECK(s.pass(0, big) == 0.5);  // the older run had acc 0, the newer 1
  CHECK(s.n_samples(0, big) == 2);
  CHECK(s.feature("answer_prob")(0, big) == doctest::Approx((std::exp(-5.0) + std::exp(-0.01)) / 2).epsilon(1e-12));
  REQUIRE(ds.sources.size() == 4);
  CHECK(ds.sources[0].used);
  CHECK(ds.sources[1].used);
  cod::DatasetFiles bad = features_files("mc");
  bad.lmeval.runs = "latest";
  CHECK_THROWS_WITH_AS(cod::read_dataset(bad), doctest::Contains("runs must be \"average\" or \"newest\""), cod::Error);
}

TEST_CASE("lm-eval features: the loglikelihood output type has answer_prob but no choice_prob") {
  const cod::Dataset ds = cod::read_dataset(features_files("lambada"));
  const cod::EvalSet& s = ds.sets[0];
  CHECK(s.feature_names() == std::vector<std::string>{"metric", "answer_prob", "answer_prob_norm"});
  CHECK(s.feature("answer_prob")(0, 0) == doctest::Approx(std::exp(-2.0)).epsilon(1e-12));
  CHECK(s.feature("answer_prob_norm")(1, 2) == doctest::Approx(std::exp(-0.25 / 5)).epsilon(1e-12));
  CHECK(s.pass(1, 0) == 1.0);
}

TEST_CASE("lm-eval: pass rates from the filtered responses of repeats, with exact-match normalisation") {
  cod::DatasetFiles f = features_files("arith", "exact_match");
  f.lmeval.responses = true;
  const cod::Dataset ds = cod::read_dataset(f);
  const cod::EvalSet& s = ds.sets[0];
  // Default: whitespace stripped, case and punctuation kept.
  CHECK(s.pass(0, 0) == doctest::Approx(2.0 / 3));
  CHECK(s.pass(1, 0) == 0.0);
  CHECK(s.pass(1, 1) == doctest::Approx(1.0 / 3));
  // Strings that look like a log-likelihood pair are responses when the arguments say generation.
  CHECK(s.pass(0, 2) == doctest::Approx(1.0 / 3));
  REQUIRE(s.has_trials());
  CHECK(s.n_samples(0, 0) == 3);
  CHECK(s.feature_names() == std::vector<std::string>{"metric"});

  f.lmeval.match.ignore_case = true;
  f.lmeval.match.ignore_punctuation = true;
  const cod::Dataset folded = cod::read_dataset(f);
  CHECK(folded.sets[0].pass(1, 0) == doctest::Approx(2.0 / 3));  // "yes", "Yes." match "Yes"
  CHECK(folded.sets[0].pass(1, 1) == doctest::Approx(2.0 / 3));

  f.lmeval.match = cod::MatchOptions{};
  f.lmeval.match.strip = false;
  CHECK(cod::read_dataset(f).sets[0].pass(0, 0) == 0.0);  // " 4" and "4 " no longer match

  cod::DatasetFiles mc = features_files("lambada");
  mc.lmeval.responses = true;
  CHECK(input_error([&] { cod::read_dataset(mc); }).find("holds log-likelihoods, not generated responses") !=
        std::string::npos);
}

TEST_CASE("lm-eval: malformed responses, targets and duplicated doc_ids are file:line errors") {
  const std::string file = "/small/samples_mc_2025-01-01T00-00-00.000000.jsonl";
  CHECK(bad_feature_error("lmeval_duplicate_doc_id") ==
        kBad + "lmeval_duplicate_doc_id" + file +
            ":3: column 'doc_id': doc_id '0' appears twice with filter 'none' in this file (first at line 1; expected "
            "one line per document and filter)");
  CHECK(bad_feature_error("lmeval_loglik_not_number") ==
        kBad + "lmeval_loglik_not_number" + file +
            ":1: column 'filtered_resps': request 2: expected a [log-likelihood, is-greedy] pair such as [\"-2.5\", "
            "\"False\"], as the line's other requests have");
  CHECK(bad_feature_error("lmeval_loglik_positive") ==
        kBad + "lmeval_loglik_positive" + file + ":1: column 'filtered_resps': request 3: log-likelihood 0.5 is not a number <= 0");
  CHECK(bad_feature_error("lmeval_target_out_of_range") ==
        kBad + "lmeval_target_out_of_range" + file + ":1: column 'target': 7 is not a choice index (the line has 3 choices, 0 to 2)");
  CHECK(bad_feature_error("lmeval_target_unknown_text") ==
        kBad + "lmeval_target_unknown_text" + file +
            ":1: column 'target': 'DDDD' is neither a choice index nor one of the choices' continuations");
  CHECK(bad_feature_error("lmeval_resps_object") ==
        kBad + "lmeval_resps_object" + file + ":1: column 'filtered_resps': expected an array (one entry per request), got an object");
  CHECK(bad_feature_error("lmeval_resps_null_leaf") ==
        kBad + "lmeval_resps_null_leaf" + file +
            ":1: column 'filtered_resps': request 2: expected a string response or a [log-likelihood, is-greedy] pair, got null");
}
