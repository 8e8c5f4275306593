// codlua: the host program. Modelled on lua.c: it runs everything under
// lua_pcall with a traceback handler, gives scripts their arguments in `arg`,
// and adds the cod stdlib and the engine's C++ modules to the Lua path.
//
//   codlua [options] [script [args]]
//   codlua <command> [args]         (a command implemented in stdlib/cod/cli/)

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "modules.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

const char* kProgName = "codlua";

// With --sandbox: a registry reference to cod.sandbox's environment, in which every
// chunk the host loads (script, -e, stdin, REPL) runs. LUA_NOREF otherwise.
int g_sandbox_env = LUA_NOREF;

// Load a chunk from a buffer: text only and in the sandbox's environment under --sandbox.
int load_buffer(lua_State* L, const char* s, size_t len, const char* name) {
  const int status = luaL_loadbufferx(L, s, len, name, g_sandbox_env == LUA_NOREF ? nullptr : "t");
  if (status == LUA_OK && g_sandbox_env != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, g_sandbox_env);  // [chunk, env]
    lua_setupvalue(L, -2, 1);                          // a main chunk's first upvalue is _ENV
  }
  return status;
}

int load_file(lua_State* L, const char* fname) {
  const int status = luaL_loadfilex(L, fname, g_sandbox_env == LUA_NOREF ? nullptr : "t");
  if (status == LUA_OK && g_sandbox_env != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, g_sandbox_env);
    lua_setupvalue(L, -2, 1);
  }
  return status;
}

void print_usage(FILE* out) {
  std::fprintf(out,
               "usage: %s [options] [script [args]]\n"
               "       %s <command> [args]      (run '%s help' for the commands)\n"
               "Options:\n"
               "  -e stat   execute string 'stat'\n"
               "  -l mod    require library 'mod' into global 'mod'\n"
               "  -i        enter interactive mode after running the script\n"
               "  -v        show version information\n"
               "  --sandbox run untrusted code: no programs, no native modules, writes only\n"
               "            under the command's --out folder (see docs/hardening.md)\n"
               "  --help    show this help\n"
               "  --        stop handling options\n"
               "  -         run stdin as a script\n",
               kProgName, kProgName, kProgName);
}

// The exit status of the last user error reported (1 input, 2 usage); 0 when none.
int g_user_status = 0;

