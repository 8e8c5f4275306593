// The lm-evaluation-harness --log_samples reader: the hand-written fixture in tests/data/lmeval/
// (realistic arc_easy and gsm8k lines) and one bad folder per error in tests/data/bad/lmeval_*.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cod/dataset.hpp"
#include "cod/error.hpp"
#include "cod/io.hpp"

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

template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const cod::InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an InputError: ") + e.what();
  }
  return "no error";
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
