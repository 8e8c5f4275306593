// Synthetic multiple-choice lm-eval logs with known truth (see synth.hpp, synth_lmeval): the
// choices' log-likelihoods come from each item's true pass probability, written exactly as
// lm-evaluation-harness 0.4.x writes --log_samples (string leaves, string target).

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "cod/error.hpp"
#include "cod/synth.hpp"

namespace cod {

namespace {

namespace fs = std::filesystem;

// A file written whole or reported: every write and the close are checked.
class OutFile {
public:
  explicit OutFile(std::string path) : path_(std::move(path)), f_(std::fopen(path_.c_str(), "wbx")) {
    if (!f_) throw UserError("cannot create " + path_ + ": " + std::strerror(errno));
  }
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;
  ~OutFile() {
    if (f_) std::fclose(f_);
  }
  void write(const std::string& s) {
    if (std::fwrite(s.data(), 1, s.size(), f_) != s.size()) throw UserError("cannot write " + path_ + ": " + std::strerror(errno));
  }
  void close() {
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fflush(f) != 0 || std::fclose(f) != 0) throw UserError("cannot write " + path_ + ": " + std::strerror(errno));
  }

private:
  std::string path_;
  std::FILE* f_;
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number(double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); }

// Python's str(float): shortest round-trip repr, "-inf" for minus infinity.
std::string py_float(double v) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

const char* kWords[] = {"red", "stone", "river", "seven", "light", "paper", "cloud", "metal", "glass", "forest"};

}  // namespace

