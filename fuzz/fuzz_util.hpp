#pragma once
// Shared by the libFuzzer targets: a private scratch folder for the files the readers
// take by path, and the checks a dataset that a reader accepted must pass.

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

#include "cod/dataset.hpp"
#include "cod/error.hpp"

namespace fuzz {

/** Abort with a message: libFuzzer saves the input that got here. */
[[noreturn]] inline void bug(const std::string& what) {
  std::fprintf(stderr, "fuzz: invariant broken: %s\n", what.c_str());
  std::abort();
}

/** A folder of its own under $TMPDIR (or /dev/shm, which is faster, when it exists), removed at exit. */
class Scratch {
public:
  Scratch() {
    namespace fs = std::filesystem;
    std::error_code ec;
    const char* env = std::getenv("TMPDIR");
    fs::path base = env && *env ? fs::path(env) : (fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::path("/tmp"));
    std::string templ = (base / "codlua-fuzz-XXXXXX").string();
    if (!mkdtemp(templ.data())) bug("cannot create a scratch folder under " + base.string());
    dir_ = templ;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  /** Write `size` bytes to `name` (sub-folders are created) and return the full path. */
  std::string write(const std::string& name, const void* data, std::size_t size) const {
    const std::filesystem::path p = std::filesystem::path(dir_) / name;
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    std::FILE* f = std::fopen(p.c_str(), "wb");
    if (!f) bug("cannot write " + p.string());
    if (size > 0 && std::fwrite(data, 1, size, f) != size) bug("short write to " + p.string());
    std::fclose(f);
    return p.string();
  }
  std::string write(const std::string& name, const std::string& text) const {
    return write(name, text.data(), text.size());
  }
  const std::string& dir() const { return dir_; }

private:
  std::string dir_;
};

/** The reader contract: errors are cod::Error with a message; nothing else may escape. */
inline void check_error(const cod::Error& e) {
  if (std::string(e.what()).empty()) bug("a cod::Error with an empty message");
}

/** What every dataset a reader returns must satisfy; then exercise the operations on it. */
inline void check_dataset(const cod::Dataset& ds) {
  try {
    ds.validate();
  } catch (const cod::Error& e) {
    bug(std::string("a reader returned a dataset that fails validate(): ") + e.what());
  }
  for (const cod::EvalSet& s : ds.sets) {
    if (static_cast<std::size_t>(s.pass.rows()) != s.items.size()) bug("pass rows != items in set " + s.name);
    if (static_cast<std::size_t>(s.pass.cols()) != s.models.size()) bug("pass cols != models in set " + s.name);
    for (Eigen::Index i = 0; i < s.pass.size(); ++i) {
      const double v = s.pass.data()[i];
      if (!(v >= 0.0 && v <= 1.0)) bug("a pass rate outside [0, 1] in set " + s.name);
    }
    for (std::size_t m : s.models) {
      if (m >= ds.models.size()) bug("a set column names a model that does not exist");
      const double mean = cod::mean_pass_rate(s, m);
      if (!(mean >= 0.0 && mean <= 1.0)) bug("a mean pass rate outside [0, 1]");
    }
  }
  for (std::size_t m = 0; m < ds.models.size(); ++m) {
    const double c = ds.compute(m);
    if (!(c > 0.0) || !std::isfinite(c)) bug("a model whose compute is not a finite positive number was accepted");
  }
  // Default selection and features: may refuse (cod::Error), must not crash.
  try {
    const cod::Selection sel = cod::select_models(ds, {});
    for (const cod::EvalSet& s : ds.sets) {
      bool all = true;
      for (std::size_t m : sel.ladder) all = all && s.column_of(m) >= 0;
      if (all && !sel.ladder.empty()) {
        const cod::Matrix X = cod::features(s, sel.ladder);
        (void)cod::zero_items(X);
      }
    }
  } catch (const cod::Error& e) {
    check_error(e);
  }
}

}  // namespace fuzz
