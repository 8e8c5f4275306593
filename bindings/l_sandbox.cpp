// cod.core.sandbox: the one thing stdlib/cod/sandbox.lua cannot do in plain Lua,
// turning a path into the absolute, symlink-free form its write checks compare.

#include <filesystem>
#include <string>
#include <system_error>

#include "modules.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

// sandbox.resolve(path) -> absolute path with symlinks of the existing prefix
// resolved and "." / ".." removed | nil, message
int f_resolve(lua_State* L) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  const std::string path(s, len);
  if (path.empty() || path.find('\0') != std::string::npos) {
    lua_pushnil(L);
    lua_pushstring(L, path.empty() ? "empty path" : "path contains a NUL byte");
    return 2;
  }
  return codlua::guarded(L, [&] {
    std::error_code ec;
    fs::path abs = fs::absolute(path, ec);
    if (!ec) abs = fs::weakly_canonical(abs, ec);
    if (ec) {
      lua_pushnil(L);
      const std::string msg = "cannot resolve " + path + ": " + ec.message();
      lua_pushlstring(L, msg.data(), msg.size());
      return 2;
    }
    // weakly_canonical keeps a trailing separator for "dir/"; drop it so prefixes compare.
    std::string out = abs.lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    lua_pushlstring(L, out.data(), out.size());
    return 1;
  });
}

int luaopen_cod_core_sandbox(lua_State* L) {
  const luaL_Reg funcs[] = {{"resolve", f_resolve}, {nullptr, nullptr}};
  return codlua::new_module(L, funcs);
}

codlua::ModuleRegistration reg_sandbox("cod.core.sandbox", luaopen_cod_core_sandbox);

}  // namespace
