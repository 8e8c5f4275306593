// synth_lmeval: a generated ladder written as lm-eval 0.4.x multiple-choice logs reads back through
// the lm-eval reader with the accuracy it wrote, and its choice_prob tracks the true probabilities.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "cod/error.hpp"
#include "cod/io.hpp"
#include "cod/synth.hpp"

namespace {

namespace fs = std::filesystem;

// A fresh scratch folder, removed when the test ends (it holds only what the test wrote).
struct Scratch {
  fs::path path = fs::temp_directory_path() / ("codlua-synth-lmeval-" + std::to_string(::getpid()));
  Scratch() { fs::remove_all(path); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("synth_lmeval: written logs read back; acc as written, choice_prob close to the truth") {
  cod::SynthOptions opt;
  opt.seed = 5;
  opt.trials = 0;
  cod::SynthSetSpec spec;
  spec.name = "mc";
  spec.items = 400;
  opt.sets = {spec};
  const cod::SynthResult r = cod::synth_ladder(opt);
  Scratch scratch;
  const std::string dir = (scratch.path / "logs").string();
  cod::SynthLmEvalOptions lo;
  lo.seed = 5;
  const cod::SynthLmEvalResult w = cod::synth_lmeval(r.data.models, {"mc"}, {r.truth.sets[0].prob}, dir, lo);
  CHECK(w.files.size() == 1 + r.data.models.size());

  cod::DatasetFiles f;
  f.models = dir + "/models.csv";
  f.lmeval_dir = dir + "/samples";
  const cod::Dataset ds = cod::read_dataset(f);
  REQUIRE(ds.sets.size() == 1);
  const cod::EvalSet& s = ds.sets[0];
  REQUIRE(s.pass.rows() == 400);
  REQUIRE(s.models.size() == r.data.models.size());
  double err = 0, err_acc = 0;
  for (Eigen::Index j = 0; j < s.pass.cols(); ++j)
    for (Eigen::Index i = 0; i < s.pass.rows(); ++i) {
      CHECK(s.pass(i, j) == w.acc[0](i, j));
      const double p = r.truth.sets[0].prob(i, static_cast<Eigen::Index>(s.models[static_cast<std::size_t>(j)]));
      err += std::abs(s.feature("choice_prob")(i, j) - p);
      err_acc += std::abs(s.pass(i, j) - p);
    }
  const auto cells = static_cast<double>(s.pass.size());
  MESSAGE("mean |choice_prob - p| = ", err / cells, "; mean |acc - p| = ", err_acc / cells);
  CHECK(err / cells < 0.08);  // log-normal noise of sd 0.3 on each choice
  CHECK(err / cells < 0.4 * err_acc / cells);

  // Same seed, same bytes; a non-empty folder is refused and left alone.
  const std::string again = (scratch.path / "again").string();
  cod::synth_lmeval(r.data.models, {"mc"}, {r.truth.sets[0].prob}, again, lo);
  for (std::size_t k = 1; k < w.files.size(); ++k) {
    const std::string other = again + w.files[k].substr(dir.size());
    CHECK(fs::file_size(other) == fs::file_size(w.files[k]));
  }
  CHECK_THROWS_WITH_AS(cod::synth_lmeval(r.data.models, {"mc"}, {r.truth.sets[0].prob}, dir, lo),
                       doctest::Contains("exists and is not an empty folder"), cod::Error);
  lo.choices = 1;
  CHECK_THROWS_WITH_AS(cod::synth_lmeval(r.data.models, {"mc"}, {r.truth.sets[0].prob}, dir + "x", lo),
                       doctest::Contains("choices must be in [2, 26], got 1"), cod::Error);
}
