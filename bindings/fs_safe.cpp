// Symlink-free file-system walks for cod.core.sys and cod.core.sandbox (see fs_safe.hpp).

#include "fs_safe.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace codlua::fs_safe {

namespace fs = std::filesystem;

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

std::string error_text(int e) { return std::error_code(e, std::generic_category()).message(); }

Fd open_dir(const std::string& abs, bool create) {
  if (abs.empty() || abs[0] != '/') {
    errno = EINVAL;
    return Fd();
  }
  Fd cur(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur) return Fd();
  size_t i = 1;
  while (i < abs.size()) {
    size_t j = abs.find('/', i);
    if (j == std::string::npos) j = abs.size();
    const std::string part = abs.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {  // callers pass lexically normal paths; never let the kernel walk up
      errno = EINVAL;
      return Fd();
    }
    int fd = ::openat(cur.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), part.c_str(), 0777) != 0 && errno != EEXIST) return Fd();
      fd = ::openat(cur.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) return Fd();
    cur = Fd(fd);
  }
  return cur;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = fs::path(path);
  const std::string norm = abs.lexically_normal().string();
  const size_t slash = norm.rfind('/');
  if (slash == std::string::npos) return {".", norm};
  std::string parent = slash == 0 ? "/" : norm.substr(0, slash);
  std::string name = norm.substr(slash + 1);
  if (name == "." || name == "..") name.clear();
  return {parent, name};
}

namespace {

char type_of(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return 'f';
  if (S_ISDIR(st.st_mode)) return 'd';
  if (S_ISLNK(st.st_mode)) return 'l';
  return 'o';
}

// Names of an open folder (without . and ..); `dirfd` stays open (fdopendir gets a dup).
bool names_of(int dirfd, std::vector<std::string>& names) {
  const int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return false;
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return false;
  }
  ::rewinddir(d);
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  const int err = errno;
  ::closedir(d);
  errno = err;
  return err == 0;
}

bool list_into(int dirfd, const std::string& prefix, std::vector<Entry>& out, int depth) {
  if (depth > 64) {
    errno = ELOOP;
    return false;
  }
  std::vector<std::string> names;
  if (!names_of(dirfd, names)) return false;
  for (const auto& n : names) {
    if (prefix.empty() && n == kMarker) continue;
    struct stat st {};
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    const std::string rel = prefix.empty() ? n : prefix + "/" + n;
    out.push_back({type_of(st), rel});
    if (S_ISDIR(st.st_mode)) {
      Fd sub(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub || !list_into(sub.get(), rel, out, depth + 1)) return false;
    }
  }
  return true;
}

}  // namespace

bool list_tree(int dirfd, std::vector<Entry>& out) {
  out.clear();
  if (!list_into(dirfd, "", out, 0)) return false;
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });
  return true;
}

Manifest read_manifest(int dirfd) {
  Manifest m;
  Fd fd(::openat(dirfd, kMarker, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return m;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) return m;
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line_no == 1) {
      if (line != kMagic) return m;
      m.valid = true;
    } else if (line_no == 2) {
      m.complete = line == "complete";
    } else if (line.size() > 2 && (line[0] == 'f' || line[0] == 'd') && line[1] == ' ') {
      const std::string rel = line.substr(2);
      // A listed path stays inside the folder: no absolute path, no "..", no empty part.
      bool ok = rel[0] != '/';
      for (size_t a = 0; ok && a <= rel.size();) {
        size_t b = rel.find('/', a);
        if (b == std::string::npos) b = rel.size();
        const std::string part = rel.substr(a, b - a);
        ok = !part.empty() && part != "." && part != "..";
        a = b + 1;
      }
      if (ok) m.entries.push_back({line[0], rel});
    }
  }
  return m;
}

namespace {

bool remove_below(int dirfd, int depth) {
  if (depth > 64) {
    errno = ELOOP;
    return false;
  }
  std::vector<std::string> names;
  if (!names_of(dirfd, names)) return false;
  for (const auto& n : names) {
    struct stat st {};
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      Fd sub(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub || !remove_below(sub.get(), depth + 1)) return false;
      if (::unlinkat(dirfd, n.c_str(), AT_REMOVEDIR) != 0) return false;
    } else if (::unlinkat(dirfd, n.c_str(), 0) != 0 && errno != ENOENT) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool remove_contents(int dirfd) { return remove_below(dirfd, 0); }

}  // namespace codlua::fs_safe
