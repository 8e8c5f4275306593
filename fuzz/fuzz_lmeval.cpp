// libFuzzer target: the lm-evaluation-harness --log_samples reader (SPEC §12). The input
// is split at the first NUL byte (or used whole): the first part is one samples_*.jsonl file
// of model m1, the second part one of model m2; the metric is "acc", the filter "none". Each
// input is read twice: by its metric (with the log-likelihood features), then as responses.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cod/io.hpp"
#include "fuzz_util.hpp"

namespace {

const char* kModels =
    "model,params,tokens,role\n"
    "m1,1e6,2e9,ladder\n"
    "m2,4e6,2e9,ladder\n"
    "t,1e8,2e9,target\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::Scratch scratch;
  static const std::string models = scratch.write("models.csv", kModels);
  const void* nul = size ? std::memchr(data, 0, size) : nullptr;
  const std::size_t first = nul ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - data) : size;
  scratch.write("logs/m1/samples_task_2024-01-01T00-00-00.000000.jsonl", data, first);
  const std::size_t rest = nul ? size - first - 1 : 0;
  if (nul) {
    scratch.write("logs/m2/samples_task_2024-01-01T00-00-00.000000.jsonl", data + first + 1, rest);
  } else {
    std::error_code ec;
    std::filesystem::remove_all(scratch.dir() + "/logs/m2", ec);
  }
  cod::DatasetFiles files;
  files.models = models;
  files.lmeval_dir = scratch.dir() + "/logs";
  try {
    const cod::Dataset ds = cod::read_dataset(files);
    fuzz::check_dataset(ds);
  } catch (const cod::Error& e) {
    fuzz::check_error(e);
  }
  // The same logs as generated responses of repeats (SPEC §14), newest run only.
  files.lmeval.responses = true;
  files.lmeval.match.ignore_case = size % 2 == 0;
  files.lmeval.match.ignore_punctuation = size % 3 == 0;
  files.lmeval.runs = "newest";
  try {
    const cod::Dataset ds = cod::read_dataset(files);
    fuzz::check_dataset(ds);
  } catch (const cod::Error& e) {
    fuzz::check_error(e);
  }
  return 0;
}
