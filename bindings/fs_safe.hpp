#pragma once
/// @file fs_safe.hpp
/// POSIX helpers for writing and deleting files without ever following a symbolic link:
/// folders are opened one component at a time with O_NOFOLLOW and files are created with
/// openat relative to them, so no link swapped in between a check and the open is followed.
/// Also the marker (`.codlua-output`) by which codlua recognises the folders it wrote
/// (see docs/hardening.md, "Output folders"). Used by cod.core.sys and cod.core.sandbox.

#include <string>
#include <utility>
#include <vector>

namespace codlua::fs_safe {

/// The marker file codlua writes into every output folder, and its first line.
inline constexpr const char* kMarker = ".codlua-output";
inline constexpr const char* kMagic = "codlua-output v1";

/// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_;
};

/// Open the folder `abs` (an absolute, lexically normal path) following no symbolic link:
/// every component is opened with O_NOFOLLOW from "/". With `create`, missing components
/// are made (mode 0777 minus the umask). On failure returns an invalid Fd with errno set
/// (ELOOP or ENOTDIR when a component is a symbolic link or not a folder).
Fd open_dir(const std::string& abs, bool create);

/// The part of `path` (made absolute with the current folder, then lexically normal) before
/// and after its last separator; the name is empty for "/" or a path ending in "/" or "..".
std::pair<std::string, std::string> split_parent(const std::string& path);

/// One entry of an output folder: 'f' a regular file, 'd' a folder, 'l' a symbolic link,
/// 'o' anything else; `path` relative to the folder, '/'-separated.
struct Entry {
  char type;
  std::string path;
};

/// Every entry under the open folder `dirfd` (links are listed, never followed), sorted by
/// path; the marker itself is left out. Returns false (errno set) when a folder can't be read.
bool list_tree(int dirfd, std::vector<Entry>& out);

/// The marker of the open folder `dirfd`: `valid` when it exists as a regular file starting
/// with kMagic; `complete` when its second line is "complete"; `entries` the listed files.
struct Manifest {
  bool valid = false;
  bool complete = false;
  std::vector<Entry> entries;
};
Manifest read_manifest(int dirfd);

/// Delete everything under the open folder `dirfd` without following links (a link is
/// removed, not its target). Returns false (errno set) at the first failure.
bool remove_contents(int dirfd);

/// The text of errno `e` (strerror).
std::string error_text(int e);

}  // namespace codlua::fs_safe
