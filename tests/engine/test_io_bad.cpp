// Every bad-input case of the CSV readers, one file each in tests/data/bad/, with its exact message.
#include <doctest/doctest.h>

#include <string>

#include "cod/dataset.hpp"
#include "cod/error.hpp"
#include "cod/io.hpp"
#include "test_util.hpp"

using test_util::input_error;

namespace {

const std::string kBad = COD_TEST_DATA_DIR "/bad/";
const std::string kModels = COD_TEST_DATA_DIR "/io/models.csv";

std::string items_error(const std::string& name) {
  return input_error([&] {
    cod::DatasetFiles f;
    f.models = kModels;
    f.items = kBad + name;
    cod::read_dataset(f);
  });
}

std::string models_error(const std::string& name) {
  return input_error([&] { cod::read_models_csv(kBad + name); });
}

std::string scores_error(const std::string& name) {
  return input_error([&] {
    cod::DatasetFiles f;
    f.models = kModels;
    f.scores = kBad + name;
    cod::read_dataset(f);
  });
}

const std::string kNoMetadata =
    " is not in the models CSV " + kModels + " (expected a row there for every model, with its compute_flops or params and tokens)";

}  // namespace

TEST_CASE("bad items: header problems") {
  CHECK(items_error("items_missing_column.csv") ==
        kBad + "items_missing_column.csv:1: column 'item_id': missing column; the header has: 'benchmark', 'item', "
               "'model', 'passrate'");
  CHECK(items_error("items_missing_column_after_blank_lines.csv") ==
        kBad + "items_missing_column_after_blank_lines.csv:3: column 'item_id': missing column; the header has: "
               "'benchmark', 'item', 'model', 'passrate'");
  CHECK(items_error("items_missing_passrate_column.csv") ==
        kBad + "items_missing_passrate_column.csv:1: column 'passrate': missing column (expected 'passrate', or "
               "'n_samples' and 'n_correct'); the header has: 'benchmark', 'item_id', 'model', 'score'");
  CHECK(items_error("items_counts_unpaired.csv") ==
        kBad + "items_counts_unpaired.csv:1: column 'n_correct': missing column (n_samples and n_correct go together); "
               "the header has: 'benchmark', 'item_id', 'model', 'passrate', 'n_samples'");
  CHECK(items_error("items_duplicate_column.csv") ==
        kBad + "items_duplicate_column.csv:1: column 'model': the header names this column twice (fields 3 and 5); "
               "expected each column once");
}

TEST_CASE("bad items: empty file, blank lines only, header only") {
  CHECK(items_error("items_empty.csv") ==
        kBad + "items_empty.csv: empty file: expected a header line "
               "(benchmark,item_id,model,passrate[,n_samples,n_correct]) and rows");
  CHECK(items_error("items_blank_lines.csv") ==
        kBad + "items_blank_lines.csv: empty file: expected a header line "
               "(benchmark,item_id,model,passrate[,n_samples,n_correct]) and rows");
  CHECK(items_error("items_header_only.csv") ==
        kBad + "items_header_only.csv: no rows after the header (expected at least one row of "
               "benchmark,item_id,model,passrate[,n_samples,n_correct])");
}

TEST_CASE("bad items: values") {
  CHECK(items_error("items_not_numeric.csv") ==
        kBad + "items_not_numeric.csv:3: column 'passrate': 'high' is not a number (expected a pass rate in [0, 1])");
  CHECK(items_error("items_nan.csv") ==
        kBad + "items_nan.csv:2: column 'passrate': 'NaN' is not a finite number (expected a pass rate in [0, 1])");
  CHECK(items_error("items_inf.csv") ==
        kBad + "items_inf.csv:3: column 'passrate': 'inf' is not a finite number (expected a pass rate in [0, 1])");
  CHECK(items_error("items_range.csv") == kBad + "items_range.csv:3: column 'passrate': pass rate 1.5 is outside [0, 1]");
  CHECK(items_error("items_negative_passrate.csv") ==
        kBad + "items_negative_passrate.csv:2: column 'passrate': pass rate -0.25 is outside [0, 1]");
  CHECK(items_error("items_empty_passrate.csv") ==
        kBad + "items_empty_passrate.csv:2: column 'passrate': empty cell (expected a pass rate, or n_samples and "
               "n_correct)");
  CHECK(items_error("items_empty_item.csv") ==
        kBad + "items_empty_item.csv:2: column 'item_id': empty cell (expected an item id)");
}