// CODLUA_TRACEBACK=1: tracebacks for user errors too (for codlua's own developers).
bool always_traceback() {
  const char* v = std::getenv("CODLUA_TRACEBACK");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

// Names from data files reach error messages: control characters other than a line break
// or a tab are shown as \xHH (an ESC sequence can't drive the terminal), NUL included, and a
// message longer than 4000 bytes keeps its start and end (a 20 MB name is not echoed).
std::string printable_message(std::string_view msg) {
  constexpr size_t kMax = 4000;
  std::string cut;
  if (msg.size() > kMax) {
    cut.append(msg.substr(0, kMax - 500));
    cut += "… (" + std::to_string(msg.size()) + " bytes in all) …";
    cut.append(msg.substr(msg.size() - 400));
    msg = cut;
  }
  std::string out;
  out.reserve(msg.size());
  for (unsigned char c : msg) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Print an error as one line `codlua: message`. A user error (cod.errors) arrives here
// as its object, untouched by msghandler; a bug arrives as message + traceback.
void report(lua_State* L, int status) {
  if (status != LUA_OK) {
    if (codlua::is_user_error(L, -1)) {
      lua_getfield(L, -1, "status");
      g_user_status = lua_tointeger(L, -1) == 2 ? 2 : 1;
      lua_pop(L, 1);
    }
    size_t len = 0;
    const char* msg = luaL_tolstring(L, -1, &len);  // [err, text]
    const std::string shown = printable_message(std::string_view(msg, len));
    std::fprintf(stderr, "%s: %s\n", kProgName, shown.c_str());
    std::fflush(stderr);
    lua_pop(L, 2);
  }
}

// Message handler: adds a traceback to the error message (as lua.c's msghandler);
// a user error passes through as it is, so report() can print it as one line.
int msghandler(lua_State* L) {
  if (codlua::is_user_error(L, 1) && !always_traceback()) return 1;
  const char* msg = lua_tostring(L, 1);
  if (msg == nullptr) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tostring(L, -1);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

int docall(lua_State* L, int narg, int nres) {
  const int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  const int status = lua_pcall(L, narg, nres, base);
  lua_remove(L, base);
  return status;
}

// The stdlib folder: $CODLUA_STDLIB, then <exe>/../share/codlua/stdlib (installed),
// then the source tree the binary was built from, then the configured install path.
std::string find_stdlib() {
  if (const char* env = std::getenv("CODLUA_STDLIB"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "codlua" / "stdlib";
    if (fs::is_directory(installed / "cod", ec)) return installed.string();
  }
  if (fs::is_directory(fs::path(COD_STDLIB_BUILD_DIR) / "cod", ec)) return COD_STDLIB_BUILD_DIR;
  return COD_STDLIB_INSTALL_DIR;
}

// libcodlua_fastpng (bindings/fastpng): beside the binary (the build tree), else where
// `cmake --install` put it (relative to the binary, then the configured prefix); empty when
// none is a regular file (charts then encode as gnuplot does by default).
std::string find_fastpng() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p : {exe.parent_path() / "libcodlua_fastpng.so",
                              exe.parent_path().parent_path() / COD_FASTPNG_INSTALL_RELATIVE})
      if (fs::is_regular_file(p, ec)) return p.string();
  }
  if (fs::is_regular_file(COD_FASTPNG_INSTALL_PATH, ec)) return COD_FASTPNG_INSTALL_PATH;
  return {};
}

void setup_paths(lua_State* L, const std::string& stdlib) {
  lua_getglobal(L, "package");  // [package]
  lua_getfield(L, -1, "path");  // [package, path]
  std::string path = stdlib + "/?.lua;" + stdlib + "/?/init.lua;" + lua_tostring(L, -1);
  lua_pop(L, 1);
  lua_pushstring(L, path.c_str());
  lua_setfield(L, -2, "path");  // [package]
  lua_pushstring(L, stdlib.c_str());
  lua_setfield(L, -2, "codlua_stdlib");
  if (const std::string fastpng = find_fastpng(); !fastpng.empty()) {
    lua_pushstring(L, fastpng.c_str());
    lua_setfield(L, -2, "codlua_fastpng");
  }
  lua_pop(L, 1);  // []
}

// arg table as lua.c: script at 0, its arguments at 1.., options before at negative indices.
void create_arg_table(lua_State* L, char** argv, int argc, int script) {
  lua_createtable(L, argc - script - 1, script + 1);
  for (int i = 0; i < argc; ++i) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

int dochunk(lua_State* L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  report(L, status);
  return status;
}

int dostring(lua_State* L, const char* s, const char* name) {
  return dochunk(L, load_buffer(L, s, std::strlen(s), name));
}

int dolibrary(lua_State* L, const char* name) {
  if (g_sandbox_env != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, g_sandbox_env);  // [env]
    lua_getfield(L, -1, "require");                    // [env, require]
    lua_remove(L, -2);
  } else {
    lua_getglobal(L, "require");
  }
  lua_pushstring(L, name);
  int status = docall(L, 1, 1);
  if (status == LUA_OK) {
    // global name: the part after the last '.'
    const char* dot = std::strrchr(name, '.');
    if (g_sandbox_env != LUA_NOREF) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, g_sandbox_env);  // [mod, env]
      lua_insert(L, -2);                                 // [env, mod]
      lua_setfield(L, -2, dot ? dot + 1 : name);         // [env]
      lua_pop(L, 1);
    } else {
      lua_setglobal(L, dot ? dot + 1 : name);
    }
  }
  report(L, status);
  return status;
}

// Pushes the script's arguments (arg[1..n]) and returns n.
int push_args(lua_State* L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  const int n = static_cast<int>(luaL_len(L, -1));
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (int i = 1; i <= n; ++i) lua_rawgeti(L, -i, i);
  lua_remove(L, -n - 1);
  return n;
}

int handle_script(lua_State* L, const char* fname) {
  if (std::strcmp(fname, "-") == 0) fname = nullptr;  // stdin
  int status = load_file(L, fname);
  if (status == LUA_OK) {
    const int n = push_args(L);
    status = docall(L, n, LUA_MULTRET);
  }
  report(L, status);
  return status;
}

std::string g_stdlib;  // the stdlib folder in use (find_stdlib)

