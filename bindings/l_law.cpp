// cod.core.law: scaling-law fits. The documented API is stdlib/cod/law.lua.
//
// A form is a built-in name ("cod", "f1", ..., "bnsl", "loss_power",
// "loss_sigmoid") or a normalised Lua form table
//   {name = s, params = {..}, lower = {..}, upper = {..}, starts = {{..}, ..},
//    f = function(C, p) ... end, grad = function(C, p) ... end | nil}
// (law.form builds and checks it). A Lua form's f runs inside NLopt's
// objective: every call goes through lua_pcall, so a Lua error never unwinds
// through NLopt's C frames; it becomes a cod::Error that the engine stores,
// stops the run on, and rethrows after optimize() returns.

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cod/error.hpp"
#include "cod/law.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

// ------------------------------------------------------------------ Lua forms

// What one call of a Lua form needs; lives on the C++ stack of the binding
// for the duration of one fit (the engine copies nothing of it).
struct LuaFormCall {
  lua_State* L = nullptr;
  int f_idx = 0;  // absolute stack index of f in the binding's frame
  int g_idx = 0;  // of grad, 0 when none
  std::string name;
  std::vector<std::string> params;
  // Per call:
  double x = 0.0;
  const double* q = nullptr;
  double* grad = nullptr;  // null: value only
  double value = 0.0;
};

// Push p = {name = value, ...} for the current call.
void push_param_table(lua_State* L, const LuaFormCall& c) {
  lua_createtable(L, 0, static_cast<int>(c.params.size()));
  for (std::size_t i = 0; i < c.params.size(); ++i) {
    lua_pushnumber(L, c.q[i]);
    lua_setfield(L, -2, c.params[i].c_str());
  }
}

// Runs protected (lua_pcall): [f, grad|nil, ctx] -> calls f(C, p) and grad(C, p).
// Everything that can raise (allocation, the user's code, bad results)
// happens here, inside the protected call.
int lua_form_trampoline(lua_State* L) {
  auto* c = static_cast<LuaFormCall*>(lua_touserdata(L, 3));
  lua_pushvalue(L, 1);  // [f, g, ctx, f]
  lua_pushnumber(L, c->x);
  push_param_table(L, *c);  // [f, g, ctx, f, C, p]
  lua_call(L, 2, 1);        // [f, g, ctx, v]
  int isnum = 0;
  const double v = lua_tonumberx(L, -1, &isnum);
  if (!isnum || lua_type(L, -1) != LUA_TNUMBER)
    return luaL_error(L, "f must return a number, got %s (C = %f)", luaL_typename(L, -1), c->x);
  c->value = v;
  lua_pop(L, 1);  // [f, g, ctx]
  if (c->grad) {
    lua_pushvalue(L, 2);
    lua_pushnumber(L, c->x);
    push_param_table(L, *c);
    lua_call(L, 2, 1);  // [f, g, ctx, d]
    if (!lua_istable(L, -1)) return luaL_error(L, "grad must return a table, got %s", luaL_typename(L, -1));
    for (std::size_t i = 0; i < c->params.size(); ++i) {
      lua_getfield(L, -1, c->params[i].c_str());
      int ok = 0;
      const double d = lua_tonumberx(L, -1, &ok);
      if (!ok || lua_type(L, -1) != LUA_TNUMBER)
        return luaL_error(L, "grad must return a number for '%s', got %s", c->params[i].c_str(),
                          luaL_typename(L, -1));
      c->grad[i] = d;
      lua_pop(L, 1);
    }
  }
  return 0;
}

