// cod.core.json: JSON encode/decode through nlohmann-json.
// Encoding is deterministic: object keys are sorted, numbers use the shortest
// representation that round-trips, NaN and infinities become null.

#include <cmath>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <string>

#include "modules.hpp"
#include "support.hpp"

namespace {

using json = nlohmann::json;

// Lua tables marked with this metatable field encode as objects even when empty.
constexpr const char* kObjectMarker = "__jsontype";

json to_json(lua_State* L, int idx, int depth);

bool is_array(lua_State* L, int idx, lua_Integer& n) {
  // An array: keys exactly 1..n. An empty table is an array unless marked as an object.
  if (luaL_getmetafield(L, idx, kObjectMarker) != LUA_TNIL) {
    const bool object = lua_type(L, -1) == LUA_TSTRING && std::string(lua_tostring(L, -1)) == "object";
    lua_pop(L, 1);
    if (object) return false;
  }
  n = 0;
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1)) {
      lua_pop(L, 1);
      return false;
    }
    const lua_Integer k = lua_tointeger(L, -1);
    if (k < 1) {
      lua_pop(L, 1);
      return false;
    }
    if (k > n) n = k;
    ++count;
  }
  return count == n;
}

json to_json(lua_State* L, int idx, int depth) {
  if (depth > 200) luaL_error(L, "cannot encode to JSON: nesting deeper than 200 (a cycle?)");
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return nullptr;
    case LUA_TBOOLEAN: return static_cast<bool>(lua_toboolean(L, idx));
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) return static_cast<long long>(lua_tointeger(L, idx));
      {
        const double v = lua_tonumber(L, idx);
        if (!std::isfinite(v)) return nullptr;
        return v;
      }
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      return std::string(s, len);
    }
    case LUA_TTABLE: {
      luaL_checkstack(L, 4, "JSON encoding");
      lua_Integer n = 0;
      if (is_array(L, idx, n)) {
        json arr = json::array();
        for (lua_Integer i = 1; i <= n; ++i) {
          lua_geti(L, idx, i);
          arr.push_back(to_json(L, -1, depth + 1));
          lua_pop(L, 1);
        }
        return arr;
      }
      json obj = json::object();
      lua_pushnil(L);
      while (lua_next(L, idx) != 0) {  // [key, value]
        std::string key;
        if (lua_type(L, -2) == LUA_TSTRING) {
          key = lua_tostring(L, -2);
        } else if (lua_isinteger(L, -2)) {
          key = std::to_string(lua_tointeger(L, -2));
        } else {
          luaL_error(L, "cannot encode to JSON: table key of type %s", luaL_typename(L, -2));
        }
        obj[key] = to_json(L, -1, depth + 1);
        lua_pop(L, 1);
      }
      return obj;
    }
    default:
      luaL_error(L, "cannot encode to JSON: value of type %s", luaL_typename(L, idx));
  }
  return nullptr;
}

void push_json(lua_State* L, const json& j, int depth) {
  // The same bound as encoding: without it, deeply nested input ("[[[[...") overflowed the
  // C stack (found under AddressSanitizer).
  if (depth > 200) throw std::runtime_error("cannot decode JSON: nesting deeper than 200");
  luaL_checkstack(L, 4, "JSON decoding");
  switch (j.type()) {
    case json::value_t::null: lua_pushnil(L); break;
    case json::value_t::boolean: lua_pushboolean(L, j.get<bool>()); break;
    case json::value_t::number_integer: lua_pushinteger(L, j.get<long long>()); break;
    case json::value_t::number_unsigned: lua_pushinteger(L, static_cast<lua_Integer>(j.get<unsigned long long>())); break;
    case json::value_t::number_float: lua_pushnumber(L, j.get<double>()); break;
    case json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      lua_pushlstring(L, s.data(), s.size());
      break;
    }
    case json::value_t::array: {
      lua_createtable(L, static_cast<int>(j.size()), 0);
      lua_Integer i = 1;
      for (const auto& v : j) {
        push_json(L, v, depth + 1);
        lua_rawseti(L, -2, i++);
      }
      break;
    }
    case json::value_t::object: {
      lua_createtable(L, 0, static_cast<int>(j.size()));
      for (auto it = j.begin(); it != j.end(); ++it) {
        push_json(L, it.value(), depth + 1);
        lua_setfield(L, -2, it.key().c_str());
      }
      break;
    }
    default: lua_pushnil(L); break;
  }
}

// json.encode(value [, {indent = n}]) -> string
int f_encode(lua_State* L) {
  luaL_checkany(L, 1);
  codlua::Options opts(L, 2, "encode", {"indent"});
  const long long indent = opts.integer("indent", -1);
  const json j = to_json(L, 1, 0);
  return codlua::guarded(L, [&] {
    const std::string s = j.dump(static_cast<int>(indent), ' ', false, json::error_handler_t::replace);
    lua_pushlstring(L, s.data(), s.size());
    return 1;
  });
}

// json.decode(string) -> value; raises with the position of a syntax error
int f_decode(lua_State* L) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  return codlua::guarded(L, [&] {
    const json j = json::parse(s, s + len);
    push_json(L, j, 0);
    return 1;
  });
}

int luaopen_cod_core_json(lua_State* L) {
  const luaL_Reg funcs[] = {{"encode", f_encode}, {"decode", f_decode}, {nullptr, nullptr}};
  codlua::new_module(L, funcs);
  // json.object(t): mark t to encode as an object even when empty
  lua_newtable(L);
  lua_pushstring(L, "object");
  lua_setfield(L, -2, kObjectMarker);
  lua_setfield(L, -2, "object_mt");
  return 1;
}

codlua::ModuleRegistration reg_json("cod.core.json", luaopen_cod_core_json);

}  // namespace
