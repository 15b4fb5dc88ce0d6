#include "store/log_backup.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "store/schema.h"
#include "store/store_error.h"

namespace cohort {
namespace {

// A source busy for longer than this (a writer's checkpoint holding its lock) fails the backup.
constexpr auto kBusyFor = std::chrono::seconds(10);
constexpr auto kBusyPause = std::chrono::milliseconds(50);

// Copies every page of `source` into `dest` in one step, that is in one read transaction of
// the source: an incremental copy would restart at each of the writer's commits.
void copy_pages(SQLite::Database& source, SQLite::Database& dest, const std::string& log) {
  sqlite3_backup* backup = sqlite3_backup_init(dest.getHandle(), "main", source.getHandle(), "main");
  if (!backup) throw StoreError("cannot back up " + log + " (" + sqlite3_errmsg(dest.getHandle()) + ")");
  auto give_up_at = std::chrono::steady_clock::now() + kBusyFor;
  int step;
  while ((step = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > give_up_at) break;
    std::this_thread::sleep_for(kBusyPause);
  }
  sqlite3_backup_finish(backup);
  if (step != SQLITE_DONE) {
    throw StoreError("cannot back up " + log + " (" + sqlite3_errstr(step) + ")");
  }
}

// Makes a rename in `directory` durable.
void sync_directory(const std::filesystem::path& directory) {
  int fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Puts the finished copy under its name: link(2) fails if `out` appeared meanwhile, so a copy
// never replaces a file unless asked to.
void put_in_place(const std::string& partial, const std::string& out, bool replace) {
  if (replace) {
    if (::rename(partial.c_str(), out.c_str()) != 0) {
      throw StoreError("cannot write " + out + " (" + std::strerror(errno) + ")");
    }
    return;
  }
  if (::link(partial.c_str(), out.c_str()) != 0) {
    int error = errno;
    if (error == EEXIST) throw StoreError(out + " exists; give --force to replace it");
    throw StoreError("cannot write " + out + " (" + std::strerror(error) + ")");
  }
  ::unlink(partial.c_str());
}

}  // namespace

BackupResult backup_log(const std::string& log, const std::string& out, bool replace) {
  namespace fs = std::filesystem;
  if (!fs::exists(log)) throw StoreError(log + ": no such file");
  std::error_code ignored;
  if (fs::exists(out)) {
    if (fs::equivalent(log, out, ignored)) throw StoreError(out + " is the log itself; back it up to another file");
    if (!replace) throw StoreError(out + " exists; give --force to replace it");
    if (fs::is_directory(out)) throw StoreError(out + " is a directory; name the file to write");
  }
  std::string partial = out + ".partial." + std::to_string(::getpid());
  BackupResult result;
  try {
    SQLite::Database source(log, SQLite::OPEN_READONLY);
    source.setBusyTimeout(5000);
    try {
      check_readable(source);
    } catch (const SQLite::Exception& error) {
      throw StoreError(log + ": cannot read it as a Cohort log (" + error.what() + ")");
    }
    fs::remove(partial, ignored);
    {
      SQLite::Database dest(partial, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      copy_pages(source, dest, log);
      // The pages came with the log's WAL mode: a backup is one file, with nothing beside it.
      dest.exec("PRAGMA journal_mode=DELETE");
      check_readable(dest);
      result.records = dest.execAndGet("SELECT coalesce(max(seq), 0) FROM records").getInt64();
    }
    put_in_place(partial, out, replace);
  } catch (const SQLite::Exception& error) {
    fs::remove(partial, ignored);
    throw StoreError("cannot back up " + log + " to " + out + " (" + error.what() + ")");
  } catch (...) {
    fs::remove(partial, ignored);
    throw;
  }
  sync_directory(fs::path(out).parent_path());
  return result;
}

}  // namespace cohort
