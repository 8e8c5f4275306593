// cod.core.parallel: an ordered map over independent tasks, run on worker processes.
//
// Why processes (fork) and not threads with a lua_State each: a forked worker is an exact
// copy of the calling state, so everything a task may touch comes with it unchanged — the
// user's recipe files and registered methods, closures and their upvalues, the loaded
// dataset, and the --sandbox restrictions. Nothing has to be re-created in another state
// or shared across states. What crosses back is the task's result, serialised exactly
// (a double travels as its 8 bytes, so numbers round-trip bit for bit). docs/parallel.md
// has the whole contract.
//
// Protocol: one socketpair per worker. The parent writes a task number (int64) to a free
// worker; the worker answers with one frame (u64 length, then 'R' + encoded result or 'E'
// + encoded error value). Task numbers go out in increasing order, so when task e fails
// every task below e has been handed out: the parent stops handing out, collects what is
// running and raises the error of the lowest failed task — the error a sequential run
// would raise, whatever the worker count.

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cod/threads.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

constexpr int kMaxWorkers = 256;
constexpr int kMaxDepth = 200;  // deeper nesting than any result has: a cycle

bool g_in_worker = false;  // this process is a worker: maps inside it run sequentially
int g_threads = 0;         // set_threads(); 0 = the number of cores

int default_threads() {
  if (g_in_worker) return 1;
  if (g_threads > 0) return g_threads;
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  return hw > 0 ? hw : 1;
}

// ------------------------------------------------------------------ byte I/O

// Write all of buf; false on error (a dead peer: MSG_NOSIGNAL, never SIGPIPE).
bool send_all(int fd, const void* buf, std::size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    const ssize_t k = send(fd, p, len, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    len -= static_cast<std::size_t>(k);
  }
  return true;
}

