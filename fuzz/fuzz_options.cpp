// libFuzzer target: option-table checking (codlua::Options, bindings/support.cpp) and the
// argument checks of the bound functions that take option tables.
//
// Each input builds, in a fresh Lua state with every cod.core module preloaded, one Lua
// value tree (usually a table: an option table with fuzzed keys and values of every Lua
// type, nested tables, a matrix userdata, functions that raise) and calls one bound
// function with it under pcall: a probe that runs every Options getter, cluster methods,
// mapping.fit, law.fit (with a Lua form that raises inside the NLopt objective on a
// fuzzed call), data.from_tables, json.encode/decode and synth.ladder. The contract: a
// wrong option is a Lua error with a string message, never a crash, a C++ exception
// leaving the binding, a leak (LeakSanitizer checks each input) or an unbalanced stack.

#include <fuzzer/FuzzedDataProvider.h>

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "modules.hpp"
#include "support.hpp"

namespace {

[[noreturn]] void bug(const std::string& what) {
  std::fprintf(stderr, "fuzz_options: %s\n", what.c_str());
  std::abort();
}

// Keys the fuzzer should hit often: every option name of the functions driven below.
const char* const kKeys[] = {
    "alpha", "beta", "gamma", "delta", "epsilon",  // the probe's
    "quantile", "n_samples", "seed", "threads", "collapse", "max_bandwidth", "drop_zero", "bandwidth",
    "bin_seeding", "min_bin_freq", "cluster_all", "max_iter", "min_size", "max_rounds", "labels", "k",
    "patience", "n_init", "tol", "eps", "min_samples", "centres", "pass_rates", "method", "threshold",
    "lambda_min", "lambda_max", "monotone_grid", "weights", "fixed", "lower", "upper", "starts",
    "local_starts", "max_eval", "ftol_rel", "xtol_rel", "form", "models", "sets", "compute_unit", "name",
    "params", "tokens", "compute_flops", "role", "items", "pass", "n", "scores", "indent", "trials",
    "mix", "kinds", "anchors", "target", "min_flops", "max_flops", "target_factor", "single_answer",
    "emergent", "noisy", "zero", "ceiling", "non_emergent", "guess", "cap", "noise", "a", "b", "c", "g",
    "spline", "pchip", "quartic", "identity", "ladder", "1", ""};

const double kDoubles[] = {0.0, -0.0, 0.5, 0.1, 1.0, -1.0, 2.0, 1e-9, 1e-300, 4.9e-324, 1e18, 1e300,
                           DBL_MAX, -DBL_MAX, 1e308 * 10, -1e308 * 10, std::numeric_limits<double>::quiet_NaN(),
                           0.999999999, 1.0000001, 3.5, 1e4, -1e4, 9007199254740993.0};
const long long kInts[] = {0, 1, -1, 2, 3, 4, 5, 10, 64, 100, 1000, 10000, 100000, 10000000, INT_MAX,
                           static_cast<long long>(INT_MAX) + 1, INT_MIN, LLONG_MAX, LLONG_MIN, -2, 256, 257};

// Push one fuzzed Lua value (any type); `depth` bounds the nesting of tables.
void push_value(lua_State* L, FuzzedDataProvider& in, int depth);

void push_key(lua_State* L, FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 0: lua_pushinteger(L, in.ConsumeIntegralInRange<lua_Integer>(-2, 8)); break;
    case 1: lua_pushboolean(L, in.ConsumeBool()); break;
    case 2: {
      const std::string s = in.ConsumeRandomLengthString(12);
      lua_pushlstring(L, s.data(), s.size());
      break;
    }
    case 3: lua_pushnumber(L, 0.5); break;
    default: lua_pushstring(L, kKeys[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kKeys) - 1)]); break;
  }
}

void push_table(lua_State* L, FuzzedDataProvider& in, int depth) {
  const int n = in.ConsumeIntegralInRange<int>(0, 8);
  lua_createtable(L, 0, n);
  const bool array = in.ConsumeBool();
  for (int i = 1; i <= n; ++i) {
    if (array)
      lua_pushinteger(L, i);
    else
      push_key(L, in);
    push_value(L, in, depth + 1);
    lua_rawset(L, -3);  // keys are never nil or NaN here
  }
}

