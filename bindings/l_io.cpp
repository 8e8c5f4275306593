// cod.core.io: the readers of SPEC §12 (items / models / scores CSV, lm-eval logs).
// Every reading error is raised with the file, the line and the column.

#include <string>

#include "cod/io.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

constexpr const char* kDatasetType = "cod.Dataset";

void push_dataset(lua_State* L, cod::Dataset ds) {
  // The metatable lives in cod.core.data; make sure it is registered.
  lua_getglobal(L, "require");
  lua_pushstring(L, "cod.core.data");
  lua_call(L, 1, 0);
  codlua::push_box(L, std::make_shared<cod::Dataset>(std::move(ds)), kDatasetType);
}

// io.read{models=, items=, scores=, lmeval=, metric=, filter=, tasks=, responses=, strip=, ignore_case=,
//         ignore_punctuation=, runs=, compute_unit=} -> cod.Dataset
int f_read(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  codlua::Options opts(L, 1, "read", {"models", "items", "scores", "lmeval", "metric", "filter", "tasks", "responses", "strip",
                                          "ignore_case", "ignore_punctuation", "runs", "compute_unit"});
  cod::DatasetFiles files;
  auto models = opts.string("models");
  if (!models) opts.fail("models", "a models CSV path is required");
  files.models = *models;
  files.items = opts.string("items");
  files.scores = opts.string("scores");
  files.lmeval_dir = opts.string("lmeval");
  files.lmeval.metric = opts.string("metric", files.lmeval.metric);
  files.lmeval.filter = opts.string("filter", files.lmeval.filter);
  if (opts.has("tasks")) {
    opts.push("tasks");
    files.lmeval.tasks = codlua::check_string_array(L, -1);
    lua_pop(L, 1);
  }
  files.lmeval.responses = opts.boolean("responses", false);
  files.lmeval.match.strip = opts.boolean("strip", files.lmeval.match.strip);
  files.lmeval.match.ignore_case = opts.boolean("ignore_case", false);
  files.lmeval.match.ignore_punctuation = opts.boolean("ignore_punctuation", false);
  files.lmeval.runs = opts.string("runs", files.lmeval.runs);
  if (files.lmeval.runs != "average" && files.lmeval.runs != "newest")
    opts.fail("runs", "expected \"average\" or \"newest\", got '" + files.lmeval.runs + "'");
  files.compute_unit = opts.number("compute_unit", 1e18);
  if (!(files.compute_unit > 0)) opts.fail("compute_unit", "must be > 0");
  if (!files.items && !files.scores && !files.lmeval_dir)
    opts.fail("items", "give at least one of items, scores or lmeval");
  return codlua::guarded(L, [&] {
    cod::Dataset ds = cod::read_dataset(files);
    push_dataset(L, std::move(ds));
    return 1;
  });
}

// io.load_dir(dir [, {compute_unit=}]) -> cod.Dataset
int f_load_dir(lua_State* L) {
  const std::string dir = luaL_checkstring(L, 1);
  codlua::Options opts(L, 2, "load_dir", {"compute_unit"});
  const double unit = opts.number("compute_unit", 1e18);
  if (!(unit > 0)) opts.fail("compute_unit", "must be > 0");
  return codlua::guarded(L, [&] {
    push_dataset(L, cod::read_dataset_dir(dir, unit));
    return 1;
  });
}

const luaL_Reg kFunctions[] = {{"read", f_read}, {"load_dir", f_load_dir}, {nullptr, nullptr}};

int luaopen_cod_core_io(lua_State* L) { return codlua::new_module(L, kFunctions); }

codlua::ModuleRegistration reg_io("cod.core.io", luaopen_cod_core_io);

}  // namespace