// Read exactly len bytes: 1 done, 0 clean end of stream before any byte, -1 error or short.
int recv_all(int fd, void* buf, std::size_t len) {
  char* p = static_cast<char*>(buf);
  std::size_t got = 0;
  while (got < len) {
    const ssize_t k = recv(fd, p + got, len - got, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return -1;
    if (k == 0) return got == 0 ? 0 : -1;
    got += static_cast<std::size_t>(k);
  }
  return 1;
}

// ------------------------------------------------------------------ encoding

// Tags of the value encoding (all sizes little-endian as the host stores them: both ends
// are the same binary on the same machine).
enum : char { kNil = 'n', kFalse = 'f', kTrue = 't', kInt = 'i', kNum = 'd', kStr = 's', kTable = 'T',
              kMatrix = 'M', kEnd = 'e' };

class Encoder {
 public:
  explicit Encoder(lua_State* L) : L_(L) {}

  /** Encode the value at idx; false (and why()) when it holds something that cannot travel. */
  bool value(int idx, int depth = 0) {
    idx = lua_absindex(L_, idx);
    switch (lua_type(L_, idx)) {
      case LUA_TNIL: out_.push_back(kNil); return true;
      case LUA_TBOOLEAN: out_.push_back(lua_toboolean(L_, idx) ? kTrue : kFalse); return true;
      case LUA_TNUMBER:
        if (lua_isinteger(L_, idx)) {
          out_.push_back(kInt);
          raw(static_cast<std::int64_t>(lua_tointeger(L_, idx)));
        } else {
          out_.push_back(kNum);
          raw(static_cast<double>(lua_tonumber(L_, idx)));
        }
        return true;
      case LUA_TSTRING: {
        std::size_t len = 0;
        const char* s = lua_tolstring(L_, idx, &len);
        out_.push_back(kStr);
        string(s, len);
        return true;
      }
      case LUA_TTABLE: return table(idx, depth);
      case LUA_TUSERDATA:
        if (codlua::is_box(L_, idx, codlua::kMatrixType)) return matrix(idx);
        return fail(std::string("a userdata value (") + type_name(idx) + ")");
      default: return fail(std::string("a ") + luaL_typename(L_, idx));
    }
  }

  const std::string& bytes() const { return out_; }
  /** What could not be encoded, and where: "a function at result.fit.f". */
  std::string why() const {
    std::string at = "result";
    for (const auto& p : path_) at += p;
    return what_ + " at " + at;
  }

 private:
  template <class T>
  void raw(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }
  void string(const char* s, std::size_t len) {
    raw(static_cast<std::uint64_t>(len));
    out_.append(s, len);
  }
  bool fail(std::string what) {
    what_ = std::move(what);
    return false;
  }
  std::string type_name(int idx) {
    std::string name = "?";
    if (luaL_getmetafield(L_, idx, "__name") != LUA_TNIL) {  // [name]
      if (lua_type(L_, -1) == LUA_TSTRING) name = lua_tostring(L_, -1);
      lua_pop(L_, 1);
    }
    return name;
  }
  std::string key_text(int idx) {
    if (lua_type(L_, idx) == LUA_TSTRING) return "." + std::string(lua_tostring(L_, idx));
    if (lua_isinteger(L_, idx)) return "[" + std::to_string(lua_tointeger(L_, idx)) + "]";
    return "[?]";
  }

  bool matrix(int idx) {
    const auto& m = codlua::check_box<cod::Matrix>(L_, idx, codlua::kMatrixType);
    out_.push_back(kMatrix);
    raw(static_cast<std::int64_t>(m->rows()));
    raw(static_cast<std::int64_t>(m->cols()));
    out_.append(reinterpret_cast<const char*>(m->data()), sizeof(double) * static_cast<std::size_t>(m->size()));
    return true;
  }

  bool table(int idx, int depth) {
    if (depth > kMaxDepth) return fail("tables nested deeper than " + std::to_string(kMaxDepth) + " (a cycle?)");
    if (!lua_checkstack(L_, 4)) return fail("a table too deep for the Lua stack");
    out_.push_back(kTable);
    // A metatable travels by its registry name (luaL_newmetatable's __name), as error
    // objects and classes are registered; an anonymous one is dropped.
    std::string mt_name;
    if (lua_getmetatable(L_, idx)) {                               // [mt]
      if (lua_getfield(L_, -1, "__name") == LUA_TSTRING) {         // [mt, name]
        std::string name = lua_tostring(L_, -1);
        luaL_getmetatable(L_, name.c_str());                       // [mt, name, registered]
        if (lua_rawequal(L_, -1, -3)) mt_name = std::move(name);
        lua_pop(L_, 1);
      }
      lua_pop(L_, 2);
    }
    string(mt_name.data(), mt_name.size());
    // The array part first, in order, then the rest in lua_next order.
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L_, idx));
    raw(static_cast<std::int64_t>(n));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L_, idx, i);  // [v]
      path_.push_back("[" + std::to_string(i) + "]");
      const bool ok = value(-1, depth + 1);
      lua_pop(L_, 1);
      if (!ok) return false;
      path_.pop_back();
    }
    lua_pushnil(L_);  // [k]
    while (lua_next(L_, idx) != 0) {  // [k, v]
      const bool in_array = lua_isinteger(L_, -2) && lua_tointeger(L_, -2) >= 1 && lua_tointeger(L_, -2) <= n;
      if (!in_array) {
        path_.push_back(key_text(-2));
        if (!value(-2, depth + 1) || !value(-1, depth + 1)) {
          lua_pop(L_, 2);
          return false;
        }
        path_.pop_back();
      }
      lua_pop(L_, 1);  // [k]
    }
    out_.push_back(kEnd);
    return true;
  }

  lua_State* L_;
  std::string out_;
  std::string what_;
  std::vector<std::string> path_;
};

class Decoder {
 public:
  Decoder(lua_State* L, const std::string& b) : L_(L), p_(b.data()), end_(b.data() + b.size()) {}

