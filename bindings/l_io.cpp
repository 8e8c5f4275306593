// cod.core.io: the readers of SPEC §12 (items / models / scores CSV, lm-eval logs).
// Every reading error is raised with the file, the line and the column.

#include <string>
#include <string_view>

#include "cod/csv.hpp"
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

// io.read_csv(path, expected) -> {header = {...}, rows = {{...}, ...}, lines = {...}}
// A CSV file with a header, parsed by the engine's reader (cod/csv.hpp: quoted commas and
// line breaks, CRLF, a BOM); lines[i] is the physical line where rows[i] starts.
// `expected` describes the header in the "empty file" message. Errors name file and line.
int f_read_csv(lua_State* L) {
  return codlua::guarded(L, [&] {
    const std::string path = luaL_checkstring(L, 1);
    const std::string expected = luaL_checkstring(L, 2);
    cod::csv::Table table(path, expected);
    lua_createtable(L, 0, 3);  // [t]
    codlua::push_string_array(L, table.header());
    lua_setfield(L, -2, "header");  // [t]
    lua_newtable(L);                // [t, rows]
    lua_newtable(L);                // [t, rows, lines]
    lua_Integer n = 0;
    const int ncols = static_cast<int>(table.header().size());
    while (table.next()) {
      ++n;
      lua_createtable(L, ncols, 0);  // [t, rows, lines, row]
      for (int c = 0; c < ncols; ++c) {
        const std::string_view f = table.field(c);
        lua_pushlstring(L, f.data(), f.size());
        lua_rawseti(L, -2, c + 1);
      }
      lua_rawseti(L, -3, n);  // [t, rows, lines]
      lua_pushinteger(L, static_cast<lua_Integer>(table.line()));
      lua_rawseti(L, -2, n);
    }
    lua_setfield(L, -3, "lines");  // [t, rows]
    lua_setfield(L, -2, "rows");   // [t]
    return 1;
  });
}

const luaL_Reg kFunctions[] = {{"read", f_read}, {"load_dir", f_load_dir}, {"read_csv", f_read_csv},
                               {nullptr, nullptr}};

int luaopen_cod_core_io(lua_State* L) { return codlua::new_module(L, kFunctions); }

codlua::ModuleRegistration reg_io("cod.core.io", luaopen_cod_core_io);

}  // namespace
