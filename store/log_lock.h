#pragma once
// One writer per log: a process holds a LogLock on a log for as long as it may write to it.
// Taken before the log is first read, so that what the holder rebuilds from the log is not
// changed under it by another writer. Readers (cohort-replay, backups, the dashboard) take no
// lock and are never shut out.
//
// The lock is flock(2) on a sibling file, `<log>.lock`, not on the log itself: SQLite holds
// POSIX (fcntl) locks on the log, and closing any descriptor of that file in the process drops
// all of them, so a descriptor of our own on it would put SQLite's locking at risk. flock
// locks belong to an open file description, so a second LogLock on the same log fails even
// within one process. The kernel drops the lock when its holder dies (kill -9 included); the
// file is left in place, since removing it would let a new holder lock a file no one else sees.
// The lock file sits beside the log's real path, so a symlink to the log meets the same lock.
// The holder's pid is written in the file, only to name it to the one refused.
#include <string>

namespace cohort {

class LogLock {
 public:
  // Takes the lock or throws StoreError with one line: `<log> is held by another cohort-server
  // (pid N); stop it or use another --db`, or why `<log>.lock` could not be opened.
  explicit LogLock(const std::string& log_path);
  // Releases the lock. REQUIRES: every writer of the log opened under it is closed.
  ~LogLock();
  LogLock(const LogLock&) = delete;
  LogLock& operator=(const LogLock&) = delete;

 private:
  int fd_;
};

}  // namespace cohort