void push_value(lua_State* L, FuzzedDataProvider& in, int depth) {
  const int kind = in.ConsumeIntegralInRange<int>(0, depth >= 3 ? 6 : 9);
  switch (kind) {
    case 0: lua_pushboolean(L, in.ConsumeBool()); break;
    case 1: lua_pushinteger(L, kInts[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kInts) - 1)]); break;
    case 2: lua_pushnumber(L, kDoubles[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kDoubles) - 1)]); break;
    case 3: lua_pushnumber(L, in.ConsumeFloatingPoint<double>()); break;
    case 4: {
      const std::string s = in.ConsumeRandomLengthString(16);
      lua_pushlstring(L, s.data(), s.size());
      break;
    }
    case 5: lua_pushstring(L, kKeys[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kKeys) - 1)]); break;
    case 6:
      // A function from the driver's palette (registry field "fuzz_funcs").
      lua_getfield(L, LUA_REGISTRYINDEX, "fuzz_funcs");
      lua_rawgeti(L, -1, in.ConsumeIntegralInRange<int>(1, 3));
      lua_remove(L, -2);
      break;
    case 7: {
      cod::Matrix m(3, 2);
      m << 0.1, 0.2, 0.5, 0.5, 0.9, 1.0;
      codlua::push_matrix(L, std::move(m));
      break;
    }
    default: push_table(L, in, depth); break;
  }
}

// The probe: one bound function that runs every Options getter on fixed keys.
int probe(lua_State* L) {
  return codlua::guarded(L, [&] {
    const codlua::Options o(L, 1, "probe", {"alpha", "beta", "gamma", "delta", "epsilon"});
    const int top = lua_gettop(L);
    int n = 0;
    for (const char* k : {"alpha", "beta", "gamma", "delta", "epsilon"}) n += o.has(k);
    const double a = o.number("alpha", 1.0);
    const long long b = o.integer("beta", 2);
    const bool g = o.boolean("gamma", false);
    const std::string d = o.string("delta", "x");
    const auto e = o.number("epsilon");
    o.push("epsilon");
    lua_pop(L, 1);
    if (lua_gettop(L) != top) bug("Options getters left values on the stack");
    if (std::isnan(a)) bug("Options::number returned NaN");
    lua_pushinteger(L, n + (g ? 1 : 0) + static_cast<int>(d.size() > 0) + static_cast<int>(b & 1) + (e ? 1 : 0));
    return 1;
  });
}

// The driver: calls the chosen function under pcall and checks the outcome. Work-size
// options (iterations, sizes, grids) are capped at 64 so that one input stays fast;
// their upper-bound checks are tested by the unit tests, not here.
const char* kDriver = R"lua(
local which, t, probe, raw, k = ...
local cluster = require("cod.core.cluster")
local mapping = require("cod.core.mapping")
local law = require("cod.core.law")
local data = require("cod.core.data")
local json = require("cod.core.json")
local synth = require("cod.core.synth")
local work = { max_iter = 1, n_init = 1, patience = 1, k = 1, min_size = 1, max_rounds = 1, min_bin_freq = 1,
  n_samples = 1, monotone_grid = 1, local_starts = 1, max_eval = 1, items = 1, models = 1, trials = 1,
  anchors = 1, indent = 1, threads = 1 }
local function cap(v, seen)
  if type(v) ~= "table" or seen[v] then return end
  seen[v] = true
  for key, x in pairs(v) do
    if work[key] and math.type(x) and x > 64 then v[key] = 64 end
    cap(x, seen)
  end
end
cap(t, {})
local X = { { 0, 0, 0 }, { 0.1, 0.2, 0.3 }, { 0.1, 0.2, 0.35 }, { 0.5, 0.6, 0.7 }, { 0.5, 0.62, 0.7 },
  { 0.9, 0.95, 1 }, { 0.88, 0.95, 1 }, { 0.2, 0.1, 0.3 }, { 1, 1, 1 }, { 0.3, 0.3, 0.3 } }
