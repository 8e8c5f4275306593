// Readers of SPEC §12 on good input: the CSV formats, a dataset folder, and every bundled dataset.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cod/dataset.hpp"
#include "cod/error.hpp"
#include "cod/io.hpp"

namespace {

const std::string kIo = COD_TEST_DATA_DIR "/io/";
const std::string kData = COD_TEST_DATA_DIR "/../../data/";

cod::DatasetFiles io_files(const char* items, const char* scores = nullptr) {
  cod::DatasetFiles f;
  f.models = kIo + "models.csv";
  if (items) f.items = kIo + items;
  if (scores) f.scores = kIo + scores;
  return f;
}

std::size_t count_known(const std::vector<double>& v) {
  std::size_t n = 0;
  for (double x : v) n += !std::isnan(x);
  return n;
}

std::string error_of(const cod::DatasetFiles& f) {
  try {
    cod::read_dataset(f);
  } catch (const cod::InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("read_models_csv: metadata, roles, unknown numbers, compute from params and tokens") {
  const auto models = cod::read_models_csv(kIo + "models.csv");
  REQUIRE(models.size() == 4);
  CHECK(models[0].name == "m1");
  CHECK(models[0].params == 1e6);
  CHECK(models[0].tokens == 2e9);
  CHECK(std::isnan(models[0].compute_flops));  // not given: flops() derives 6·N·D
  CHECK(models[0].role == cod::Role::ladder);
  CHECK(models[0].family == "fam");
  CHECK(models[0].size == "1m");
  CHECK(models[0].step == 1000);
  CHECK(models[0].loss == 3.5);
  CHECK(models[2].name == "m3");
  CHECK(std::isnan(models[2].params));
  CHECK(std::isnan(models[2].tokens));
  CHECK(models[2].compute_flops == 5e17);
  CHECK(models[2].role == cod::Role::target);
  CHECK(std::isnan(models[2].step));
  CHECK(models[3].role == cod::Role::anchor);
  CHECK(models[3].compute_flops == 1.3e16);
  CHECK(models[3].size.empty());
  CHECK(std::isnan(models[3].loss));
}

TEST_CASE("read_dataset: items and scores CSV, orders, ignored columns") {
  const cod::Dataset ds = cod::read_dataset(io_files("items.csv", "scores.csv"));
  CHECK(ds.compute_unit == 1e18);
  CHECK(ds.ignored_columns == std::vector<std::string>{kIo + "models.csv: note", kIo + "items.csv: task"});
  REQUIRE(ds.sets.size() == 3);

  // Set order and item order: first appearance. Models: those with items, in models-CSV order
  // (m2's rows come first in the file, m1 is still column 0).
  const cod::EvalSet& a = ds.sets[0];
  CHECK(a.name == "setA");
  CHECK(a.items == std::vector<std::string>{"q1", "q2", "q3"});
  CHECK(a.models == std::vector<std::size_t>{0, 1});
  REQUIRE(a.pass.rows() == 3);
  REQUIRE(a.pass.cols() == 2);
  CHECK(a.pass(0, 0) == 0.25);
  CHECK(a.pass(1, 0) == 0.75);
  CHECK(a.pass(2, 0) == 0.0);
  CHECK(a.pass(0, 1) == 0.5);
  CHECK(a.pass(1, 1) == 1.0);
  CHECK(a.pass(2, 1) == 0.0);
  CHECK_FALSE(a.has_trials());
  REQUIRE(a.scores.size() == 4);  // sized to Dataset::models when the set has a score
  CHECK(a.scores[2] == 0.6);
  CHECK(count_known(a.scores) == 1);

  const cod::EvalSet& b = ds.sets[1];
  CHECK(b.name == "setB");
  CHECK(b.items == std::vector<std::string>{"z9", "a1"});
  CHECK(b.models == std::vector<std::size_t>{0, 2});  // m1 and m3; m2 has no items here
  CHECK(b.pass(0, 0) == 0.5);
  CHECK(b.pass(0, 1) == 1.0);
  CHECK(b.pass(1, 1) == 0.0);
  CHECK(b.scores.empty());

  const cod::EvalSet& c = ds.sets[2];  // scores only
  CHECK(c.name == "setC");
  CHECK(c.items.empty());
  CHECK(c.models.empty());
  CHECK(c.pass.size() == 0);
  REQUIRE(c.scores.size() == 4);
  CHECK(c.scores[0] == 0.1);
  CHECK(c.scores[1] == 0.2);
  CHECK(count_known(c.scores) == 2);
  ds.validate();
}

TEST_CASE("read_dataset: many sets with interleaved rows (every lookup hashed while the set list grows)") {
  const cod::Dataset ds = cod::read_dataset(io_files("items_many_sets.csv"));
  REQUIRE(ds.sets.size() == 40);
  for (int s = 0; s < 40; ++s) {
    CAPTURE(s);
    const cod::EvalSet& set = ds.sets[static_cast<std::size_t>(s)];
    char name[16];
    std::snprintf(name, sizeof name, "set%02d", s);
    CHECK(set.name == name);
    CHECK(set.models == std::vector<std::size_t>{0, 1});
    REQUIRE(set.items.size() == 3);
    for (int it = 0; it < 3; ++it) {
      CHECK(set.items[static_cast<std::size_t>(it)] ==
            "item" + std::to_string((it * 5 + s) % 3) + "_" + std::to_string(s));
      for (int m = 0; m < 2; ++m) CHECK(set.pass(it, m) == ((s * 7 + it * 3 + m) % 11) / 10.0);
    }
  }
}

TEST_CASE("read_dataset: trial counts, with and without a pass-rate column") {
  const cod::Dataset ds = cod::read_dataset(io_files("items_counts.csv"));
  REQUIRE(ds.sets.size() == 1);
  const cod::EvalSet& s = ds.sets[0];
  REQUIRE(s.has_trials());
  CHECK(s.pass(0, 0) == 0.3);
  CHECK(s.pass(1, 0) == 0.5);
  CHECK(s.pass(0, 1) == 1.0 / 3.0);  // the exact count ratio, not the rounded text
  CHECK(s.pass(1, 1) == 0.0);
  CHECK(s.n_samples(0, 0) == 10);
  CHECK(s.n_samples(1, 0) == 4);
  CHECK(s.n_samples(0, 1) == 3);
  CHECK(s.n_samples(1, 1) == 100);
  ds.validate();

  const cod::Dataset only = cod::read_dataset(io_files("items_counts_only.csv"));
  CHECK(only.sets[0].pass(0, 0) == 1.0);
  CHECK(only.sets[0].pass(0, 1) == 0.0);
  CHECK(only.sets[0].n_samples(0, 1) == 5);
}

TEST_CASE("read_dataset: BOM, CRLF, quoted fields, spaces around numbers, no final line end") {
  const cod::Dataset ds = cod::read_dataset(io_files("items_quoting.csv"));
  REQUIRE(ds.sets.size() == 2);
  CHECK(ds.sets[0].name == "set, with comma");
  CHECK(ds.sets[0].items == std::vector<std::string>{"item \"quoted\"", "multi\r\nline item"});
  CHECK(ds.sets[0].pass(0, 0) == 0.5);  // " 0.5 " is trimmed
  CHECK(ds.sets[0].pass(1, 0) == 1.0);  // a quoted number is a number
  CHECK(ds.sets[1].name == "plain");
  CHECK(ds.sets[1].items == std::vector<std::string>{"x", "y"});
  CHECK(ds.sets[1].models == std::vector<std::size_t>{1});
  CHECK(ds.sets[1].pass(1, 0) == 0.25);  // "\t0.25" on the last line, without a line end
  CHECK(ds.ignored_columns == std::vector<std::string>{kIo + "models.csv: note"});
}

TEST_CASE("read_dataset: a line number after quoted line breaks is the physical line where the row starts") {
  const std::string f = COD_TEST_DATA_DIR "/bad/items_line_after_quoted_newline.csv";
  cod::DatasetFiles files = io_files(nullptr);
  files.items = f;
  CHECK(error_of(files) == f + ":7: column 'passrate': pass rate 2 is outside [0, 1]");
  const std::string g = COD_TEST_DATA_DIR "/bad/items_crlf_line.csv";
  files.items = g;
  CHECK(error_of(files) == g + ":5: column 'passrate': 'x' is not a number (expected a pass rate in [0, 1])");
}

TEST_CASE("read_dataset_dir: scores only; compute_unit is passed through") {
  const cod::Dataset ds = cod::read_dataset_dir(kIo + "dir_scores_only", 1e21);
  CHECK(ds.compute_unit == 1e21);
  REQUIRE(ds.models.size() == 2);
  REQUIRE(ds.sets.size() == 2);
  CHECK(ds.sets[0].name == "mmlu");
  CHECK(ds.sets[0].scores == std::vector<double>{0.25, 0.5});
  CHECK(ds.sets[1].name == "arc");
  CHECK(std::isnan(ds.sets[1].scores[0]));
  CHECK(ds.sets[1].scores[1] == 0.75);
  CHECK(ds.sets[1].items.empty());
}

TEST_CASE("read_dataset: argument errors are cod::Error, not input errors") {
  cod::DatasetFiles f;
  f.models = kIo + "models.csv";
  CHECK_THROWS_WITH_AS(cod::read_dataset(f),
                       "read_dataset: no items CSV, scores CSV or lm-eval folder given (expected at least one besides "
                       "the models CSV)",
                       cod::Error);
  f = io_files("items.csv");
  f.compute_unit = 0;
  CHECK_THROWS_WITH_AS(cod::read_dataset(f), "read_dataset: compute_unit must be a positive finite number, got 0",
                       cod::Error);
  f = io_files("items.csv");
  f.models.clear();
  CHECK_THROWS_WITH_AS(cod::read_dataset(f), "read_dataset: no models CSV given (expected the path of one)", cod::Error);
}

// ------------------------------------------------------------------ the bundled datasets (data/)

TEST_CASE("bundled data: bigbench-bigg") {
  const cod::Dataset ds = cod::read_dataset_dir(kData + "bigbench-bigg");
  REQUIRE(ds.models.size() == 12);
  CHECK(ds.models.front().name == "BIG-G_T0_2m");
  CHECK(ds.models.back().name == "BIG-G_T0_128b");
  CHECK(ds.models.back().compute_flops == 1.9968e23);
  REQUIRE(ds.sets.size() == 2);
  CHECK(ds.sets[0].name == "bigbench-A");
  CHECK(ds.sets[1].name == "bigbench-B");
  CHECK(ds.sets[0].items.size() == 1633);
  CHECK(ds.sets[1].items.size() == 2379);
  CHECK(ds.sets[0].items.size() + ds.sets[1].items.size() == 4012);
  for (const auto& s : ds.sets) {
    CHECK(s.models.size() == 12);
    CHECK(s.models.front() == 0);
    CHECK(s.models.back() == 11);
    CHECK_FALSE(s.has_trials());
    CHECK(s.scores.empty());
  }
  CHECK(ds.sets[0].items.front() == "auto_categorization#0");
  // Sums of the 0/1 results, counted independently from the CSV.
  CHECK(ds.sets[0].pass.sum() == 4544.0);
  CHECK(ds.sets[1].pass.sum() == 10203.0);
  CHECK(ds.ignored_columns ==
        std::vector<std::string>{kData + "bigbench-bigg/models.csv: note", kData + "bigbench-bigg/items.csv: task"});
  ds.validate();
}

TEST_CASE("bundled data: pythia-arith") {
  const cod::Dataset ds = cod::read_dataset_dir(kData + "pythia-arith");
  REQUIRE(ds.models.size() == 42);
  REQUIRE(ds.sets.size() == 10);
  const std::vector<std::string> names{"arith_addition_0shot",       "arith_addition_16shot",
                                       "arith_addition_2shot",       "arith_addition_4shot",
                                       "arith_addition_8shot",       "arith_multiplication_0shot",
                                       "arith_multiplication_16shot", "arith_multiplication_2shot",
                                       "arith_multiplication_4shot", "arith_multiplication_8shot"};
  const std::vector<double> sums{24.3, 643.76, 562.5, 611.56, 645.18, 145.44, 344.96, 284.64, 297.0, 326.44};
  for (std::size_t s = 0; s < ds.sets.size(); ++s) {
    CAPTURE(s);
    CHECK(ds.sets[s].name == names[s]);
    CHECK(ds.sets[s].items.size() == 100);
    CHECK(ds.sets[s].models.size() == 42);
    CHECK(ds.sets[s].pass.sum() == doctest::Approx(sums[s]).epsilon(1e-12));
  }
  CHECK(ds.sets[0].items.front() == "addition_0");
  CHECK(ds.sets[0].items.back() == "addition_99");
  CHECK(ds.models[0].size == "160m");
  CHECK(ds.models[0].step == 13000);
  CHECK(ds.ignored_columns.empty());
  ds.validate();
}

TEST_CASE("bundled data: olmo2-ladder has scores only") {
  const cod::Dataset ds = cod::read_dataset_dir(kData + "olmo2-ladder");
  REQUIRE(ds.models.size() == 32);
  CHECK(ds.models.back().name == "olmo2-13B-5T");
  CHECK(ds.models[0].loss == doctest::Approx(3.74747896194458));
  REQUIRE(ds.sets.size() == 32);
  CHECK(ds.sets.front().name == "mmlu_stem_val_rc_5shot_len_norm");
  CHECK(ds.sets.back().name == "winogrande_val_mc_5shot_acc");
  std::size_t scores = 0, full = 0;
  for (const auto& s : ds.sets) {
    CHECK(s.items.empty());
    CHECK(s.models.empty());
    REQUIRE(s.scores.size() == 32);
    scores += count_known(s.scores);
    full += count_known(s.scores) == 32;
  }
  CHECK(scores == 664);
  CHECK(full == 20);  // the other 12 sets have scores for 2 models only
  CHECK(ds.sets[0].scores[0] == 0.2585669755935669);
  ds.validate();
}

// pythia-monkeys: pass rates written to 8 decimals beside exact counts (the counts win), and
// models that have no results in a set are simply not in it. The bundled copy had 42 rows dropped
// so that every set is complete (data/README.md says which).
TEST_CASE("bundled data: pythia-monkeys loads with trial counts; rounded pass rates defer to the counts") {
  const cod::Dataset ds = cod::read_dataset_dir(kData + "pythia-monkeys");
  REQUIRE(ds.models.size() == 81);
  REQUIRE(ds.sets.size() == 3);
  CHECK(ds.sets[0].name == "GSM8K_koyejo130");
  CHECK(ds.sets[0].items.size() == 128);
  CHECK(ds.sets[0].models.size() == 80);
  CHECK(ds.sets[1].name == "MATH_koyejo128");
  CHECK(ds.sets[1].items.size() == 128);
  CHECK(ds.sets[1].models.size() == 71);
  CHECK(ds.sets[2].name == "MATH_llmonkeys128");
  CHECK(ds.sets[2].items.size() == 128);
  CHECK(ds.sets[2].models.size() == 7);
  for (const auto& s : ds.sets) CHECK(s.has_trials());
  // Item 1214, pythia-1.4b@step10000: written 0.14960106, counts 900 of 6016.
  const cod::EvalSet& g = ds.sets[0];
  const auto row = std::find(g.items.begin(), g.items.end(), "1214") - g.items.begin();
  const int col = [&] {
    for (std::size_t j = 0; j < g.models.size(); ++j)
      if (ds.models[g.models[j]].name == "pythia-1.4b@step10000") return static_cast<int>(j);
    return -1;
  }();
  REQUIRE(col >= 0);
  CHECK(g.pass(row, col) == 900.0 / 6016.0);
  CHECK(g.n_samples(row, col) == 6016);
  ds.validate();
}