  /** Push the next value (the bytes come from our own encoder; a short frame is a bug). */
  void value() {
    luaL_checkstack(L_, 4, "cod.parallel: result too deep");
    const char tag = take<char>();
    switch (tag) {
      case kNil: lua_pushnil(L_); return;
      case kFalse: lua_pushboolean(L_, 0); return;
      case kTrue: lua_pushboolean(L_, 1); return;
      case kInt: lua_pushinteger(L_, static_cast<lua_Integer>(take<std::int64_t>())); return;
      case kNum: lua_pushnumber(L_, take<double>()); return;
      case kStr: {
        const std::string s = string();
        lua_pushlstring(L_, s.data(), s.size());
        return;
      }
      case kMatrix: {
        const auto rows = take<std::int64_t>(), cols = take<std::int64_t>();
        cod::Matrix m(rows, cols);
        need(sizeof(double) * static_cast<std::size_t>(rows * cols));
        std::memcpy(m.data(), p_, sizeof(double) * static_cast<std::size_t>(rows * cols));
        p_ += sizeof(double) * static_cast<std::size_t>(rows * cols);
        codlua::push_matrix(L_, std::move(m));
        return;
      }
      case kTable: {
        const std::string mt_name = string();
        const auto n = take<std::int64_t>();
        lua_createtable(L_, static_cast<int>(n), 0);  // [t]
        for (std::int64_t i = 1; i <= n; ++i) {
          value();                                     // [t, v]
          lua_rawseti(L_, -2, static_cast<lua_Integer>(i));
        }
        while (peek() != kEnd) {
          value();  // [t, k]
          value();  // [t, k, v]
          lua_rawset(L_, -3);
        }
        ++p_;
        if (!mt_name.empty() && luaL_getmetatable(L_, mt_name.c_str()) == LUA_TTABLE) {  // [t, mt]
          lua_setmetatable(L_, -2);
        } else if (!mt_name.empty()) {
          lua_pop(L_, 1);
        }
        return;
      }
      default: luaL_error(L_, "cod.parallel: corrupt result frame (tag %d)", static_cast<int>(tag));
    }
  }

 private:
  void need(std::size_t k) {
    if (static_cast<std::size_t>(end_ - p_) < k) luaL_error(L_, "cod.parallel: truncated result frame");
  }
  template <class T>
  T take() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  char peek() {
    need(1);
    return *p_;
  }
  std::string string() {
    const auto len = static_cast<std::size_t>(take<std::uint64_t>());
    need(len);
    std::string s(p_, len);
    p_ += len;
    return s;
  }

  lua_State* L_;
  const char* p_;
  const char* end_;
};

// ------------------------------------------------------------------ the worker

// Error handler of a task: a string (a bug) gets the worker's traceback, as the host's
// handler would give it; an error object (a user's mistake) travels as it is.
int task_msghandler(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING) {
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
  }
  if (lua_type(L, 1) == LUA_TTABLE) return 1;
  luaL_tolstring(L, 1, nullptr);  // anything else: its text
  luaL_traceback(L, L, lua_tostring(L, -1), 1);
  return 1;
}

bool send_frame(int fd, char kind, const std::string& body) {
  const std::uint64_t len = body.size() + 1;
  return send_all(fd, &len, sizeof len) && send_all(fd, &kind, 1) && send_all(fd, body.data(), body.size());
}

// The worker's loop, run under lua_pcall: [fn, fd]. Returns when the parent closes its end.
int worker_loop(lua_State* L) {
  const int fd = static_cast<int>(lua_tointeger(L, 2));
  for (;;) {
    std::int64_t task = 0;
    const int got = recv_all(fd, &task, sizeof task);
    if (got <= 0) return 0;
    lua_settop(L, 2);
    lua_pushcfunction(L, task_msghandler);  // [fn, fd, h]
    lua_pushvalue(L, 1);
    lua_pushinteger(L, static_cast<lua_Integer>(task));  // [fn, fd, h, fn, i]
    const int status = lua_pcall(L, 1, 1, 3);            // [fn, fd, h, result | error]
    Encoder enc(L);
    char kind = status == LUA_OK ? 'R' : 'E';
    if (!enc.value(-1)) {
      // What cannot travel becomes a bug report naming where it sits.
      std::string msg = status == LUA_OK
                            ? "cod.parallel: task " + std::to_string(task) + " returned " + enc.why() +
                                  ", which cannot leave a worker process (results must be numbers, strings, "
                                  "booleans, tables or matrices)"
                            : std::string("cod.parallel: task ") + std::to_string(task) +
                                  " raised an error object that cannot leave a worker process: " +
                                  luaL_tolstring(L, -1, nullptr);
      kind = 'E';
      lua_pushstring(L, msg.c_str());
      enc = Encoder(L);
      enc.value(-1);
    }
    if (!send_frame(fd, kind, enc.bytes())) return 0;  // the parent is gone
  }
}