// The model of a Lua form: one protected call per evaluation.
double call_lua_form(LuaFormCall& c, double x, const double* q, double* grad) {
  lua_State* L = c.L;
  if (!lua_checkstack(L, 8)) throw cod::Error(fmt::format("form '{}': Lua stack overflow", c.name));
  c.x = x;
  c.q = q;
  c.grad = grad;
  lua_pushcfunction(L, lua_form_trampoline);  // light C function: no allocation
  lua_pushvalue(L, c.f_idx);
  if (c.g_idx)
    lua_pushvalue(L, c.g_idx);
  else
    lua_pushnil(L);
  lua_pushlightuserdata(L, &c);
  if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
    // Read the error value without allocating in Lua: strings as they are,
    // anything else by its type name.
    std::string msg;
    if (lua_type(L, -1) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      msg.assign(s, len);
    } else {
      msg = fmt::format("(error object is a {} value)", luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    throw cod::Error(fmt::format("form '{}': {}", c.name, msg));
  }
  return c.value;
}

// Read the normalised Lua form table at `idx` (absolute) into a Form whose
// model calls back into Lua through `call`.
std::shared_ptr<cod::law::Form> check_lua_form(lua_State* L, int idx, int argn, LuaFormCall& call) {
  auto bad = [&](const std::string& msg) { luaL_argerror(L, argn, msg.c_str()); };
  auto form = std::make_shared<cod::law::Form>();
  if (lua_getfield(L, idx, "name") != LUA_TSTRING) bad("form.name must be a string");
  form->name = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "params") != LUA_TTABLE) bad("form.params must be a table of names");
  form->params = codlua::check_string_array(L, lua_gettop(L));
  lua_pop(L, 1);
  const std::size_t P = form->params.size();
  if (P == 0) bad("form.params is empty");
  form->fit_params = form->params;
  auto numbers = [&](const char* key) {
    if (lua_getfield(L, idx, key) != LUA_TTABLE) bad(fmt::format("form.{} must be a table of numbers", key));
    auto v = codlua::check_number_array(L, lua_gettop(L));
    lua_pop(L, 1);
    if (v.size() != P) bad(fmt::format("form.{} has {} values for {} parameters", key, v.size(), P));
    return v;
  };
  form->lower = numbers("lower");
  form->upper = numbers("upper");
  std::vector<std::vector<double>> starts;
  if (lua_getfield(L, idx, "starts") != LUA_TTABLE) bad("form.starts must be a table of start points");
  const int st = lua_gettop(L);
  for (lua_Integer i = 1, n = luaL_len(L, st); i <= n; ++i) {
    if (lua_geti(L, st, i) != LUA_TTABLE) bad(fmt::format("form.starts[{}] must be a table of numbers", i));
    starts.push_back(codlua::check_number_array(L, lua_gettop(L)));
    if (starts.back().size() != P)
      bad(fmt::format("form.starts[{}] has {} values for {} parameters", i, starts.back().size(), P));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "f") != LUA_TFUNCTION) bad("form.f must be a function");
  call.f_idx = lua_gettop(L);  // stays on the stack for the whole call
  const int gt = lua_getfield(L, idx, "grad");
  if (gt != LUA_TNIL && gt != LUA_TFUNCTION) bad("form.grad must be a function or nil");
  call.g_idx = gt == LUA_TFUNCTION ? lua_gettop(L) : 0;
  call.L = L;
  call.name = form->name;
  call.params = form->params;

  form->scale_compute = false;
  form->domain = cod::law::YDomain::Finite;
  form->thread_safe = false;
  form->analytic_gradient = call.g_idx != 0;
  LuaFormCall* cp = &call;
  form->model = [cp](double x, double, const double* q, double* grad) { return call_lua_form(*cp, x, q, grad); };
  form->starts = [starts](const std::vector<double>&, const std::vector<double>&) { return starts; };
  return form;
}

// ------------------------------------------------------------------ options

// A table {name = number, ...} from option `key`.
std::map<std::string, double> named_numbers(lua_State* L, const codlua::Options& opts, const char* key) {
  std::map<std::string, double> out;
  opts.push(key);  // [t]
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return out;
  }
  if (!lua_istable(L, -1)) opts.fail(key, std::string("table expected, got ") + luaL_typename(L, -1));
  const int t = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {  // [t, k, v]
    if (lua_type(L, -2) != LUA_TSTRING) opts.fail(key, "keys must be parameter names");
    if (lua_type(L, -1) != LUA_TNUMBER)
      opts.fail(key, fmt::format("{} must be a number, got {}", lua_tostring(L, -2), luaL_typename(L, -1)));
    const double v = lua_tonumber(L, -1);
    if (std::isnan(v)) opts.fail(key, fmt::format("{} is NaN", lua_tostring(L, -2)));
    out[lua_tostring(L, -2)] = v;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return out;
}

