#include "store/log_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/store_error.h"

namespace cohort {
namespace {

// The pid the holder wrote, or "" while it has not yet written it (a moment after locking).
std::string holder_pid(int fd) {
  char text[32] = {};
  ssize_t size = pread(fd, text, sizeof text - 1, 0);
  if (size <= 0) return "";
  std::string pid(text, static_cast<std::size_t>(size));
  return pid.find_first_not_of("0123456789") == std::string::npos ? pid : "";
}

void write_pid(int fd) {
  std::string pid = std::to_string(getpid());
  // Only informative: if this fails, the one refused is not told the pid, nothing more.
  if (ftruncate(fd, 0) != 0) return;
  [[maybe_unused]] ssize_t written = pwrite(fd, pid.data(), pid.size(), 0);
}

}  // namespace

LogLock::LogLock(const std::string& log_path) {
  std::error_code unresolved;  // then the path as given: open() below says what is wrong with it
  auto real_path = std::filesystem::weakly_canonical(log_path, unresolved);
  std::string lock_path = (unresolved ? log_path : real_path.string()) + ".lock";
  fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw StoreError("cannot open " + lock_path + " to lock the log (" + std::strerror(errno) + ")");
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    std::string pid = error == EWOULDBLOCK ? holder_pid(fd_) : "";
    close(fd_);
    if (error != EWOULDBLOCK) throw StoreError("cannot lock " + lock_path + " (" + std::strerror(error) + ")");
    throw StoreError(log_path + " is held by another cohort-server" + (pid.empty() ? "" : " (pid " + pid + ")") +
                     "; stop it or use another --db");
  }
  write_pid(fd_);
}

LogLock::~LogLock() { close(fd_); }

}  // namespace cohort