[[noreturn]] void run_worker(lua_State* L, int fn_idx, int fd) {
  g_in_worker = true;
  cod::set_thread_limit(1);  // the sibling workers use the other cores
  lua_pushcfunction(L, worker_loop);
  lua_pushvalue(L, fn_idx);
  lua_pushinteger(L, fd);
  const int status = lua_pcall(L, 2, 0, 0);  // never unwinds into the parent's frames
  if (status != LUA_OK) {
    const char* msg = lua_tostring(L, -1);
    std::fprintf(stderr, "codlua: worker process failed: %s\n", msg ? msg : "(no message)");
  }
  std::fflush(nullptr);  // what the task printed (the parent flushed its own before fork)
  _exit(status == LUA_OK ? 0 : 70);
}

// ------------------------------------------------------------------ the parent

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::int64_t task = 0;  // running task, 0 = idle
};

// The workers of one map call. The destructor reaps them on every path (also when a Lua
// error unwinds through f_map: Lua is built as C++, so destructors run).
class Pool {
 public:
  ~Pool() {
    for (Worker& w : workers_)
      if (w.fd >= 0) close(w.fd);  // a worker reading its next task sees the end and exits
    for (Worker& w : workers_)
      if (w.pid > 0) {
        if (w.task != 0) kill(w.pid, SIGKILL);  // still busy with a task nobody will read
        reap(w);
      }
  }

  std::vector<Worker>& workers() { return workers_; }

  /** Wait for a worker; its exit described for a message ("exit status 3", "signal 9"). */
  static std::string reap(Worker& w) {
    int status = 0;
    pid_t r;
    do r = waitpid(w.pid, &status, 0);
    while (r < 0 && errno == EINTR);
    w.pid = -1;
    if (r < 0) return "unknown status";
    if (WIFSIGNALED(status)) return std::string("signal ") + std::to_string(WTERMSIG(status)) + " (" +
                                    strsignal(WTERMSIG(status)) + ")";
    return "exit status " + std::to_string(WEXITSTATUS(status));
  }

 private:
  std::vector<Worker> workers_;
};