#define COD_FIT_OPTION_KEYS "weights", "fixed", "lower", "upper", "starts", "local_starts", "max_eval", "ftol_rel", "xtol_rel"

cod::law::FitOptions fit_options(lua_State* L, const codlua::Options& opts) {
  cod::law::FitOptions o;
  if (opts.has("weights")) {
    opts.push("weights");
    if (!lua_istable(L, -1)) opts.fail("weights", std::string("table expected, got ") + luaL_typename(L, -1));
    const int t = lua_gettop(L);
    for (lua_Integer i = 1, n = luaL_len(L, t); i <= n; ++i) {
      lua_geti(L, t, i);
      if (lua_type(L, -1) != LUA_TNUMBER)
        opts.fail("weights", fmt::format("element {} is a {}, expected a number", i, luaL_typename(L, -1)));
      o.weights.push_back(lua_tonumber(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  o.fixed = named_numbers(L, opts, "fixed");
  o.lower = named_numbers(L, opts, "lower");
  o.upper = named_numbers(L, opts, "upper");
  if (opts.has("starts")) {
    opts.push("starts");
    if (!lua_istable(L, -1)) opts.fail("starts", std::string("table expected, got ") + luaL_typename(L, -1));
    const int t = lua_gettop(L);
    for (lua_Integer i = 1, n = luaL_len(L, t); i <= n; ++i) {
      if (lua_geti(L, t, i) != LUA_TTABLE) opts.fail("starts", fmt::format("start {} must be a table of numbers", i));
      std::vector<double> s;
      const int si = lua_gettop(L);
      for (lua_Integer k = 1, m = luaL_len(L, si); k <= m; ++k) {
        lua_geti(L, si, k);
        if (lua_type(L, -1) != LUA_TNUMBER)
          opts.fail("starts", fmt::format("start {}, value {} is a {}, expected a number", i, k, luaL_typename(L, -1)));
        s.push_back(lua_tonumber(L, -1));
        lua_pop(L, 1);
      }
      o.starts.push_back(std::move(s));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  const long long ls = opts.integer("local_starts", o.local_starts);
  if (ls < 1 || ls > 10000) opts.fail("local_starts", fmt::format("must be in [1, 10000], got {}", ls));
  o.local_starts = static_cast<int>(ls);
  const long long me = opts.integer("max_eval", o.max_eval);
  if (me < 1 || me > 100000000) opts.fail("max_eval", fmt::format("must be in [1, 1e8], got {}", me));
  o.max_eval = static_cast<int>(me);
  o.ftol_rel = opts.number("ftol_rel", o.ftol_rel);
  o.xtol_rel = opts.number("xtol_rel", o.xtol_rel);
  if (!(o.ftol_rel >= 0) || !(o.xtol_rel >= 0)) opts.fail(o.ftol_rel >= 0 ? "xtol_rel" : "ftol_rel", "must be >= 0");
  return o;
}

// ------------------------------------------------------------------ results

void push_names_values(lua_State* L, const std::vector<std::string>& names, const std::vector<double>& values) {
  lua_createtable(L, 0, static_cast<int>(names.size()));
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    lua_pushnumber(L, values[i]);
    lua_setfield(L, -2, names[i].c_str());
  }
}

// A FitResult as a plain table (law.lua gives it its methods).
void push_result(lua_State* L, const cod::law::FitResult& r) {
  const auto& f = *r.form;
  lua_createtable(L, 0, 20);
  codlua::set_field(L, "form", f.name);
  codlua::set_field(L, "ok", r.ok);
  if (!r.ok) codlua::set_field(L, "reason", r.reason);
  codlua::push_string_array(L, f.params);
  lua_setfield(L, -2, "param_names");
  codlua::push_string_array(L, f.fit_params);
  lua_setfield(L, -2, "fit_param_names");
  if (r.ok) {
    push_names_values(L, f.params, r.params);
    lua_setfield(L, -2, "params");
    codlua::push_number_array(L, r.fit_params);
    lua_setfield(L, -2, "fit_params");
    codlua::set_field(L, "sse", r.sse);
    codlua::set_field(L, "r2", r.r2);
  }
  lua_createtable(L, 0, 0);
  for (std::size_t i = 0; i < r.fixed.size(); ++i)
    if (r.fixed[i]) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, f.fit_params[i].c_str());
    }
  lua_setfield(L, -2, "fixed");
  codlua::set_field(L, "c_ref", r.c_ref);
  codlua::set_field(L, "n", r.n);
  codlua::set_field(L, "free", r.free);
  codlua::set_field(L, "converged", r.converged);
  codlua::set_field(L, "status", r.status);
  codlua::set_field(L, "evaluations", static_cast<long long>(r.evaluations));
  codlua::set_field(L, "local_runs", r.local_runs);
}

// The form argument at `argn`: a built-in name or a Lua form table.
std::shared_ptr<const cod::law::Form> check_form(lua_State* L, int argn, LuaFormCall& call) {
  if (lua_type(L, argn) == LUA_TSTRING) return cod::law::builtin_form(lua_tostring(L, argn));
  if (lua_istable(L, argn)) return check_lua_form(L, lua_absindex(L, argn), argn, call);
  luaL_argerror(L, argn, (std::string("form name or form table expected, got ") + luaL_typename(L, argn)).c_str());
  return nullptr;
}

// ------------------------------------------------------------------ functions

// fit(form, C, y [, opts]) -> result table
int l_fit(lua_State* L) {
  return codlua::guarded(L, [&] {
    const auto C = codlua::check_number_array(L, 2);
    const auto y = codlua::check_number_array(L, 3);
    codlua::Options opts(L, 4, "fit", {COD_FIT_OPTION_KEYS});
    const auto o = fit_options(L, opts);
    LuaFormCall call;
    const auto form = check_form(L, 1, call);  // may push f/grad; they stay for the call
    const auto r = cod::law::fit(form, C, y, o);
    push_result(L, r);
    return 1;
  });
}

// fit_clusters(P, labels, C [, opts]) -> { {label, size, y, fit}, ... }
int l_fit_clusters(lua_State* L) {
  return codlua::guarded(L, [&] {
    const cod::Matrix P = codlua::check_matrix(L, 1);
    const cod::Labels labels = codlua::check_labels(L, 2, 2);
    const auto C = codlua::check_number_array(L, 3);
    codlua::Options opts(L, 4, "fit_clusters", {COD_FIT_OPTION_KEYS, "form", "threads"});
    const auto o = fit_options(L, opts);
    const long long threads = opts.integer("threads", 1);
    if (threads < 1 || threads > 256) opts.fail("threads", fmt::format("must be in [1, 256], got {}", threads));
    LuaFormCall call;
    std::shared_ptr<const cod::law::Form> form;
    opts.push("form");  // [.., form]
    if (lua_isnil(L, -1))
      form = cod::law::builtin_form("cod");
    else if (lua_type(L, -1) == LUA_TSTRING || lua_istable(L, -1))
      form = check_form(L, lua_gettop(L), call);
    else
      opts.fail("form", std::string("form name or form table expected, got ") + luaL_typename(L, -1));
    const auto fits = cod::law::fit_clusters(form, P, labels, C, o, static_cast<int>(threads));
    lua_createtable(L, static_cast<int>(fits.size()), 0);
    for (std::size_t k = 0; k < fits.size(); ++k) {
      lua_createtable(L, 0, 4);
      codlua::set_field(L, "label", static_cast<long long>(codlua::lua_label(fits[k].label)));
      codlua::set_field(L, "size", fits[k].size);
      codlua::push_number_array(L, fits[k].y);
      lua_setfield(L, -2, "y");
      push_result(L, fits[k].fit);
      lua_setfield(L, -2, "fit");
      lua_rawseti(L, -2, static_cast<lua_Integer>(k + 1));
    }
    return 1;
  });
}

// eval(form_name, fit_params, c_ref, C) -> number, or an array for an array C
int l_eval(lua_State* L) {
  return codlua::guarded(L, [&] {
    const char* name = luaL_checkstring(L, 1);
    const auto q = codlua::check_number_array(L, 2);
    const double c_ref = luaL_checknumber(L, 3);
    if (lua_istable(L, 4)) {
      const auto C = codlua::check_number_array(L, 4);
      const auto form = cod::law::builtin_form(name);
      std::vector<double> out;
      for (double c : C) out.push_back(cod::law::evaluate(*form, q, c_ref, c));
      codlua::push_number_array(L, out);
      return 1;
    }
    const double C = luaL_checknumber(L, 4);
    lua_pushnumber(L, cod::law::evaluate(*cod::law::builtin_form(name), q, c_ref, C));
    return 1;
  });
}

// to_fit(form_name, params_by_name, c_ref) -> fit_params (array)
int l_to_fit(lua_State* L) {
  return codlua::guarded(L, [&] {
    const char* name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    const double c_ref = luaL_checknumber(L, 3);
    const auto form = cod::law::builtin_form(name);
    std::vector<double> p;
    for (const auto& pn : form->params) {
      lua_getfield(L, 2, pn.c_str());
      if (lua_type(L, -1) != LUA_TNUMBER)
        luaL_argerror(L, 2, fmt::format("parameter '{}' is a {}, expected a number", pn, luaL_typename(L, -1)).c_str());
      p.push_back(lua_tonumber(L, -1));
      lua_pop(L, 1);
    }
    codlua::push_number_array(L, cod::law::to_fit_params(*form, p, c_ref));
    return 1;
  });
}

const char* space_name(cod::law::Space s) { return s == cod::law::Space::Linear ? "linear" : "log_error"; }
const char* domain_name(cod::law::YDomain d) {
  switch (d) {
    case cod::law::YDomain::Unit: return "[0, 1]";
    case cod::law::YDomain::UnitBelowOne: return "[0, 1)";
    case cod::law::YDomain::Positive: return "(0, inf)";
    case cod::law::YDomain::Finite: return "finite";
  }
  return "?";
}

// form_info(name) -> {name, params, fit_params, lower, upper, space, domain, x_name, scale_compute}
int l_form_info(lua_State* L) {
  return codlua::guarded(L, [&] {
    const auto f = cod::law::builtin_form(luaL_checkstring(L, 1));
    lua_createtable(L, 0, 9);
    codlua::set_field(L, "name", f->name);
    codlua::push_string_array(L, f->params);
    lua_setfield(L, -2, "params");
    codlua::push_string_array(L, f->fit_params);
    lua_setfield(L, -2, "fit_params");
    codlua::push_number_array(L, f->lower);
    lua_setfield(L, -2, "lower");
    codlua::push_number_array(L, f->upper);
    lua_setfield(L, -2, "upper");
    codlua::set_field(L, "space", space_name(f->space));
    codlua::set_field(L, "domain", domain_name(f->domain));
    codlua::set_field(L, "x_name", f->x_name);
    codlua::set_field(L, "scale_compute", f->scale_compute);
    return 1;
  });
}

// forms() -> names of the built-in forms
int l_forms(lua_State* L) {
  return codlua::guarded(L, [&] {
    codlua::push_string_array(L, cod::law::builtin_form_names());
    return 1;
  });
}

// geometric_mean(C) -> number
int l_geometric_mean(lua_State* L) {
  return codlua::guarded(L, [&] {
    lua_pushnumber(L, cod::law::geometric_mean(codlua::check_number_array(L, 1)));
    return 1;
  });
}

int luaopen_cod_core_law(lua_State* L) {
  static const luaL_Reg funcs[] = {{"fit", l_fit},
                                   {"fit_clusters", l_fit_clusters},
                                   {"eval", l_eval},
                                   {"to_fit", l_to_fit},
                                   {"form_info", l_form_info},
                                   {"forms", l_forms},
                                   {"geometric_mean", l_geometric_mean},
                                   {nullptr, nullptr}};
  return codlua::new_module(L, funcs);
}

}  // namespace

static codlua::ModuleRegistration reg_law("cod.core.law", luaopen_cod_core_law);
