// libFuzzer target: the models CSV reader (SPEC §12). The input bytes are the models
// file; it is read alone and then with a fixed items and scores CSV naming m1..m3 and t.

#include <cstddef>
#include <cstdint>

#include "cod/io.hpp"
#include "fuzz_util.hpp"

namespace {

const char* kItems =
    "benchmark,item_id,model,passrate\n"
    "s,q1,m1,0.1\ns,q2,m1,0\ns,q1,m2,0.5\ns,q2,m2,0.25\ns,q1,m3,1\ns,q2,m3,0.75\ns,q1,t,1\ns,q2,t,1\n";
const char* kScores = "benchmark,model,score\ns,m1,0.05\ns,t,0.9\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::Scratch scratch;
  static const std::string items = scratch.write("items.csv", kItems);
  static const std::string scores = scratch.write("scores.csv", kScores);
  const std::string models = scratch.write("models.csv", data, size);
  try {
    const auto list = cod::read_models_csv(models);
    for (const cod::Model& m : list) {
      if (m.name.empty()) fuzz::bug("a model with an empty name was accepted");
    }
  } catch (const cod::Error& e) {
    fuzz::check_error(e);
  }
  cod::DatasetFiles files;
  files.models = models;
  files.items = items;
  files.scores = scores;
  try {
    const cod::Dataset ds = cod::read_dataset(files);
    fuzz::check_dataset(ds);
  } catch (const cod::Error& e) {
    fuzz::check_error(e);
  }
  return 0;
}