// parallel.map_indices(n, fn, threads [, on_done]) -> {fn(1), ..., fn(n)}
// fn(i) runs in a worker process; on_done(done, n) runs in the caller after each result.
int f_map_indices(lua_State* L) {
  const lua_Integer n = luaL_checkinteger(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  const lua_Integer threads = luaL_checkinteger(L, 3);
  const bool has_done = !lua_isnoneornil(L, 4);
  if (has_done) luaL_checktype(L, 4, LUA_TFUNCTION);
  luaL_argcheck(L, n >= 0 && n <= INT32_MAX, 1, "must be in [0, 2147483647]");
  luaL_argcheck(L, threads >= 1 && threads <= kMaxWorkers, 3, "must be in [1, 256]");
  // Workers never start workers (cod.parallel.map runs sequentially there): at most 256
  // processes at a time, also for code under --sandbox.
  if (g_in_worker) return luaL_error(L, "cod.parallel: map_indices called inside a worker process");
  lua_settop(L, 4);
  lua_createtable(L, static_cast<int>(n), 0);  // [n, fn, threads, on_done, results]
  const int results = 5;

  const int nw = static_cast<int>(std::min<lua_Integer>(threads, n));
  Pool pool;
  std::fflush(nullptr);  // a child must not inherit (and later flush) our buffered output
  for (int k = 0; k < nw; ++k) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return luaL_error(L, "cod.parallel: cannot create a worker channel: %s", std::strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) {
      close(sv[0]);
      close(sv[1]);
      return luaL_error(L, "cod.parallel: cannot start a worker process: %s", std::strerror(errno));
    }
    if (pid == 0) {
      close(sv[0]);
      for (Worker& w : pool.workers()) close(w.fd);  // siblings' channels are not ours
      run_worker(L, 2, sv[1]);
    }
    close(sv[1]);
    pool.workers().push_back(Worker{pid, sv[0], 0});
  }

  std::int64_t next = 1, done = 0, failed_task = 0;
  std::string failed_frame;
  auto hand_out = [&](Worker& w) {
    if (failed_task == 0 && next <= n) {
      w.task = next;
      if (!send_all(w.fd, &next, sizeof next)) luaL_error(L, "cod.parallel: a worker process stopped listening");
      ++next;
    } else {
      w.task = 0;
      shutdown(w.fd, SHUT_WR);  // no more tasks: the worker exits
    }
  };
  for (Worker& w : pool.workers()) hand_out(w);

  std::vector<pollfd> fds;
  std::vector<Worker*> busy;
  std::string frame;
  for (;;) {
    fds.clear();
    busy.clear();
    for (Worker& w : pool.workers())
      if (w.task != 0) {
        fds.push_back(pollfd{w.fd, POLLIN, 0});
        busy.push_back(&w);
      }
    if (fds.empty()) break;
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return luaL_error(L, "cod.parallel: poll failed: %s", std::strerror(errno));
    }
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Worker& w = *busy[k];
      std::uint64_t len = 0;
      bool ok = recv_all(w.fd, &len, sizeof len) == 1 && len >= 1;
      if (ok) {
        frame.resize(len);
        ok = recv_all(w.fd, frame.data(), len) == 1;
      }
      if (!ok) {  // the worker died in the middle of a task (crash, out of memory, killed)
        const std::int64_t task = w.task;
        w.task = 0;
        const std::string how = Pool::reap(w);
        return luaL_error(L, "cod.parallel: the worker process running task %d ended without a result (%s)",
                          static_cast<int>(task), how.c_str());
      }
      const std::int64_t task = w.task;
      if (frame[0] == 'E') {
        if (failed_task == 0 || task < failed_task) {
          failed_task = task;
          failed_frame = frame;
        }
      } else {
        Decoder(L, frame.substr(1)).value();  // [.., results, v]
        lua_rawseti(L, results, static_cast<lua_Integer>(task));
      }
      ++done;
      hand_out(w);
      if (has_done && failed_task == 0) {
        lua_pushvalue(L, 4);
        lua_pushinteger(L, static_cast<lua_Integer>(done));
        lua_pushinteger(L, n);
        lua_call(L, 2, 0);
      }
    }
  }
  if (failed_task != 0) {
    Decoder(L, failed_frame.substr(1)).value();  // [.., error]
    return lua_error(L);
  }
  return 1;
}

// parallel.threads() -> the default worker count: set_threads(), else the cores (1 in a worker)
int f_threads(lua_State* L) {
  lua_pushinteger(L, default_threads());
  return 1;
}

// parallel.set_threads(n): the default worker count and the engine's thread cap (0 = the cores)
int f_set_threads(lua_State* L) {
  const lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0 && n <= kMaxWorkers, 1, "must be in [0, 256] (0 = the number of cores)");
  if (!g_in_worker) {
    g_threads = static_cast<int>(n);
    cod::set_thread_limit(static_cast<int>(n));
  }
  return 0;
}

// parallel.worker() -> true inside a worker process
int f_worker(lua_State* L) {
  lua_pushboolean(L, g_in_worker);
  return 1;
}

int luaopen_cod_core_parallel(lua_State* L) {
  const luaL_Reg funcs[] = {{"map_indices", f_map_indices},
                            {"threads", f_threads},
                            {"set_threads", f_set_threads},
                            {"worker", f_worker},
                            {nullptr, nullptr}};
  return codlua::new_module(L, funcs);
}

codlua::ModuleRegistration reg_parallel("cod.core.parallel", luaopen_cod_core_parallel);

}  // namespace