TEST_CASE("bad items: trial counts") {
  CHECK(items_error("items_correct_exceeds.csv") ==
        kBad + "items_correct_exceeds.csv:2: column 'n_correct': n_correct 11 exceeds n_samples 10 (expected 0 <= "
               "n_correct <= n_samples)");
  CHECK(items_error("items_negative_count.csv") ==
        kBad + "items_negative_count.csv:2: column 'n_correct': negative count -1 (expected a whole number >= 0)");
  CHECK(items_error("items_zero_samples.csv") ==
        kBad + "items_zero_samples.csv:2: column 'n_samples': 0 samples (expected at least 1)");
  CHECK(items_error("items_fractional_count.csv") ==
        kBad + "items_fractional_count.csv:2: column 'n_samples': 2.5 is not a whole number (expected a count of "
               "samples)");
  CHECK(items_error("items_counts_disagree.csv") ==
        kBad + "items_counts_disagree.csv:3: column 'passrate': pass rate 0.33 disagrees with n_correct/n_samples = "
               "1/3 = 0.333333333333 (expected them to agree to 1e-6)");
  CHECK(items_error("items_counts_half.csv") ==
        kBad + "items_counts_half.csv:2: column 'n_correct': empty cell (expected n_samples and n_correct both given "
               "or both empty)");
  CHECK(items_error("items_trials_mixed.csv") ==
        kBad + "items_trials_mixed.csv:3: column 'n_samples': set 's': this row has no trial counts but others of the "
               "set have (first at line 2); expected n_samples and n_correct on every row of a set or on none");
}

TEST_CASE("bad items: duplicates, missing cells, models without metadata") {
  CHECK(items_error("items_duplicate.csv") ==
        kBad + "items_duplicate.csv:5: duplicate row for benchmark 's', item 'i1', model 'm1' (first at line 2; "
               "expected one row per benchmark, item and model)");
  CHECK(items_error("items_missing_cell.csv") ==
        kBad + "items_missing_cell.csv:3: set 'A': item 'a2' (first given here) has no result for model 'm2'; "
               "missing cells: 1 in this set, 3 in all (expected every model that has results in a set to have "
               "every item of it)");
  CHECK(items_error("items_unknown_model.csv") ==
        kBad + "items_unknown_model.csv:3: column 'model': model 'gpt-x'" + kNoMetadata);
}

TEST_CASE("bad items: broken CSV") {
  CHECK(items_error("items_unterminated_quote.csv") ==
        kBad + "items_unterminated_quote.csv:3: column 'item_id': unterminated quoted field: the quote opened on line "
               "3 is never closed (expected a closing \")");
  CHECK(items_error("items_stray_quote.csv") ==
        kBad + "items_stray_quote.csv:3: column 'item_id': stray quote inside an unquoted field (expected the whole "
               "field in quotes, with inner quotes doubled: \"a \"\"b\"\" c\")");
  CHECK(items_error("items_text_after_quote.csv") ==
        kBad + "items_text_after_quote.csv:2: column 'item_id': text after the closing quote of a quoted field "
               "(expected a comma or the end of the line; write \"\" for a quote inside a quoted field)");
  CHECK(items_error("items_field_count.csv") ==
        kBad + "items_field_count.csv:3: this row has 3 fields, expected 4 as in the header");
}

TEST_CASE("bad items: the error is an InputError carrying file, line and column") {
  try {
    cod::DatasetFiles f;
    f.models = kModels;
    f.items = kBad + "items_range.csv";
    cod::read_dataset(f);
    FAIL("expected an InputError");
  } catch (const cod::InputError& e) {
    CHECK(e.file() == kBad + "items_range.csv");
    CHECK(e.line() == 3);
    CHECK(e.column() == "passrate");
  }
}

