// cod.core.mapping: fitting the subset-to-full-set mapping (SPEC §7) and the
// cod.Mapping userdata. The documented API is stdlib/cod/mapping.lua.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cod/error.hpp"
#include "cod/mapping.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

using codlua::check_box;
using codlua::guarded;
using codlua::set_field;

constexpr const char* kMappingType = "cod.Mapping";

const cod::Mapping& self(lua_State* L) { return *check_box<cod::Mapping>(L, 1, kMappingType); }

[[noreturn]] void arg_error(lua_State* L, int idx, const std::string& msg) {
  luaL_argerror(L, idx, msg.c_str());
  __builtin_unreachable();  // luaL_argerror raises
}

// A list of point tables {x = number, y = number, anchor = boolean?, name = string?}.
std::vector<cod::MappingPoint> check_points(lua_State* L, int idx) {
  static const char* const kFields[] = {"x", "y", "anchor", "name"};
  const lua_Integer n = luaL_len(L, idx);
  // Only keys 1..n: a table such as {x = {...}, y = {...}} must not pass as an empty list.
  // The stray keys are named sorted, so the message does not depend on hash order.
  std::vector<std::string> stray;
  lua_pushnil(L);  // [nil]
  while (lua_next(L, idx) != 0) {  // [key, value]
    if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 || lua_tointeger(L, -2) > n) {
      lua_pushvalue(L, -2);  // tostring of a copy, never of the key lua_next uses
      stray.push_back("'" + std::string(luaL_tolstring(L, -1, nullptr)) + "'");
      lua_pop(L, 2);  // [key, value]
    }
    lua_pop(L, 1);  // [key]
  }
  if (!stray.empty()) {
    std::sort(stray.begin(), stray.end());
    arg_error(L, idx, fmt::format("list of points expected, found key{} {} (for two arrays call fit(xs, ys, opts))",
                                  stray.size() > 1 ? "s" : "", fmt::join(stray, ", ")));
  }
  std::vector<cod::MappingPoint> out(static_cast<std::size_t>(n));
  for (lua_Integer i = 1; i <= n; ++i) {
    cod::MappingPoint& p = out[static_cast<std::size_t>(i - 1)];
    const std::string where = "point " + std::to_string(i);
    lua_geti(L, idx, i);  // [pt]
    if (!lua_istable(L, -1)) {
      arg_error(L, idx, where + " is a " + luaL_typename(L, -1) + ", expected a table {x = number, y = number}");
    }
    // Misspelled fields are errors, like misspelled options.
    lua_pushnil(L);  // [pt, nil]
    while (lua_next(L, -2) != 0) {  // [pt, key, value]
      bool known = false;
      if (lua_type(L, -2) == LUA_TSTRING) {
        for (const char* f : kFields) known = known || std::strcmp(f, lua_tostring(L, -2)) == 0;
      }
      if (!known) {
        lua_pushvalue(L, -2);  // tostring of a copy, never of the key lua_next uses
        const std::string key = luaL_tolstring(L, -1, nullptr);
        arg_error(L, idx, where + ": unknown field '" + key + "' (fields: x, y, anchor, name)");
      }
      lua_pop(L, 1);  // [pt, key]
    }
    for (const char* f : {"x", "y"}) {
      lua_getfield(L, -1, f);  // [pt, v]
      if (lua_type(L, -1) != LUA_TNUMBER) {
        arg_error(L, idx, where + ": " + f + " must be a number, got " + luaL_typename(L, -1));
      }
      (f[0] == 'x' ? p.x : p.y) = lua_tonumber(L, -1);
      lua_pop(L, 1);  // [pt]
    }
    lua_getfield(L, -1, "anchor");  // [pt, anchor]
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
      arg_error(L, idx, where + ": anchor must be a boolean, got " + luaL_typename(L, -1));
    }
    p.anchor = lua_toboolean(L, -1);
    lua_pop(L, 1);                // [pt]
    lua_getfield(L, -1, "name");  // [pt, name]
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TSTRING) {
        arg_error(L, idx, where + ": name must be a string, got " + luaL_typename(L, -1));
      }
      p.name = lua_tostring(L, -1);
    }
    lua_pop(L, 2);  // []
  }
  return out;
}

cod::MappingOptions check_options(lua_State* L, int idx) {
  codlua::Options opts(L, idx, "fit", {"method", "threshold", "lambda_min", "lambda_max", "monotone_grid"});
  cod::MappingOptions o;
  if (auto m = opts.string("method")) {
    const auto& names = cod::mapping_method_names();
    bool known = false;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == *m) o.method = static_cast<cod::MappingMethod>(i), known = true;
    }
    if (!known) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      opts.fail("method", "unknown method '" + *m + "'; methods: " + list);
    }
  }
  o.threshold = opts.number("threshold", o.threshold);
  o.lambda_min = opts.number("lambda_min", o.lambda_min);
  o.lambda_max = opts.number("lambda_max", o.lambda_max);
  const long long grid = opts.integer("monotone_grid", 0);
  if (grid < 0 || grid > 10000000) opts.fail("monotone_grid", "must be 0 (exact) or in [2, 10000000]");
  o.monotone_grid = static_cast<int>(grid);
  return o;
}

void push_number_or_nil(lua_State* L, const char* key, double v) {
  if (std::isnan(v)) {
    lua_pushnil(L);
  } else {
    lua_pushnumber(L, v);  // +inf arrives as math.huge
  }
  lua_setfield(L, -2, key);
}

