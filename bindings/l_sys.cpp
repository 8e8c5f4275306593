// cod.core.sys: the few operating-system services the stdlib needs and plain
// Lua lacks: terminal detection, folders, atomic renames, a monotonic clock.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include "modules.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

// Expected failures return nil, message (as io.open does).
int fail(lua_State* L, const std::string& what, const std::error_code& ec) {
  lua_pushnil(L);
  lua_pushstring(L, (what + ": " + ec.message()).c_str());
  return 2;
}

// sys.isatty(fd) -> boolean
int f_isatty(lua_State* L) {
  lua_pushboolean(L, isatty(static_cast<int>(luaL_checkinteger(L, 1))) == 1);
  return 1;
}

// sys.mkdir(path) -> true | nil, msg  (creates parents; an existing folder is fine)
int f_mkdir(lua_State* L) {
  const std::string path = luaL_checkstring(L, 1);
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(L, "cannot create folder " + path, ec);
  lua_pushboolean(L, 1);
  return 1;
}

// sys.remove_tree(path) -> true | nil, msg
int f_remove_tree(lua_State* L) {
  const std::string path = luaL_checkstring(L, 1);
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return fail(L, "cannot remove " + path, ec);
  lua_pushboolean(L, 1);
  return 1;
}

// sys.rename(from, to) -> true | nil, msg  (an existing folder `to` is replaced)
int f_rename(lua_State* L) {
  const std::string from = luaL_checkstring(L, 1);
  const std::string to = luaL_checkstring(L, 2);
  std::error_code ec;
  if (fs::is_directory(to, ec) && fs::is_directory(from, ec)) {
    // rename(2) only replaces an empty folder: move the old one aside, then drop it.
    const std::string old = to + ".old-" + std::to_string(getpid());
    fs::rename(to, old, ec);
    if (ec) return fail(L, "cannot replace " + to, ec);
    fs::rename(from, to, ec);
    if (ec) {
      std::error_code ignore;
      fs::rename(old, to, ignore);
      return fail(L, "cannot rename " + from + " to " + to, ec);
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(from, to, ec);
    if (ec) return fail(L, "cannot rename " + from + " to " + to, ec);
  }
  lua_pushboolean(L, 1);
  return 1;
}

// sys.exists(path) -> boolean;  sys.is_dir(path) -> boolean
int f_exists(lua_State* L) {
  std::error_code ec;
  lua_pushboolean(L, fs::exists(luaL_checkstring(L, 1), ec));
  return 1;
}
int f_is_dir(lua_State* L) {
  std::error_code ec;
  lua_pushboolean(L, fs::is_directory(luaL_checkstring(L, 1), ec));
  return 1;
}

// sys.clock() -> seconds from a monotonic clock
int f_clock(lua_State* L) {
  const auto t = std::chrono::steady_clock::now().time_since_epoch();
  lua_pushnumber(L, std::chrono::duration<double>(t).count());
  return 1;
}

int f_getpid(lua_State* L) {
  lua_pushinteger(L, getpid());
  return 1;
}

int luaopen_cod_core_sys(lua_State* L) {
  const luaL_Reg funcs[] = {{"isatty", f_isatty}, {"mkdir", f_mkdir},   {"remove_tree", f_remove_tree},
                            {"rename", f_rename}, {"exists", f_exists}, {"is_dir", f_is_dir},
                            {"clock", f_clock},   {"getpid", f_getpid}, {nullptr, nullptr}};
  return codlua::new_module(L, funcs);
}

codlua::ModuleRegistration reg_sys("cod.core.sys", luaopen_cod_core_sys);

}  // namespace