local C, y = { 1, 2, 4, 8, 16, 32 }, { 0.1, 0.15, 0.22, 0.3, 0.41, 0.5 }
local calls = 0
local form = { name = "lin", params = { "a", "b" }, lower = { -10, -10 }, upper = { 10, 10 },
  starts = { { 0.1, 0.1 }, { 1, 0 } },
  f = function(c, p)
    calls = calls + 1
    if calls == k then error("boom in f at call " .. calls) end
    return p.a * math.log(c) / 10 + p.b
  end }
local calls_of = {
  function() return probe(t) end,
  function() return cluster.estimate_bandwidth(X, t) end,
  function() return cluster.meanshift(X, t) end,
  function() return cluster.improved_meanshift(X, t) end,
  function() return cluster.kmeans(X, t) end,
  function() return cluster.improved_kmeans(X, t) end,
  function() return cluster.dbscan(X, t) end,
  function() return cluster.quality(X, { 1, 1, 1, 2, 2, 2, -1, 1, 2, -1 }, t) end,
  function() return cluster.meanshift(t) end,
  function() return mapping.fit({ { 0.2, 0.3 }, { 0.5, 0.55 }, { 0.7, 0.8 } }, t) end,
  function() return mapping.fit(t) end,
  function() return law.fit("cod", C, y, t) end,
  function() return law.fit(form, C, y, t) end,
  function() return law.fit(t, C, y) end,
  function() return data.from_tables(t) end,
  function() return json.encode(t, { indent = 1 }) end,
  function() return json.decode(raw) end,
  function() return synth.ladder(t) end,
}
local f = calls_of[which % #calls_of + 1]
local ok, err = pcall(f)
if not ok and (type(err) ~= "string" or #err == 0) then
  error("a bound function raised a non-string error: " .. tostring(err))
end
if not ok and which % #calls_of == 0 then
  local msg = err:gsub("^[^:\n]*:%d+: ", "")  -- luaL_error's "chunk:line: " of the caller
  if not (msg:find("^bad option '") or msg:find("^bad argument #1 to '[^']*' %(option table expected, got %a+%)$")) then
    error("the probe raised an unexpected message: " .. err)
  end
end
return ok
)lua";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  lua_State* L = luaL_newstate();
  if (!L) bug("no Lua state");
  luaL_openlibs(L);
  codlua::preload_modules(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, "cod.core.matrix");
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) bug(std::string("cannot load cod.core.matrix: ") + lua_tostring(L, -1));
  // Palette of functions for option values: one raises, one returns a number, one a table.
  if (luaL_dostring(L, "return { function() error('raised from an option value') end, "
                       "function() return 0.5 end, function() return {} end }") != LUA_OK)
    bug("palette");
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_funcs");
  lua_pushcfunction(L, probe);
  lua_setglobal(L, "probe");
  if (luaL_loadbuffer(L, kDriver, std::strlen(kDriver), "=driver") != LUA_OK)
    bug(std::string("driver: ") + lua_tostring(L, -1));
  const int top = lua_gettop(L);  // [driver]
  lua_pushinteger(L, in.ConsumeIntegral<std::uint8_t>());
  push_value(L, in, 0);
  lua_getglobal(L, "probe");
  lua_pushinteger(L, in.ConsumeIntegralInRange<int>(0, 400));  // the call of f that raises (0: none)
  const std::string raw = in.ConsumeRemainingBytesAsString();
  lua_pushlstring(L, raw.data(), raw.size());
  lua_insert(L, -2);  // [driver, which, t, probe, raw, k]
  if (lua_pcall(L, 5, 1, 0) != LUA_OK) bug(std::string("driver: ") + lua_tostring(L, -1));
  if (lua_gettop(L) != top) bug("stack not balanced after the driver");
  lua_close(L);
  return 0;
}