// mapping.fit(points, opts) or mapping.fit(xs, ys, opts) -> cod.Mapping
int f_fit(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  // Two arrays when a third argument is present or either array starts with a number.
  lua_geti(L, 1, 1);
  bool arrays = lua_type(L, -1) == LUA_TNUMBER || !lua_isnoneornil(L, 3);
  lua_pop(L, 1);
  if (!arrays && lua_istable(L, 2)) {
    lua_geti(L, 2, 1);
    arrays = lua_type(L, -1) == LUA_TNUMBER;
    lua_pop(L, 1);
  }
  std::vector<cod::MappingPoint> points;
  std::vector<double> xs, ys;
  if (arrays) {
    xs = codlua::check_number_array(L, 1);
    ys = codlua::check_number_array(L, 2);
  } else {
    points = check_points(L, 1);
  }
  const cod::MappingOptions o = check_options(L, arrays ? 3 : 2);
  return guarded(L, [&] {
    auto m = std::make_shared<cod::Mapping>(arrays ? cod::fit_mapping(xs, ys, o) : cod::fit_mapping(points, o));
    codlua::push_box(L, std::move(m), kMappingType);
    return 1;
  });
}

// m:eval(x) -> number; m:eval({x1, x2, ...}) -> array
int m_eval(lua_State* L) {
  const auto& m = self(L);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    const double x = lua_tonumber(L, 2);
    return guarded(L, [&] {
      lua_pushnumber(L, m(x));
      return 1;
    });
  }
  if (!lua_istable(L, 2)) {
    arg_error(L, 2, std::string("number or array of numbers expected, got ") + luaL_typename(L, 2));
  }
  const std::vector<double> xs = codlua::check_number_array(L, 2);
  return guarded(L, [&] {
    codlua::push_number_array(L, m.eval(xs));
    return 1;
  });
}

// m:curve(n) -> xs, ys (n equally spaced points of [0, 1], default 101)
int m_curve(lua_State* L) {
  const auto& m = self(L);
  const lua_Integer n = luaL_optinteger(L, 2, 101);
  if (n < 2 || n > 10000000) arg_error(L, 2, "n must be in [2, 10000000], got " + std::to_string(n));
  return guarded(L, [&] {
    const auto [xs, ys] = m.curve(static_cast<int>(n));
    codlua::push_number_array(L, xs);
    codlua::push_number_array(L, ys);
    return 2;
  });
}

// m:report() -> plain table of every fitted attribute (the Lua result object's fields)
int m_report(lua_State* L) {
  const auto& m = self(L);
  return guarded(L, [&] {
    lua_createtable(L, 0, 12);  // [t]
    set_field(L, "method", cod::to_string(m.method()));
    set_field(L, "status", cod::to_string(m.status()));
    push_number_or_nil(L, "lambda", m.lambda());
    push_number_or_nil(L, "lambda_rmse", m.lambda_rmse());
    push_number_or_nil(L, "rmse", m.rmse());
    set_field(L, "threshold", m.threshold());
    set_field(L, "monotone_forced", m.monotone_forced());
    set_field(L, "interpolation_missed", m.interpolation_missed());
    set_field(L, "monotone", m.monotone());
    set_field(L, "min_slope", m.min_slope());
    if (!m.reason().empty()) set_field(L, "reason", m.reason());
    const auto& pts = m.points();
    lua_createtable(L, static_cast<int>(pts.size()), 0);  // [t, points]
    for (std::size_t i = 0; i < pts.size(); ++i) {
      lua_createtable(L, 0, 6);  // [t, points, p]
      set_field(L, "x", pts[i].x);
      set_field(L, "y", pts[i].y);
      set_field(L, "n", pts[i].count);
      set_field(L, "anchors", pts[i].anchors);
      set_field(L, "anchor", pts[i].anchors > 0);
      codlua::push_string_array(L, pts[i].names);  // [t, points, p, names]
      lua_setfield(L, -2, "names");                // [t, points, p]
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));  // [t, points]
    }
    lua_setfield(L, -2, "points");  // [t]
    return 1;
  });
}

int m_tostring(lua_State* L) {
  const auto& m = self(L);
  return guarded(L, [&] {
    std::string s = fmt::format("cod.Mapping({}, {} points", cod::to_string(m.method()), m.points().size());
    if (m.method() == cod::MappingMethod::Spline) s += fmt::format(", lambda={:.6g}", m.lambda());
    if (!std::isnan(m.rmse())) s += fmt::format(", rmse={:.6g}", m.rmse());
    s += ")";
    lua_pushlstring(L, s.data(), s.size());
    return 1;
  });
}

// mapping.methods() -> {"spline", "identity", "quartic", "pchip"}
int f_methods(lua_State* L) {
  codlua::push_string_array(L, cod::mapping_method_names());
  return 1;
}

const luaL_Reg kMethods[] = {{"eval", m_eval}, {"curve", m_curve}, {"report", m_report}, {nullptr, nullptr}};

const luaL_Reg kFunctions[] = {{"fit", f_fit}, {"methods", f_methods}, {nullptr, nullptr}};

int luaopen_cod_core_mapping(lua_State* L) {
  codlua::register_type<cod::Mapping>(L, kMappingType, kMethods, m_tostring);
  return codlua::new_module(L, kFunctions);
}

codlua::ModuleRegistration reg_mapping("cod.core.mapping", luaopen_cod_core_mapping);

}  // namespace
