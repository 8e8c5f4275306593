// cod.core.sys: the few operating-system services the stdlib needs and plain Lua lacks:
// terminal detection, folders, renames, a monotonic clock, and the output-folder
// primitives of cod.files (a lock per --out, the state of a folder, replacing a folder,
// deleting only what codlua wrote). No function here deletes a file that is not listed
// in a codlua marker or lies outside a folder codlua marked as its own.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdlib>
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

// Expected failures return nil, message (as io.open does).
int fail(lua_State* L, const std::string& what, const std::error_code& ec) {
  lua_pushnil(L);
  const std::string msg = what + ": " + ec.message();
  lua_pushlstring(L, msg.data(), msg.size());
  return 2;
}
int fail_errno(lua_State* L, const std::string& what, int e) {
  return fail(L, what, std::error_code(e, std::generic_category()));
}

std::string check_path(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, idx, &len);
  std::string p(s, len);
  if (p.empty()) luaL_argerror(L, idx, "empty path");
  if (p.find('\0') != std::string::npos) luaL_argerror(L, idx, "path contains a NUL byte");
  return p;
}

// The folder holding `name`: its canonical path (links in the path the user gave are
// followed; the last component never is) opened as a descriptor.
Fd open_parent(const std::string& path, std::string& name) {
  auto [parent, base] = codlua::fs_safe::split_parent(path);
  name = base;
  if (name.empty()) {
    errno = EINVAL;
    return Fd();
  }
  std::error_code ec;
  const fs::path real = fs::canonical(parent, ec);
  if (ec) {
    errno = ec.value();
    return Fd();
  }
  return Fd(::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

// sys.isatty(fd) -> boolean
int f_isatty(lua_State* L) {
  lua_pushboolean(L, isatty(static_cast<int>(luaL_checkinteger(L, 1))) == 1);
  return 1;
}

// sys.mkdir(path) -> true | nil, msg  (creates parents; an existing folder is fine)
int f_mkdir(lua_State* L) {
  const std::string path = check_path(L, 1);
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(L, "cannot create folder " + path, ec);
  lua_pushboolean(L, 1);
  return 1;
}

// sys.create_new(path) -> file | nil, msg, errno
// A new empty file opened for writing: refused when anything is already at `path` (a file,
// a folder, a symbolic link: O_EXCL never follows one), so a caller that later deletes it
// deletes only what it made.
int f_create_new(lua_State* L) {
  const std::string path = check_path(L, 1);
  std::string name;
  Fd parent = open_parent(path, name);
  if (!parent) return luaL_fileresult(L, 0, path.c_str());
  const int fd = ::openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) return luaL_fileresult(L, 0, path.c_str());
  return codlua::push_file(L, fd, "w", path);
}

// sys.file_id(f) -> "dev:ino" of an open Lua file: what the file is, whatever its name.
int f_file_id(lua_State* L) {
  auto* stream = static_cast<luaL_Stream*>(luaL_checkudata(L, 1, LUA_FILEHANDLE));
  if (stream->closef == nullptr || stream->f == nullptr) return luaL_argerror(L, 1, "closed file");
  struct stat st {};
  if (::fstat(::fileno(stream->f), &st) != 0) return fail_errno(L, "cannot identify the file", errno);
  lua_pushfstring(L, "%I:%I", static_cast<lua_Integer>(st.st_dev), static_cast<lua_Integer>(st.st_ino));
  return 1;
}

// sys.remove_if_same(path, id) -> true | nil, msg
// Deletes `path` only when it is (not a link to) the file sys.file_id named `id`: a
// temporary file codlua made is removed, anything put at its name since is left alone.
int f_remove_if_same(lua_State* L) {
  const std::string path = check_path(L, 1);
  const char* id = luaL_checkstring(L, 2);
  std::string name;
  Fd parent = open_parent(path, name);
  if (!parent) return fail_errno(L, "cannot remove " + path, errno);
  struct stat st {};
  if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno(L, "cannot remove " + path, errno);
  lua_pushfstring(L, "%I:%I", static_cast<lua_Integer>(st.st_dev), static_cast<lua_Integer>(st.st_ino));
  const bool same = std::strcmp(lua_tostring(L, -1), id) == 0;
  lua_pop(L, 1);
  if (!same) {
    lua_pushnil(L);
    lua_pushstring(L, ("not removing " + path + ": it is no longer the file codlua made").c_str());
    return 2;
  }
  if (::unlinkat(parent.get(), name.c_str(), 0) != 0) return fail_errno(L, "cannot remove " + path, errno);
  lua_pushboolean(L, 1);
  return 1;
}

// sys.remove_tree(path) -> true | nil, msg
// Deletes a folder only when it is codlua's: a real folder (not a link) owned by this
// user, holding a valid marker. A complete output folder loses only the files and
// folders its marker lists (the folder itself stays when anything else is in it); an
// unfinished one (a temporary folder of a run) loses everything, links unfollowed.
int f_remove_tree(lua_State* L) {
  const std::string path = check_path(L, 1);
  std::string name;
  Fd parent = open_parent(path, name);
  if (!parent) return fail_errno(L, "cannot remove " + path, errno);
  Fd dir(::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    if (errno == ELOOP || errno == ENOTDIR) return fail_errno(L, "not removing " + path + " (not a folder)", ENOTDIR);
    return fail_errno(L, "cannot remove " + path, errno);
  }
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return fail_errno(L, "cannot remove " + path, errno);
  const auto manifest = codlua::fs_safe::read_manifest(dir.get());
  if (!manifest.valid || st.st_uid != ::geteuid()) {
    lua_pushnil(L);
    lua_pushstring(L, ("not removing " + path + ": codlua did not write it (no " + codlua::fs_safe::kMarker +
                       " marker of this user)").c_str());
    return 2;
  }
  if (!manifest.complete) {
    if (!codlua::fs_safe::remove_contents(dir.get())) return fail_errno(L, "cannot remove " + path, errno);
  } else {
    // Children sort after their folder: walk the list backwards.
    for (auto it = manifest.entries.rbegin(); it != manifest.entries.rend(); ++it) {
      const size_t slash = it->path.rfind('/');
      Fd holder;
      std::string leaf = it->path;
      int at = dir.get();
      if (slash != std::string::npos) {
        // Walk down from the folder, never following a link.
        holder = Fd(::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0));
        size_t a = 0;
        const std::string folder = it->path.substr(0, slash);
        while (holder && a <= folder.size()) {
          size_t b = folder.find('/', a);
          if (b == std::string::npos) b = folder.size();
          holder = Fd(::openat(holder.get(), folder.substr(a, b - a).c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          a = b + 1;
        }
        if (!holder) continue;  // gone or replaced by something else: not ours to touch
        at = holder.get();
        leaf = it->path.substr(slash + 1);
      }
      struct stat est {};
      if (::fstatat(at, leaf.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (it->type == 'f' && S_ISREG(est.st_mode)) {
        ::unlinkat(at, leaf.c_str(), 0);
      } else if (it->type == 'd' && S_ISDIR(est.st_mode)) {
        ::unlinkat(at, leaf.c_str(), AT_REMOVEDIR);  // stays when something else is inside
      }
    }
  }
  ::unlinkat(dir.get(), codlua::fs_safe::kMarker, 0);
  if (::unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST) {
      ::unlinkat(dir.get(), codlua::fs_safe::kMarker, 0);
      lua_pushnil(L);
      lua_pushstring(L, ("kept " + path + ": it holds files codlua did not write").c_str());
      return 2;
    }
    return fail_errno(L, "cannot remove " + path, errno);
  }
  lua_pushboolean(L, 1);
  return 1;
}

// sys.output_state(path) -> state, detail
// "absent", "empty", "codlua" (every entry is listed in a complete marker of this user),
// "foreign" (detail: the first entry codlua did not write, or why), "symlink", "notdir".
int f_output_state(lua_State* L) {
  const std::string path = check_path(L, 1);
  auto push = [&](const char* state, const std::string& detail) {
    lua_pushstring(L, state);
    lua_pushlstring(L, detail.data(), detail.size());
    return 2;
  };
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return push("absent", "");
    return fail_errno(L, "cannot read " + path, errno);
  }
  if (S_ISLNK(st.st_mode)) return push("symlink", "");
  if (!S_ISDIR(st.st_mode)) return push("notdir", "");
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return fail_errno(L, "cannot read " + path, errno);
  std::vector<codlua::fs_safe::Entry> tree;
  if (!codlua::fs_safe::list_tree(dir.get(), tree)) return fail_errno(L, "cannot read " + path, errno);
  const auto manifest = codlua::fs_safe::read_manifest(dir.get());
  if (tree.empty() && !manifest.valid) {
    struct stat mst {};
    if (::fstatat(dir.get(), codlua::fs_safe::kMarker, &mst, AT_SYMLINK_NOFOLLOW) != 0) return push("empty", "");
  }
  if (st.st_uid != ::geteuid()) return push("foreign", "it belongs to another user");
  if (!manifest.valid) return push("foreign", tree.empty() ? codlua::fs_safe::kMarker : tree.front().path);
  if (!manifest.complete) return push("foreign", "an unfinished codlua folder");
  std::vector<codlua::fs_safe::Entry> listed = manifest.entries;
  std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  for (const auto& e : tree) {
    auto it = std::lower_bound(listed.begin(), listed.end(), e.path,
                               [](const auto& a, const std::string& p) { return a.path < p; });
    if (it == listed.end() || it->path != e.path || it->type != e.type) return push("foreign", e.path);
  }
  return push("codlua", "");
}

// sys.list_tree(path) -> {"f report.json", "d plots", ...} (sorted; links listed as "l",
// never followed; the marker left out) | nil, msg
int f_list_tree(lua_State* L) {
  const std::string path = check_path(L, 1);
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return fail_errno(L, "cannot read " + path, errno);
  std::vector<codlua::fs_safe::Entry> tree;
  if (!codlua::fs_safe::list_tree(dir.get(), tree)) return fail_errno(L, "cannot read " + path, errno);
  lua_createtable(L, static_cast<int>(tree.size()), 0);
  for (size_t i = 0; i < tree.size(); ++i) {
    const std::string s = std::string(1, tree[i].type) + " " + tree[i].path;
    lua_pushlstring(L, s.data(), s.size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 1;
}

// sys.list_dir(path) -> names (sorted) | nil, msg
int f_list_dir(lua_State* L) {
  const std::string path = check_path(L, 1);
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return fail(L, "cannot read " + path, ec);
  std::sort(names.begin(), names.end());
  lua_createtable(L, static_cast<int>(names.size()), 0);
  for (size_t i = 0; i < names.size(); ++i) {
    lua_pushlstring(L, names[i].data(), names[i].size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 1;
}

// sys.rename(from, to) -> true | nil, msg  (rename(2): never deletes a non-empty folder)
int f_rename(lua_State* L) {
  const std::string from = check_path(L, 1);
  const std::string to = check_path(L, 2);
  if (std::rename(from.c_str(), to.c_str()) != 0) return fail_errno(L, "cannot rename " + from + " to " + to, errno);
  lua_pushboolean(L, 1);
  return 1;
}

// sys.replace_dir(tmp, out) -> true, old | nil, msg
// Put the folder `tmp` at `out` in one step. When `out` is a non-empty folder the two
// are exchanged (renameat2 RENAME_EXCHANGE; where the file system lacks it, `out` is
// first renamed to `out.old-<pid>`) and `old` names where the previous folder now is:
// the caller deletes it with remove_tree once it has checked it is codlua's.
int f_replace_dir(lua_State* L) {
  const std::string tmp = check_path(L, 1);
  const std::string out = check_path(L, 2);
  if (std::rename(tmp.c_str(), out.c_str()) == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  if (errno != ENOTEMPTY && errno != EEXIST) return fail_errno(L, "cannot rename to " + out, errno);
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0) {
    lua_pushboolean(L, 1);
    lua_pushlstring(L, tmp.data(), tmp.size());
    return 2;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return fail_errno(L, "cannot replace " + out, errno);
  std::string trimmed = out;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const std::string old = trimmed + ".old-" + std::to_string(::getpid());
  if (std::rename(out.c_str(), old.c_str()) != 0) return fail_errno(L, "cannot replace " + out, errno);
  if (std::rename(tmp.c_str(), out.c_str()) != 0) {
    const int e = errno;
    std::rename(old.c_str(), out.c_str());
    return fail_errno(L, "cannot replace " + out, e);
  }
  lua_pushboolean(L, 1);
  lua_pushlstring(L, old.data(), old.size());
  return 2;
}

// ---------------------------------------------------------------- the --out lock

struct Lock {
  int fd;
};
constexpr const char* kLockMeta = "cod.sys.Lock";

void release(lua_State* L, Lock* lock) {
  if (lock->fd < 0) return;
  lua_getiuservalue(L, 1, 1);
  const char* path = lua_tostring(L, -1);
  // Unlinked while still held: a run that opened the old file finds it gone and retries.
  if (path) ::unlink(path);
  lua_pop(L, 1);
  ::close(lock->fd);
  lock->fd = -1;
}

int lock_release(lua_State* L) {
  release(L, static_cast<Lock*>(luaL_checkudata(L, 1, kLockMeta)));
  return 0;
}

// sys.lock_output(out) -> lock | nil, msg, holder_pid
// An exclusive flock on `.<name>.codlua-lock` next to `out` (parent folders are made):
// one codlua run at a time writes a given --out. lock:release() (also __close, __gc)
// deletes the lock file and frees it.
int f_lock_output(lua_State* L) {
  const std::string out = check_path(L, 1);
  auto [parent, name] = codlua::fs_safe::split_parent(out);
  if (name.empty()) return fail_errno(L, "cannot lock " + out, EINVAL);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return fail(L, "cannot create folder " + parent, ec);
  const std::string path = (parent == "/" ? "" : parent) + "/." + name + ".codlua-lock";
  for (int attempt = 0; attempt < 20; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) return fail_errno(L, "cannot create lock file " + path, errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) return fail_errno(L, "cannot lock " + path, errno);
      char buf[32] = {0};
      const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
      lua_pushnil(L);
      lua_pushstring(L, "busy");
      lua_pushinteger(L, n > 0 ? std::atoll(buf) : 0);
      return 3;
    }
    struct stat held {}, now {};
    if (::fstat(fd.get(), &held) != 0) return fail_errno(L, "cannot lock " + path, errno);
    if (::stat(path.c_str(), &now) != 0 || now.st_ino != held.st_ino || now.st_dev != held.st_dev) continue;
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
      const int e = errno;
      ::unlink(path.c_str());
      return fail_errno(L, "cannot write lock file " + path, e);
    }
    auto* lock = static_cast<Lock*>(lua_newuserdatauv(L, sizeof(Lock), 1));
    lock->fd = fd.release();
    lua_pushlstring(L, path.data(), path.size());
    lua_setiuservalue(L, -2, 1);
    if (luaL_newmetatable(L, kLockMeta)) {
      lua_pushcfunction(L, lock_release);
      lua_setfield(L, -2, "__gc");
      lua_pushcfunction(L, lock_release);
      lua_setfield(L, -2, "__close");
      lua_newtable(L);
      lua_pushcfunction(L, lock_release);
      lua_setfield(L, -2, "release");
      lua_setfield(L, -2, "__index");
      lua_pushstring(L, "locked");
      lua_setfield(L, -2, "__metatable");
    }
    lua_setmetatable(L, -2);
    return 1;
  }
  return fail_errno(L, "cannot lock " + path, EAGAIN);
}

// sys.pid_alive(pid) -> boolean (false only when no such process exists)
int f_pid_alive(lua_State* L) {
  const lua_Integer pid = luaL_checkinteger(L, 1);
  if (pid <= 0 || pid > 0x7fffffff) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pushboolean(L, ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH);
  return 1;
}

// sys.writable_dir(path) -> boolean (a folder this process may create files in)
int f_writable_dir(lua_State* L) {
  const std::string path = check_path(L, 1);
  struct stat st {};
  lua_pushboolean(L, ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
                         ::access(path.c_str(), W_OK | X_OK) == 0);
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
  const luaL_Reg funcs[] = {{"isatty", f_isatty},
                            {"mkdir", f_mkdir},
                            {"create_new", f_create_new},
                            {"file_id", f_file_id},
                            {"remove_if_same", f_remove_if_same},
                            {"remove_tree", f_remove_tree},
                            {"rename", f_rename},
                            {"replace_dir", f_replace_dir},
                            {"output_state", f_output_state},
                            {"list_tree", f_list_tree},
                            {"list_dir", f_list_dir},
                            {"lock_output", f_lock_output},
                            {"pid_alive", f_pid_alive},
                            {"writable_dir", f_writable_dir},
                            {"exists", f_exists},
                            {"is_dir", f_is_dir},
                            {"clock", f_clock},
                            {"getpid", f_getpid},
                            {nullptr, nullptr}};
  return codlua::new_module(L, funcs);
}

codlua::ModuleRegistration reg_sys("cod.core.sys", luaopen_cod_core_sys);

}  // namespace
