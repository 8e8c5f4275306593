// lm-evaluation-harness `--log_samples` output: <dir>/<model>/samples_<task>_<date>.jsonl,
// one JSON object per line (doc_id, doc, target, arguments, resps, filtered_resps, filter,
// metrics, hashes, then each metric's value as a top-level key).

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cod/csv.hpp"
#include "cod/error.hpp"
#include "io_builder.hpp"
#include "lmeval_sample.hpp"

namespace cod {
namespace io_detail {

namespace {

namespace fs = std::filesystem;
namespace od = simdjson::ondemand;

// lm-eval's date id is datetime.isoformat() with ':' replaced: 2024-05-01T12-00-00.123456.
bool looks_like_date(std::string_view s) {
  if (s.size() < 10) return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  return s[4] == '-' && s[7] == '-';
}

// Task named by a samples file, or "" when the name is not samples_*.jsonl. The task may contain
// underscores, so the date is the last '_'-separated part, and only when it looks like a date.
std::string task_of(const std::string& filename, std::string* date = nullptr) {
  const std::string prefix = "samples_", suffix = ".jsonl";
  if (filename.size() <= prefix.size() + suffix.size() || filename.compare(0, prefix.size(), prefix) != 0 ||
      filename.compare(filename.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "";
  const std::string stem = filename.substr(prefix.size(), filename.size() - prefix.size() - suffix.size());
  const auto us = stem.rfind('_');
  if (us != std::string::npos && us > 0 && looks_like_date(std::string_view(stem).substr(us + 1))) {
    if (date) *date = stem.substr(us + 1);
    return stem.substr(0, us);
  }
  return stem;
}

struct SamplesFile {
  std::string path;
  std::string task;
  std::string date;
};

struct ModelFolder {
  std::string path;
  std::string name;
  std::vector<SamplesFile> files;  // sorted by task, then file name
};

// Reads the lines of one file that pass the filter into the builder.
class SamplesReader {
public:
  SamplesReader(const LmEvalOptions& opts, Builder& b) : opts_(opts), b_(b) {}

  // Returns the number of lines used; adds the filters seen to `filters`.
  std::size_t read(const std::string& path, std::uint32_t set, std::uint32_t model, std::set<std::string>& filters) {
    const std::string buf = csv::read_file(path, simdjson::SIMDJSON_PADDING);
    const std::size_t size = buf.size() - simdjson::SIMDJSON_PADDING;
    const char* data = buf.data();
    path_ = &path;
    src_ = b_.add_source(path, true);
    std::size_t used = 0, pos = 0;
    // A UTF-8 byte-order mark (some editors and Windows tools write one) is not part of the JSON.
    if (size >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    line_ = 0;
    std::fill(seen_line_.begin(), seen_line_.end(), 0u);
    while (pos < size) {
      ++line_;
      const void* nl = std::memchr(data + pos, '\n', size - pos);
      const std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : size;
      std::size_t b = pos, e = end;
      while (b < e && (data[b] == ' ' || data[b] == '\t' || data[b] == '\r')) ++b;
      while (e > b && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\r')) --e;
      pos = end + 1;
      if (b == e) continue;  // blank line
      // The rest of the buffer (later lines, then the zero padding) is the padding simdjson needs.
      used += line(data + b, e - b, buf.size() - b, set, model, filters);
    }
    return used;
  }

private:
  [[noreturn]] void fail(const std::string& column, const std::string& what) const {
    throw InputError(*path_, line_, column, what);
  }
  [[noreturn]] void bad_json(simdjson::error_code e) const {
    fail("", std::string("invalid JSON (") + simdjson::error_message(e) + "; expected one JSON object per line)");
  }

  std::size_t line(const char* p, std::size_t len, std::size_t capacity, std::uint32_t set, std::uint32_t model,
                   std::set<std::string>& filters) {
    od::document doc;
    if (auto e = parser_.iterate(p, len, capacity).get(doc)) bad_json(e);
    od::object obj;
    if (auto e = doc.get_object().get(obj)) {
      if (e == simdjson::INCORRECT_TYPE || e == simdjson::SCALAR_DOCUMENT_AS_VALUE)
        fail("", "expected a JSON object (one sample per line), got another JSON value");
      bad_json(e);
    }
    bool has_id = false, has_metric = false, has_target = false;
    std::string_view filter = "none";  // lines without "filter" count as filter "none"
    double metric = 0;
    const char* metric_type = nullptr;  // set when the metric is present but not a number or bool
    SampleResponses resp;
    try {
      for (auto res : obj) {
        od::field field;
        if (auto e = std::move(res).get(field)) bad_json(e);
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) bad_json(e);
        if (key == "doc_id") {
          has_id = scalar_text(field.value(), "doc_id", false, doc_id_);
        } else if (key == "filter") {
          if (auto e = field.value().get_string().get(filter)) {
            if (e == simdjson::INCORRECT_TYPE) fail("filter", "expected a string (the filter's name)");
            bad_json(e);
          }
        } else if (key == "target") {
          has_target = scalar_text(field.value(), "target", true, target_);
        } else if (key == "filtered_resps") {
          parse_filtered_resps(field.value(), resp);
        } else if (key == "arguments") {
          parse_arguments(field.value(), resp);
        } else if (!opts_.responses && key == opts_.metric) {
          od::json_type t;
          if (auto e = field.value().type().get(t)) bad_json(e);
          has_metric = true;
          if (t == od::json_type::boolean) {
            bool v = false;
            if (auto e = field.value().get_bool().get(v)) bad_json(e);
            metric = v ? 1.0 : 0.0;
          } else if (t == od::json_type::number) {
            if (auto e = field.value().get_double().get(metric)) bad_json(e);
          } else {
            metric_type = json_type_word(t);
          }
        }
      }
      finish(resp);
    } catch (const SampleError& e) {
      fail(e.key, e.what());
    }
    // ondemand stops after the object; anything after it (e.g. two samples run together on one
    // line by concurrent writers) would otherwise be dropped without a word. Note that values
    // ondemand skips (doc, resps, ...) are checked for structure by its index, not validated in depth.
    const char* rest = nullptr;
    if (!doc.current_location().get(rest))
      fail("", "text after the JSON object (expected one JSON object per line)");
    // Only the string's content outlives the document; copy it before the next line.
    if (filters.size() < 64) filters.emplace(filter);
    if (filter != opts_.filter) return 0;
    if (!has_id) fail("doc_id", "missing key (expected every line to have a doc_id)");

    double value = 0, trials = 1;
    if (opts_.responses) {
      if (!has_target) fail("target", "missing key (expected the target to compare the responses with)");
      if (!resp.has_resps) fail("filtered_resps", "missing key (expected the filtered responses of the line)");
      if (resp.texts.empty())
        fail("filtered_resps", resp.loglik.empty() ? "no responses (expected generated strings)"
                                                   : "holds log-likelihoods, not generated responses (pass rates from "
                                                     "responses need a generate-until task; read a metric instead)");
      value = static_cast<double>(matching_responses(resp, target_, opts_.match));
      trials = static_cast<double>(resp.texts.size());
    } else {
      if (!has_metric)
        fail(opts_.metric, "missing metric key; the metrics present are: " + metrics_present(p, len, capacity));
      if (metric_type)
        fail(opts_.metric, std::string("expected a number or a bool (0/1 or a value in [0, 1]), got ") + metric_type);
      if (!(metric >= 0 && metric <= 1)) fail(opts_.metric, fmt::format("value {} is outside [0, 1]", metric));
      value = metric;
    }
    LmFeatures features;
    features.fill(kUnknown);
    if (has_target && !resp.loglik.empty()) {
      try {
        features = loglik_features(resp, target_);
      } catch (const SampleError& e) {
        fail(e.key, e.what());
      }
    }

    const Origin here{src_, static_cast<std::uint32_t>(line_)};
    const std::uint32_t item = b_.item(set, doc_id_, here);
    // One file holds one run: the same doc_id twice under one filter is a broken or concatenated log.
    if (item >= seen_line_.size()) seen_line_.resize(std::max<std::size_t>(item + 1, 2 * seen_line_.size()), 0u);
    if (seen_line_[item] != 0)
      fail("doc_id", "doc_id " + csv::quote(doc_id_) + " appears twice with filter " + csv::quote(opts_.filter) +
                         " in this file (first at line " + std::to_string(seen_line_[item]) +
                         "; expected one line per document and filter)");
    seen_line_[item] = here.line;
    Cell& cell = b_.cell(set, item, model);
    const bool first = cell.origin.line == 0;
    if (first) {
      cell.value = value;
      cell.n = trials;
      cell.origin = here;
    } else if (b_.is_samples(cell.origin.source)) {
      cell.value += value;  // runs of one model and task average into one pass rate (LmEvalOptions::runs)
      cell.n += trials;
    } else {
      fail("doc_id", "task " + csv::quote(b_.set_build(set).name) + ", doc_id " + csv::quote(doc_id_) +
                         ", model " + csv::quote(b_.models()[model].name) + " already has a row in " +
                         b_.where(cell.origin, src_) + " (expected each result from one source only)");
    }
    FeatureSums& sums = b_.feature_sums(set, item, model);
    for (std::size_t k = 0; k < kLmEvalFeatureCount; ++k) sums[k] = first ? features[k] : sums[k] + features[k];
    sums[kLmEvalFeatureCount] = first ? 1 : sums[kLmEvalFeatureCount] + 1;
    return 1;
  }

  // doc_id or target into `out`: a string, or an integer (as text). `lenient` (target): other numbers are
  // kept as text and other values (a list of answers) give false: no single target, features unknown.
  bool scalar_text(od::value v, const char* key, bool lenient, std::string& out) {
    od::json_type t;
    if (auto e = v.type().get(t)) bad_json(e);
    if (t == od::json_type::string) {
      std::string_view s;
      if (auto e = v.get_string().get(s)) bad_json(e);
      out.assign(s.data(), s.size());
      return true;
    }
    if (t == od::json_type::number) {
      od::number num;
      if (auto e = v.get_number().get(num)) bad_json(e);
      if (num.is_int64()) out = std::to_string(num.get_int64());
      else if (num.is_uint64()) out = std::to_string(num.get_uint64());
      else if (lenient) out = fmt::format("{}", num.get_double());
      else fail(key, fmt::format("expected an integer or a string, got the number {}", num.get_double()));
      return true;
    }
    if (lenient) return false;
    fail(key, std::string("expected an integer or a string, got ") + json_type_word(t));
  }

  // For the missing-metric message: the line's "metrics" list, or else its number/bool keys.
  std::string metrics_present(const char* p, std::size_t len, std::size_t capacity) {
    std::vector<std::string> listed, numeric;
    od::document doc;
    od::object obj;
    if (parser_.iterate(p, len, capacity).get(doc) || doc.get_object().get(obj)) return "none";
    for (auto res : obj) {
      od::field field;
      std::string_view key;
      if (std::move(res).get(field) || field.unescaped_key().get(key)) break;
      od::json_type t;
      if (field.value().type().get(t)) break;
      if (key == "metrics" && t == od::json_type::array) {
        od::array arr;
        if (field.value().get_array().get(arr)) break;
        for (auto v : arr) {
          std::string_view s;
          if (!v.get_string().get(s)) listed.emplace_back(s);
        }
      } else if (key != "doc_id" && (t == od::json_type::number || t == od::json_type::boolean)) {
        numeric.emplace_back(key);
      }
    }
    const auto& names = listed.empty() ? numeric : listed;
    return names.empty() ? "none" : name_list(names, 20);
  }

  const LmEvalOptions& opts_;
  Builder& b_;
  od::parser parser_;
  const std::string* path_ = nullptr;
  std::uint32_t src_ = 0;
  std::size_t line_ = 0;
  std::string doc_id_;
  std::string target_;
  std::vector<std::uint32_t> seen_line_;  // per item of the current set: its line in this file, 0 = not yet
};

}  // namespace

void read_lmeval_dir(const std::string& dir, const LmEvalOptions& opts, Builder& b) {
  if (opts.metric.empty() && !opts.responses)
    throw UserError("lm-eval: no metric named (expected e.g. \"acc\" or \"exact_match\")");
  if (opts.runs != "average" && opts.runs != "newest")
    throw UserError("lm-eval: runs must be \"average\" or \"newest\", got " + csv::quote(opts.runs));
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (fs::exists(dir, ec)) throw InputError(dir, 0, "", "not a directory (expected an lm-eval --log_samples output folder)");
    throw InputError(dir, 0, "", "no such directory (expected an lm-eval --log_samples output folder)");
  }

  // List first (deterministic order: folders and files by name), read afterwards, so that
  // naming mistakes (unknown model, unknown task) surface before any long read.
  std::vector<ModelFolder> folders;
  std::set<std::string> tasks_present;
  bool samples_at_top = false;  // a common slip: passing <dir>/<model> instead of <dir>
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) {
      samples_at_top = samples_at_top || !task_of(it->path().filename().string()).empty();
      continue;
    }
    ModelFolder mf;
    mf.path = it->path().string();
    mf.name = it->path().filename().string();
    for (fs::directory_iterator jt(it->path(), ec), jend; !ec && jt != jend; jt.increment(ec)) {
      if (!jt->is_regular_file(ec)) continue;
      const std::string fname = jt->path().filename().string();
      std::string date;
      const std::string task = task_of(fname, &date);
      if (task.empty()) continue;  // results_*.json and other files
      tasks_present.insert(task);
      if (!opts.tasks.empty() && std::find(opts.tasks.begin(), opts.tasks.end(), task) == opts.tasks.end()) continue;
      mf.files.push_back({jt->path().string(), task, date});
    }
    if (ec) throw InputError(mf.path, 0, "", "cannot list the folder: " + ec.message());
    if (mf.files.empty()) continue;
    std::sort(mf.files.begin(), mf.files.end(), [](const SamplesFile& x, const SamplesFile& y) {
      return x.task != y.task ? x.task < y.task : x.path < y.path;
    });
    folders.push_back(std::move(mf));
  }
  if (ec) throw InputError(dir, 0, "", "cannot list the folder: " + ec.message());
  std::sort(folders.begin(), folders.end(), [](const ModelFolder& x, const ModelFolder& y) { return x.name < y.name; });

