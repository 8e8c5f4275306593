// cod.core.sandbox: what stdlib/cod/sandbox.lua cannot do in plain Lua. It resolves paths,
// and it performs the sandbox's writes so that no symbolic link is ever followed inside a
// write root: the folder holding the file is found (links in the path the user gave are
// resolved once, then checked against the roots) and opened component by component with
// O_NOFOLLOW, and the file is created relative to it with O_NOFOLLOW. A link swapped in
// after the check is therefore refused, not followed; a file with other hard links is
// refused (writing it would change a file outside the roots).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "fs_safe.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using codlua::fs_safe::Fd;

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

// Where a write to `path` lands: the folder holding it (absolute, links of its existing
// part resolved) and the name in it.
struct Target {
  std::string dir, name;
};

std::vector<std::string> roots_of(lua_State* L, int idx) {
  luaL_checktype(L, idx, LUA_TTABLE);
  std::vector<std::string> roots;
  const lua_Integer n = luaL_len(L, idx);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    if (lua_type(L, -1) == LUA_TSTRING) roots.emplace_back(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return roots;
}

bool within(const std::string& abs, const std::vector<std::string>& roots) {
  for (const auto& r : roots) {
    if (abs == r || r == "/" || (abs.size() > r.size() && abs.compare(0, r.size(), r) == 0 && abs[r.size()] == '/'))
      return true;
  }
  return false;
}

// Locate `path` and check it against the roots. Returns false with `why` set when the
// write is not allowed ("denied"), or with errno-like text when the path is unusable.
bool locate(const std::string& path, const std::vector<std::string>& roots, Target& t, std::string& why) {
  if (path.empty() || path.find('\0') != std::string::npos) {
    why = path.empty() ? "empty path" : "path contains a NUL byte";
    return false;
  }
  auto [parent, name] = codlua::fs_safe::split_parent(path);
  if (name.empty()) {
    why = "not a file name";
    return false;
  }
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(parent, ec);
  if (ec) {
    why = ec.message();
    return false;
  }
  t.dir = canon.lexically_normal().string();
  while (t.dir.size() > 1 && t.dir.back() == '/') t.dir.pop_back();
  t.name = name;
  const std::string full = (t.dir == "/" ? "" : t.dir) + "/" + name;
  if (!within(full, roots)) {
    why = "outside";
    return false;
  }
  return true;
}

// Results: true | nil, message, "denied" (the sandbox refuses) | nil, "path: reason" (as io.open).
int denied(lua_State* L, const std::string& why) {
  lua_pushnil(L);
  lua_pushlstring(L, why.data(), why.size());
  lua_pushstring(L, "denied");
  return 3;
}
int failed(lua_State* L, const std::string& path, int e) {
  lua_pushnil(L);
  const std::string msg = path + ": " + codlua::fs_safe::error_text(e);
  lua_pushlstring(L, msg.data(), msg.size());
  lua_pushinteger(L, e);
  return 3;
}

// The folder of `t`, opened without following links; a link on the way is a denial.
int open_target_dir(lua_State* L, const std::string& path, const Target& t, bool create, Fd& dir) {
  dir = codlua::fs_safe::open_dir(t.dir, create);
  if (dir) return 0;
  if (errno == ELOOP || errno == ENOTDIR) return denied(L, "a folder on its way is a symbolic link");
  return failed(L, path, errno);
}

// `path` checked against the write roots and its folder opened without following links:
// 0 with `t` and `dir` set, else the Lua results of the refusal or failure.
int enter_target(lua_State* L, const std::string& path, const std::vector<std::string>& roots, bool create,
                 Target& t, Fd& dir) {
  std::string why;
  if (!locate(path, roots, t, why)) return denied(L, why);
  return open_target_dir(L, path, t, create, dir);
}

// sandbox.open(path, mode, roots) -> file | nil, msg, "denied" | nil, msg, errno
// Modes as io.open's for writing, and "wx": create a new file, refusing anything already there.
int f_open(lua_State* L) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  const std::string path(s, len);
  std::string mode = luaL_optstring(L, 2, "r");
  const auto roots = roots_of(L, 3);
  mode.erase(std::remove(mode.begin(), mode.end(), 'b'), mode.end());
  int flags = 0;
  bool truncate = false;
  if (mode == "w") {
    flags = O_WRONLY | O_CREAT, truncate = true;
  } else if (mode == "w+") {
    flags = O_RDWR | O_CREAT, truncate = true;
  } else if (mode == "a") {
    flags = O_WRONLY | O_CREAT | O_APPEND;
  } else if (mode == "a+") {
    flags = O_RDWR | O_CREAT | O_APPEND;
  } else if (mode == "r+") {
    flags = O_RDWR;
  } else if (mode == "wx") {  // a new file only: anything already there (a link too) is refused
    flags = O_WRONLY | O_CREAT | O_EXCL;
  } else {
    return luaL_argerror(L, 2, "invalid mode");
  }
  Target t;
  Fd dir;
  if (int r = enter_target(L, path, roots, false, t, dir)) return r;
  // No O_TRUNC here: a file with other hard links must be refused before it is changed.
  Fd fd(::openat(dir.get(), t.name.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666));
  if (!fd) {
    if (errno == ELOOP) return denied(L, "it is a symbolic link");
    return failed(L, path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failed(L, path, errno);
  if (!S_ISREG(st.st_mode)) return denied(L, "it is not a regular file");
  if (st.st_nlink > 1) return denied(L, "it has other hard links");
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl >= 0) ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  if (truncate && ::ftruncate(fd.get(), 0) != 0) return failed(L, path, errno);
  if (mode == "wx") mode = "w";
  return codlua::push_file(L, fd.release(), mode.c_str(), path);
}

// sandbox.mkdir(path, roots) -> true | nil, msg, "denied" | nil, msg  (parents made; existing is fine)
int f_mkdir(lua_State* L) {
  const std::string path = luaL_checkstring(L, 1);
  const auto roots = roots_of(L, 2);
  Target t;
  Fd dir;
  if (int r = enter_target(L, path, roots, true, t, dir)) return r;
  if (::mkdirat(dir.get(), t.name.c_str(), 0777) != 0 && errno != EEXIST) return failed(L, path, errno);
  struct stat st {};
  if (::fstatat(dir.get(), t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return failed(L, path, errno);
  if (S_ISLNK(st.st_mode)) return denied(L, "it is a symbolic link");
  if (!S_ISDIR(st.st_mode)) return failed(L, path, EEXIST);
  lua_pushboolean(L, 1);
  return 1;
}

// sandbox.remove(path, roots) -> true | nil, msg, "denied" | nil, msg  (a link is removed, not followed)
int f_remove(lua_State* L) {
  const std::string path = luaL_checkstring(L, 1);
  const auto roots = roots_of(L, 2);
  Target t;
  Fd dir;
  if (int r = enter_target(L, path, roots, false, t, dir)) return r;
  struct stat st {};
  if (::fstatat(dir.get(), t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return failed(L, path, errno);
  if (::unlinkat(dir.get(), t.name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) return failed(L, path, errno);
  lua_pushboolean(L, 1);
  return 1;
}

// sandbox.rename(from, to, roots) -> true | nil, msg, "denied" | nil, msg
int f_rename(lua_State* L) {
  const std::string from = luaL_checkstring(L, 1);
  const std::string to = luaL_checkstring(L, 2);
  const auto roots = roots_of(L, 3);
  Target a, b;
  std::string why;
  if (!locate(from, roots, a, why) || !locate(to, roots, b, why)) return denied(L, why);
  Fd da, db;
  if (int r = open_target_dir(L, from, a, false, da)) return r;
  if (int r = open_target_dir(L, to, b, false, db)) return r;
  if (::renameat(da.get(), a.name.c_str(), db.get(), b.name.c_str()) != 0) return failed(L, from, errno);
  lua_pushboolean(L, 1);
  return 1;
}

// sandbox.check(path, roots) -> true | nil, msg, "denied": the write target is under a root
int f_check(lua_State* L) {
  const std::string path = luaL_checkstring(L, 1);
  const auto roots = roots_of(L, 2);
  Target t;
  std::string why;
  if (!locate(path, roots, t, why)) return denied(L, why);
  lua_pushboolean(L, 1);
  return 1;
}

int luaopen_cod_core_sandbox(lua_State* L) {
  const luaL_Reg funcs[] = {{"resolve", f_resolve}, {"open", f_open},     {"mkdir", f_mkdir}, {"remove", f_remove},
                            {"rename", f_rename},   {"check", f_check}, {nullptr, nullptr}};
  return codlua::new_module(L, funcs);
}

codlua::ModuleRegistration reg_sandbox("cod.core.sandbox", luaopen_cod_core_sandbox);

}  // namespace
