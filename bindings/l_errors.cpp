// cod.core.errors: the user-error objects of DESIGN rule 9, made here so that the
// engine's input errors (support.hpp guarded()) and stdlib's cod.errors share one type.

#include "modules.hpp"
#include "support.hpp"

namespace {

// errors.new(message, status?, fields?) -> a cod.UserError (not raised)
int l_new(lua_State* L) {
  size_t len = 0;
  const char* msg = luaL_checklstring(L, 1, &len);
  const lua_Integer status = luaL_optinteger(L, 2, 1);
  luaL_argcheck(L, status == 1 || status == 2, 2, "status must be 1 (input) or 2 (usage)");
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  codlua::push_user_error(L, std::string(msg, len), static_cast<int>(status));  // [.., e]
  if (lua_istable(L, 3)) {
    for (const char* key : {"file", "line", "column", "hint"}) {
      if (lua_getfield(L, 3, key) != LUA_TNIL) {  // [.., e, v]
        lua_setfield(L, -2, key);
      } else {
        lua_pop(L, 1);
      }
    }
  }
  return 1;
}

// errors.is(v) -> whether v is a user error
int l_is(lua_State* L) {
  lua_pushboolean(L, codlua::is_user_error(L, 1));
  return 1;
}

// errors.did_you_mean(name, candidates) -> " (did you mean 'x'?)" or "" (cod::did_you_mean)
int l_did_you_mean(lua_State* L) {
  return codlua::guarded(L, [&] {
    size_t len = 0;
    const char* name = luaL_checklstring(L, 1, &len);
    const auto candidates = codlua::check_string_array(L, 2);
    const std::string s = cod::did_you_mean(std::string(name, len), candidates);
    lua_pushlstring(L, s.data(), s.size());
    return 1;
  });
}

int luaopen_cod_core_errors(lua_State* L) {
  const luaL_Reg fns[] = {{"new", l_new}, {"is", l_is}, {"did_you_mean", l_did_you_mean}, {nullptr, nullptr}};
  luaL_newlib(L, fns);
  return 1;
}

codlua::ModuleRegistration reg_errors("cod.core.errors", luaopen_cod_core_errors);

}  // namespace
