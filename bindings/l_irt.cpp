// cod.core.irt: the joint item-response fit (engine irt.hpp). fit(Y [, opts]) returns the
// smooth per-item curves and the fitted parameters; the documented API is stdlib/cod/irt.lua.

#include <string>

#include "cod/irt.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

using codlua::guarded;
using codlua::set_field;

void push_numbers(lua_State* L, const std::vector<double>& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

// fit(Y, {weights=, slope_sd=, difficulty_sd=, ability_sd=, max_iterations=}) ->
//   {curves = cod.Matrix, ability = {}, difficulty = {}, slope = {}, objective, evaluations, converged, status}
int f_fit(lua_State* L) {
  const cod::Matrix Y = codlua::check_matrix(L, 1);
  codlua::Options opts(L, 2, "fit", {"weights", "slope_sd", "difficulty_sd", "ability_sd", "max_iterations"});
  cod::IrtOptions opt;
  opt.slope_sd = opts.number("slope_sd", opt.slope_sd);
  opt.difficulty_sd = opts.number("difficulty_sd", opt.difficulty_sd);
  opt.ability_sd = opts.number("ability_sd", opt.ability_sd);
  const long long iters = opts.integer("max_iterations", opt.max_iterations);
  if (iters < 1 || iters > 1000000) opts.fail("max_iterations", "must be in [1, 1000000]");
  opt.max_iterations = static_cast<int>(iters);
  for (const char* k : {"slope_sd", "difficulty_sd", "ability_sd"})
    if (opts.has(k) && !(opts.number(k, 1) > 0)) opts.fail(k, "must be > 0");
  cod::Matrix W;
  if (opts.has("weights")) {
    opts.push("weights");  // [.., weights]
    W = codlua::check_matrix(L, -1);
    lua_pop(L, 1);
  }
  return guarded(L, [&] {
    cod::IrtFit fit = cod::fit_irt(Y, W, opt);
    lua_createtable(L, 0, 8);  // [fit]
    codlua::push_matrix(L, std::move(fit.curves));
    lua_setfield(L, -2, "curves");
    push_numbers(L, fit.ability);
    lua_setfield(L, -2, "ability");
    push_numbers(L, fit.difficulty);
    lua_setfield(L, -2, "difficulty");
    push_numbers(L, fit.slope);
    lua_setfield(L, -2, "slope");
    set_field(L, "objective", fit.objective);
    set_field(L, "evaluations", fit.evaluations);
    set_field(L, "converged", fit.converged);
    set_field(L, "status", fit.status);
    return 1;
  });
}

// A fit table's number array field `key` (ability, difficulty, slope).
std::vector<double> fit_field(lua_State* L, const char* key) {
  lua_getfield(L, 1, key);  // [.., array]
  if (!lua_istable(L, -1)) luaL_error(L, "bad argument #1 to 'extrapolate' (a fit table with '%s' expected)", key);
  std::vector<double> v = codlua::check_number_array(L, -1, true);
  lua_pop(L, 1);
  return v;
}

// extrapolate(fit, compute, target) -> {ability, intercept, slope, metric, items = {}}
int f_extrapolate(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  cod::IrtFit fit;
  fit.ability = fit_field(L, "ability");
  fit.difficulty = fit_field(L, "difficulty");
  fit.slope = fit_field(L, "slope");
  if (fit.difficulty.size() != fit.slope.size())
    luaL_argerror(L, 1, "difficulty and slope must have one entry per item");
  const std::vector<double> compute = codlua::check_number_array(L, 2, true);
  const double target = luaL_checknumber(L, 3);
  return guarded(L, [&] {
    const cod::IrtExtrapolation e = cod::extrapolate_irt(fit, compute, target);
    lua_createtable(L, 0, 5);  // [result]
    set_field(L, "ability", e.ability);
    set_field(L, "intercept", e.intercept);
    set_field(L, "slope", e.slope);
    set_field(L, "metric", e.metric);
    push_numbers(L, e.items);
    lua_setfield(L, -2, "items");
    return 1;
  });
}

const luaL_Reg kFunctions[] = {{"fit", f_fit}, {"extrapolate", f_extrapolate}, {nullptr, nullptr}};

int luaopen_cod_core_irt(lua_State* L) { return codlua::new_module(L, kFunctions); }

codlua::ModuleRegistration reg_irt("cod.core.irt", luaopen_cod_core_irt);

}  // namespace
