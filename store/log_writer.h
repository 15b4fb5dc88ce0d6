#pragma once
// The single writer of a log: a thread that owns the SQLite connection and commits
// whatever has been queued while its previous commit ran (group commit, no fixed delay).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/mutex.h"
#include "base/thread_role.h"
#include "engine/vocabulary/record.h"
#include "store/participant_data.h"
#include "store/schema.h"

namespace cohort {

// One command and the events it caused: appended together or not at all. A store_data
// command carries its data too, written in the same transaction under the command's position.
struct AppendRequest {
  Record command;
  std::vector<Record> events;
  std::optional<DataRecord> data;
};

// A projection's state, saved in the same transaction as the records queued before it.
// Its seq is the last position assigned before it in queue order.
struct SnapshotRequest {
  std::string projection;
  std::string data;
};

struct AppendOutcome {
  bool ok = false;
  Seq first_seq = 0;  // the command's position (a snapshot: the position it holds)
  Seq last_seq = 0;   // the last event's position
  std::string error;  // when !ok: why the batch failed; nothing of it is in the log
};

using AppendDone = std::function<void(const AppendOutcome&)>;

struct CommitStats {
  std::size_t requests = 0;
  std::size_t records = 0;
  std::chrono::nanoseconds duration{0};
  bool ok = false;
};

class LogWriter {
 public:
  struct Options {
    std::string path;
    Durability durability = Durability::full;
    std::string config_json;  // recorded in meta as the config in force; "" keeps the old one
    std::function<void(const CommitStats&)> on_commit;  // runs on the writer thread
  };

  // Opens (creating or migrating) the log; throws StoreError when it cannot.
  explicit LogWriter(Options options);
  // Commits what is queued, then stops.
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Requests waiting for a commit before append() blocks its caller until the writer catches up.
  static constexpr std::size_t kMaxPendingRequests = 65536;

  // `done` runs on the writer thread once the request's transaction has committed or failed.
  // REQUIRES: not called from a `done` callback (it may wait for the writer thread).
  // A failed commit is latched, as LevelDB latches a background error: every later request
  // fails with the same error and nothing more is written, so no position is ever reused and
  // nothing decided after the failure reaches the log.
  void append(AppendRequest request, AppendDone done);
  // Queues several at once: they land in the same transaction.
  void append_all(std::vector<std::pair<AppendRequest, AppendDone>> requests);
  void save_snapshot(SnapshotRequest request, AppendDone done);
  // Blocks until everything queued before the call has committed or failed.
  void flush();

  Seq last_committed() const;
  // The error of the commit that failed, "" while none has.
  std::string failure() const;

 private:
  using Work = std::variant<std::monostate, AppendRequest, SnapshotRequest>;
  struct Pending {
    Work work;
    AppendDone done;
  };
  struct Connection;

  void enqueue(std::vector<Pending> items);
  void run();
  void commit(std::vector<Pending>& batch) REQUIRES(writer_thread_);
  // Numbers and inserts the batch's records and snapshots inside the open transaction;
  // returns the last position it used.
  Seq insert_batch(std::vector<Pending>& batch, std::vector<AppendOutcome>& outcomes, CommitStats& stats)
      REQUIRES(writer_thread_);

  const Options options_;
  ThreadRole writer_thread_;
  std::unique_ptr<Connection> connection_ GUARDED_BY(writer_thread_);
  mutable Mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable room_;  // the queue fell below kMaxPendingRequests
  std::vector<Pending> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  Seq last_committed_ GUARDED_BY(mutex_) = 0;
  std::string failure_ GUARDED_BY(mutex_);  // set once, by the writer thread
  std::thread thread_;
};

}  // namespace cohort