SynthLmEvalResult synth_lmeval(const std::vector<Model>& models, const std::vector<std::string>& set_names,
                               const std::vector<Matrix>& prob, const std::string& dir, const SynthLmEvalOptions& opt) {
  if (opt.choices < 2 || opt.choices > 26) throw Error(fmt::format("synth_lmeval: choices must be in [2, 26], got {}", opt.choices));
  if (!(opt.noise >= 0) || !std::isfinite(opt.noise))
    throw Error(fmt::format("synth_lmeval: noise must be a finite number >= 0, got {}", opt.noise));
  if (set_names.size() != prob.size()) throw Error("synth_lmeval: one probability matrix per set expected");
  for (std::size_t s = 0; s < prob.size(); ++s)
    if (prob[s].cols() != static_cast<Eigen::Index>(models.size()) || !(prob[s].array() >= 0 && prob[s].array() <= 1).all())
      throw Error("synth_lmeval: set '" + set_names[s] + "': expected items × models probabilities in [0, 1]");
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw UserError("synth_lmeval: " + dir + " exists and is not an empty folder (expected a new folder)");
  const fs::path root(dir);
  fs::create_directories(root / "samples", ec);
  if (ec) throw UserError("cannot create " + (root / "samples").string() + ": " + ec.message());

  SynthLmEvalResult out;
  {
    const std::string path = (root / "models.csv").string();
    OutFile f(path);
    f.write("model,params,tokens,compute_flops,role,family,size,step,loss\n");
    for (const Model& m : models)
      f.write(csv_cell(m.name) + "," + number(m.params) + "," + number(m.tokens) + "," + number(m.compute_flops) + "," +
              role_name(m.role) + "," + csv_cell(m.family) + "," + csv_cell(m.size) + "," + number(m.step) + "," +
              number(m.loss) + "\n");
    f.close();
    out.files.push_back(path);
  }
  const auto K = static_cast<std::size_t>(opt.choices);
  for (std::size_t s = 0; s < prob.size(); ++s) {
    const Matrix& P = prob[s];
    const auto n_items = static_cast<std::size_t>(P.rows());
    // Per item, fixed across models: the gold index, the distractors' weights, the choices' words.
    SynthRng item_rng(synth_mix64(opt.seed ^ synth_mix64(0x5eed0000ull + s)));
    std::vector<std::size_t> gold(n_items);
    std::vector<std::vector<double>> weight(n_items, std::vector<double>(K, 0.0));
    std::vector<std::vector<std::string>> text(n_items, std::vector<std::string>(K));
    for (std::size_t i = 0; i < n_items; ++i) {
      gold[i] = static_cast<std::size_t>(item_rng.below(K));
      double sum = 0;
      for (std::size_t k = 0; k < K; ++k) sum += weight[i][k] = (k == gold[i]) ? 0.0 : item_rng.gamma(1.0);
      for (std::size_t k = 0; k < K; ++k) weight[i][k] /= sum;
      for (std::size_t k = 0; k < K; ++k) {
        const std::size_t words = 1 + static_cast<std::size_t>(item_rng.below(5));
        for (std::size_t w = 0; w < words; ++w)
          text[i][k] += std::string(w ? " " : "") + kWords[item_rng.below(sizeof kWords / sizeof *kWords)];
      }
    }
    Matrix acc(P.rows(), P.cols());
    for (std::size_t j = 0; j < models.size(); ++j) {
      const fs::path folder = root / "samples" / models[j].name;
      fs::create_directories(folder, ec);
      if (ec) throw UserError("cannot create " + folder.string() + ": " + ec.message());
      const std::string path = (folder / ("samples_" + set_names[s] + "_" + opt.date + ".jsonl")).string();
      OutFile f(path);
      SynthRng rng(synth_mix64(opt.seed ^ synth_mix64((s + 1) * 0x9e3779b97f4a7c15ull + j)));
      const double per_word = std::isnan(models[j].loss) ? 0.0 : 0.1 * models[j].loss;
      std::vector<double> logp(K), ll(K);
      for (std::size_t i = 0; i < n_items; ++i) {
        const double p = std::clamp(P(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)), 1e-6, 1 - 1e-6);
        double top = -INFINITY;
        for (std::size_t k = 0; k < K; ++k) {
          const double pi = k == gold[i] ? p : (1 - p) * std::max(weight[i][k], 1e-12);
          logp[k] = std::log(pi) + opt.noise * rng.normal();
          top = std::max(top, logp[k]);
        }
        double z = 0;
        for (std::size_t k = 0; k < K; ++k) z += std::exp(logp[k] - top);
        std::size_t best = 0, best_norm = 0;
        for (std::size_t k = 0; k < K; ++k) {
          const double words = static_cast<double>(std::count(text[i][k].begin(), text[i][k].end(), ' ') + 1);
          ll[k] = logp[k] - top - std::log(z) - words * per_word;
          ll[k] = std::round(ll[k] * 1e4) / 1e4;  // lm-eval logs carry short decimals
          if (ll[k] > ll[best]) best = k;
          if (ll[k] / static_cast<double>(text[i][k].size()) > ll[best_norm] / static_cast<double>(text[i][best_norm].size()))
            best_norm = k;
        }
        const bool correct = best == gold[i], correct_norm = best_norm == gold[i];
        acc(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = correct ? 1.0 : 0.0;
        const std::string question = fmt::format("Synthetic question {} of {}?", i, set_names[s]);
        std::string line = fmt::format("{{\"doc_id\": {}, \"doc\": {{\"question\": {}, \"choices\": [", i, json_string(question));
        for (std::size_t k = 0; k < K; ++k) line += (k ? ", " : "") + json_string(text[i][k]);
        line += fmt::format("], \"answer\": {}}}, \"target\": \"{}\", \"arguments\": {{", gold[i], gold[i]);
        for (std::size_t k = 0; k < K; ++k)
          line += fmt::format("{}\"gen_args_{}\": {{\"arg_0\": {}, \"arg_1\": {}}}", k ? ", " : "", k,
                              json_string("Question: " + question + "\nAnswer:"), json_string(" " + text[i][k]));
        std::string resps = "[", filtered = "[";
        for (std::size_t k = 0; k < K; ++k) {
          const std::string pair = fmt::format("[\"{}\", \"{}\"]", py_float(ll[k]), k == best ? "True" : "False");
          resps += (k ? ", [" : "[") + pair + "]";
          filtered += (k ? ", " : "") + pair;
        }
        line += "}, \"resps\": " + resps + "], \"filtered_resps\": " + filtered +
                fmt::format("], \"filter\": \"none\", \"metrics\": [\"acc\", \"acc_norm\"], \"acc\": {}, \"acc_norm\": {}}}\n",
                            correct ? "1.0" : "0.0", correct_norm ? "1.0" : "0.0");
        f.write(line);
      }
      f.close();
      out.files.push_back(path);
    }
    out.acc.push_back(std::move(acc));
  }
  return out;
}

}  // namespace cod