// A command word runs stdlib's cod.cli: a word without '/' or '.' that names a command
// (stdlib/cod/cli/<word>.lua) wins over a file of that name (an earlier `--out predict`
// must not turn `codlua predict` into a script); any other such word is a command too
// unless a file of that name exists (then cod.cli says the command is unknown).
bool is_command(const char* word) {
  if (std::strchr(word, '/') || std::strchr(word, '.') || word[0] == '-') return false;
  std::error_code ec;
  if (fs::is_regular_file(fs::path(g_stdlib) / "cod" / "cli" / (std::string(word) + ".lua"), ec)) return true;
  return !fs::exists(word, ec);
}

int handle_command(lua_State* L, const char* command) {
  lua_getglobal(L, "require");
  lua_pushstring(L, "cod.cli");
  int status = docall(L, 1, 1);  // [cli]
  if (status == LUA_OK) {
    lua_getfield(L, -1, "main");  // [cli, main]
    lua_remove(L, -2);            // [main]
    lua_pushstring(L, command);
    const int n = push_args(L);
    status = docall(L, n + 1, 1);  // [exit code or nil]
    if (status == LUA_OK) {
      const int code = lua_isinteger(L, -1) ? static_cast<int>(lua_tointeger(L, -1)) : 0;
      lua_pop(L, 1);
      return code == 0 ? LUA_OK : -code;  // negative: a command's own exit status
    }
  }
  report(L, status);
  return status;
}

void print_version() {
  std::printf("codlua %s (%s)\n", COD_VERSION, LUA_RELEASE);
  std::fflush(stdout);
}

// A minimal REPL: each line is tried as an expression first, then as a statement.
void do_repl(lua_State* L) {
  char buffer[4096];
  const bool tty = isatty(STDIN_FILENO);
  for (;;) {
    if (tty) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
    }
    if (!std::fgets(buffer, sizeof buffer, stdin)) break;
    std::string line = buffer;
    std::string expr = "return " + line;
    int status = load_buffer(L, expr.data(), expr.size(), "=stdin");
    if (status != LUA_OK) {
      lua_pop(L, 1);
      status = load_buffer(L, line.data(), line.size(), "=stdin");
    }
    if (status == LUA_OK) {
      const int base = lua_gettop(L) - 1;
      status = docall(L, 0, LUA_MULTRET);
      const int n = lua_gettop(L) - base;
      if (status == LUA_OK && n > 0) {
        lua_getglobal(L, "print");
        lua_insert(L, -n - 1);
        status = docall(L, n, 0);
      }
    }
    report(L, status);
  }
  if (tty) std::fputs("\n", stdout);
}

struct Args {
  bool interactive = false, version = false, help = false, has_e = false, sandbox = false;
  int script = 0;  // index of the script/command in argv, 0 when none
  bool bad = false;
};

Args collect_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const char* s = argv[i];
    if (s[0] != '-') {
      a.script = i;
      return a;
    }
    if (std::strcmp(s, "-") == 0) {
      a.script = i;
      return a;
    }
    if (std::strcmp(s, "--") == 0) {
      if (i + 1 < argc) a.script = i + 1;
      return a;
    }
    if (std::strcmp(s, "--help") == 0 || std::strcmp(s, "-h") == 0) {
      a.help = true;
    } else if (std::strcmp(s, "-i") == 0) {
      a.interactive = true;
    } else if (std::strcmp(s, "-v") == 0) {
      a.version = true;
    } else if (std::strcmp(s, "--sandbox") == 0) {
      a.sandbox = true;
    } else if (std::strcmp(s, "-e") == 0 || std::strcmp(s, "-l") == 0) {
      if (s[1] == 'e') a.has_e = true;
      if (i + 1 >= argc) {
        a.bad = true;
        return a;
      }
      ++i;
    } else {
      a.bad = true;
      return a;
    }
  }
  return a;
}

// --sandbox: cod.sandbox.enable_for(command or nil, {args after it}), then keep its
// environment for the chunks the host loads. Returns false (reported) on failure.
bool enable_sandbox(lua_State* L, char** argv, int argc, int script) {
  lua_getglobal(L, "require");
  lua_pushstring(L, "cod.sandbox");
  int status = docall(L, 1, 1);  // [sandbox]
  if (status == LUA_OK) {
    lua_getfield(L, -1, "enable_for");  // [sandbox, enable_for]
    if (script > 0 && is_command(argv[script]))
      lua_pushstring(L, argv[script]);
    else
      lua_pushnil(L);
    const int first = script > 0 ? script + 1 : argc;
    lua_createtable(L, argc - first > 0 ? argc - first : 0, 0);
    for (int i = first; i < argc; ++i) {
      lua_pushstring(L, argv[i]);
      lua_rawseti(L, -2, i - first + 1);
    }
    status = docall(L, 2, 0);  // [sandbox]
    if (status == LUA_OK) {
      lua_getfield(L, -1, "env");  // [sandbox, env]
      g_sandbox_env = luaL_ref(L, LUA_REGISTRYINDEX);
      lua_pop(L, 1);  // []
      return true;
    }
  }
  report(L, status);
  return false;
}