  const std::vector<std::string> present(tasks_present.begin(), tasks_present.end());
  for (const auto& t : opts.tasks)
    if (!tasks_present.count(t))
      throw InputError(dir, 0, "", "task " + csv::quote(t) + " not found (tasks present: " + name_list(present, 20) + ")");
  if (folders.empty())
    throw InputError(dir, 0, "",
                     samples_at_top
                         ? "this folder holds samples files itself, not in model folders (expected "
                           "<dir>/<model>/samples_<task>_<date>.jsonl, the model named by its folder: pass the "
                           "parent folder)"
                         : "no samples_<task>_<date>.jsonl files in its model folders (expected lm-eval output "
                           "written with --log_samples: <dir>/<model>/samples_<task>_<date>.jsonl)");
  for (const auto& mf : folders)
    if (b.model(mf.name) == kNone)
      throw InputError(mf.path, 0, "", b.unknown_model(mf.name) + "; the model is named by its folder");

  SamplesReader reader(opts, b);
  for (const auto& mf : folders) {
    const std::uint32_t model = b.model(mf.name);
    for (std::size_t f = 0; f < mf.files.size();) {
      const std::string& task = mf.files[f].task;
      const std::uint32_t set = b.set(task);
      std::set<std::string> filters;
      std::size_t used = 0, first = f, last = f;
      while (last < mf.files.size() && mf.files[last].task == task) ++last;
      // "newest": the file with the latest date id (ISO dates sort as strings; undated files first).
      std::size_t newest = first;
      for (std::size_t g = first + 1; g < last; ++g)
        if (std::tie(mf.files[g].date, mf.files[g].path) > std::tie(mf.files[newest].date, mf.files[newest].path))
          newest = g;
      for (; f < last; ++f) {
        SourceFile src{mf.files[f].path, task, mf.name, mf.files[f].date, 0, true};
        if (opts.runs == "newest" && f != newest) {
          src.used = false;
        } else {
          src.samples = reader.read(mf.files[f].path, set, model, filters);
          used += src.samples;
        }
        b.lmeval_sources.push_back(std::move(src));
      }
      const std::string& shown = mf.files[opts.runs == "newest" ? newest : first].path;
      if (used == 0 && filters.empty())
        throw InputError(shown, 0, "",
                         "no samples in the file (expected one JSON object per line, as lm-eval --log_samples writes)");
      if (used == 0) {
        const std::vector<std::string> seen(filters.begin(), filters.end());
        throw InputError(shown, 0, "filter",
                         "no line has filter " + csv::quote(opts.filter) + " (filters present: " + name_list(seen, 20) +
                             "; expected one of them as the filter option)");
      }
    }
  }
}

}  // namespace io_detail
}  // namespace cod