TEST_CASE("bad models CSV") {
  CHECK(models_error("models_missing_column.csv") ==
        kBad + "models_missing_column.csv:1: column 'model': missing column; the header has: 'name', 'params', 'tokens'");
  CHECK(models_error("models_no_compute_columns.csv") ==
        kBad + "models_no_compute_columns.csv:1: column 'tokens': missing column (expected 'compute_flops', or "
               "'params' and 'tokens'); the header has: 'model', 'params'");
  CHECK(models_error("models_unknown_role.csv") ==
        kBad + "models_unknown_role.csv:3: column 'role': unknown role 'Target' (expected ladder, target, anchor or an "
               "empty cell)");
  CHECK(models_error("models_duplicate.csv") ==
        kBad + "models_duplicate.csv:4: column 'model': model 'm1' is listed twice (first at line 2; expected one row "
               "per model)");
  CHECK(models_error("models_no_compute.csv") ==
        kBad + "models_no_compute.csv:3: column 'compute_flops': model 'm2' has no compute (expected compute_flops, or "
               "both params and tokens for C = 6*N*D)");
  CHECK(models_error("models_zero_params.csv") ==
        kBad + "models_zero_params.csv:2: column 'params': 0 is not positive (expected a positive parameter count, or "
               "an empty cell)");
  CHECK(models_error("models_negative_tokens.csv") ==
        kBad + "models_negative_tokens.csv:2: column 'tokens': -1e9 is not positive (expected a positive count of "
               "training tokens, or an empty cell)");
  CHECK(models_error("models_zero_compute.csv") ==
        kBad + "models_zero_compute.csv:2: column 'compute_flops': 0 is not positive (expected positive training "
               "FLOPs, or an empty cell)");
  CHECK(models_error("models_not_numeric.csv") ==
        kBad + "models_not_numeric.csv:3: column 'params': '7B' is not a number (expected a positive parameter count, "
               "or an empty cell)");
  CHECK(models_error("models_negative_step.csv") ==
        kBad + "models_negative_step.csv:2: column 'step': -5 is negative (expected a training step >= 0)");
  CHECK(models_error("models_empty.csv") ==
        kBad + "models_empty.csv: empty file: expected a header line (model,params,tokens,compute_flops) and rows");
  CHECK(models_error("models_header_only.csv") ==
        kBad + "models_header_only.csv: no rows after the header (expected at least one row of "
               "model,params,tokens,compute_flops)");
}

TEST_CASE("bad scores CSV") {
  CHECK(scores_error("scores_missing_column.csv") ==
        kBad + "scores_missing_column.csv:1: column 'score': missing column; the header has: 'benchmark', 'model', "
               "'acc'");
  CHECK(scores_error("scores_range.csv") == kBad + "scores_range.csv:3: column 'score': score 101 is outside [0, 1]");
  CHECK(scores_error("scores_unknown_model.csv") ==
        kBad + "scores_unknown_model.csv:2: column 'model': model 'm9'" + kNoMetadata);
  CHECK(scores_error("scores_duplicate.csv") ==
        kBad + "scores_duplicate.csv:4: duplicate score for benchmark 'mmlu', model 'm1' (first at line 2; expected "
               "one row per benchmark and model)");
  CHECK(scores_error("scores_empty_score.csv") ==
        kBad + "scores_empty_score.csv:2: column 'score': empty cell (expected a score in [0, 1])");
  CHECK(scores_error("scores_header_only.csv") ==
        kBad + "scores_header_only.csv: no rows after the header (expected at least one row of benchmark,model,score)");
}

TEST_CASE("missing files and folders") {
  CHECK(items_error("no_such_items.csv") == kBad + "no_such_items.csv: cannot open the file: No such file or directory");
  CHECK(models_error("no_such_models.csv") ==
        kBad + "no_such_models.csv: cannot open the file: No such file or directory");
  CHECK(scores_error("no_such_scores.csv") ==
        kBad + "no_such_scores.csv: cannot open the file: No such file or directory");
  CHECK(input_error([] { cod::read_dataset_dir(kBad + "no_such_dir"); }) ==
        kBad + "no_such_dir: no such directory (expected a dataset folder with models.csv)");
  CHECK(input_error([] { cod::read_dataset_dir(kBad + "items_empty.csv"); }) ==
        kBad + "items_empty.csv: not a directory (expected a dataset folder)");
  CHECK(input_error([] { cod::read_dataset_dir(kBad + "dir_models_only"); }) ==
        kBad + "dir_models_only: no items.csv or scores.csv in this folder (expected models.csv and at least one of "
               "them)");
  CHECK(input_error([] { cod::read_dataset_dir(COD_TEST_DATA_DIR "/lmeval/output"); }) ==
        COD_TEST_DATA_DIR "/lmeval/output: no items.csv or scores.csv in this folder (expected models.csv and at least "
                          "one of them)");
  // A dataset folder with items.csv but no models.csv.
  CHECK(input_error([] { cod::read_dataset_dir(COD_TEST_DATA_DIR "/bad/dir_items_only"); }) ==
        COD_TEST_DATA_DIR "/bad/dir_items_only/models.csv: cannot open the file: No such file or directory");
}