// Runs the -e and -l options in order; returns false on the first failure.
bool run_options(lua_State* L, char** argv, int upto) {
  for (int i = 1; i < upto; ++i) {
    if (std::strcmp(argv[i], "-e") == 0) {
      if (dostring(L, argv[++i], "=(command line)") != LUA_OK) return false;
    } else if (std::strcmp(argv[i], "-l") == 0) {
      if (dolibrary(L, argv[++i]) != LUA_OK) return false;
    }
  }
  return true;
}

struct Main {
  int argc;
  char** argv;
  int exit_code = EXIT_FAILURE;
};

int pmain(lua_State* L) {
  auto* m = static_cast<Main*>(lua_touserdata(L, 1));
  const int argc = m->argc;
  char** argv = m->argv;
  const Args a = collect_args(argc, argv);
  if (a.bad) {
    print_usage(stderr);
    return 0;
  }
  if (a.help) {
    print_usage(stdout);
    m->exit_code = EXIT_SUCCESS;
    return 0;
  }
  luaL_openlibs(L);
  codlua::preload_modules(L);
  g_stdlib = find_stdlib();
  setup_paths(L, g_stdlib);
  // The matrix type must exist before any module pushes or checks a matrix.
  if (dolibrary(L, "cod.core.matrix") != LUA_OK) return 0;
  lua_pushnil(L);
  lua_setglobal(L, "matrix");  // dolibrary made a global; keep the namespace clean
  create_arg_table(L, argv, argc, a.script > 0 ? a.script : 0);
  if (a.version) print_version();
  if (a.sandbox && !enable_sandbox(L, argv, argc, a.script)) return 0;
  if (!run_options(L, argv, a.script > 0 ? a.script : argc)) return 0;
  if (a.script > 0) {
    int status;
    if (is_command(argv[a.script]))
      status = handle_command(L, argv[a.script]);
    else
      status = handle_script(L, argv[a.script]);
    if (status < 0) {  // a command chose its exit status
      m->exit_code = -status;
      return 0;
    }
    if (status != LUA_OK) return 0;
  }
  if (a.interactive) {
    do_repl(L);
  } else if (a.script == 0 && !a.has_e && !a.version) {
    if (isatty(STDIN_FILENO)) {
      print_version();
      do_repl(L);
    } else if (handle_script(L, "-") != LUA_OK) {
      return 0;
    }
  }
  m->exit_code = EXIT_SUCCESS;
  return 0;
}

}  // namespace

// SIGPIPE's handler: none needed, it only keeps the signal from ending the process.
extern "C" void ignore_sigpipe(int) {}

int main(int argc, char** argv) {
  if (argc > 0 && argv[0] && argv[0][0]) kProgName = "codlua";
  // A write to a pipe whose reader has gone (a gnuplot process killed from outside, a closed
  // `| head`) fails with EPIPE, which is checked and reported, instead of killing codlua with
  // a report half written. A handler, not SIG_IGN: programs codlua starts get the default back.
  struct sigaction sa {};
  sa.sa_handler = ignore_sigpipe;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, nullptr);
  lua_State* L = luaL_newstate();
  if (L == nullptr) {
    std::fprintf(stderr, "%s: cannot create state: not enough memory\n", kProgName);
    return EXIT_FAILURE;
  }
  Main m{argc, argv};
  lua_pushcfunction(L, pmain);
  lua_pushlightuserdata(L, &m);
  const int status = lua_pcall(L, 1, 0, 0);
  report(L, status);
  lua_close(L);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "%s: cannot write to standard output: %s\n", kProgName, std::strerror(errno));
    return EXIT_FAILURE;
  }
  if (status == LUA_OK && m.exit_code == EXIT_FAILURE && g_user_status != 0) return g_user_status;
  return status == LUA_OK ? m.exit_code : EXIT_FAILURE;
}
