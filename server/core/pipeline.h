#pragma once
// The engine thread: commands from every socket, one at a time, through the engine; what it
// decides goes to the log's group commit, and only once committed is it delivered
// (DESIGN.md rule 4).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/mutex.h"
#include "base/thread_role.h"
#include "engine/decider/engine.h"
#include "server/core/metrics.h"
#include "store/log_writer.h"

namespace cohort {

// What the pipeline holds for clients (Pipeline::offer).
struct PipelineBounds {
  std::size_t max_queued = SIZE_MAX;  // client commands waiting for the engine
  int rejections_per_s = INT32_MAX;   // journaled rejections per socket per second
  std::int64_t max_data_bytes_per_subject = INT64_MAX;  // the participant's data a subject may store
};

// What one command decided, once committed.
struct Committed {
  std::vector<Event> events;  // in order
  // When the socket read the client command whose events created a game (a join completing a
  // match): where cohort_match_notify_seconds starts. nullopt: no game was created, or by the
  // server's own command (a timer).
  std::optional<std::chrono::steady_clock::time_point> match_read_at;
};

// What became of a command submitted with a completion (Pipeline::submit), once the writer is
// done with it.
struct CommandOutcome {
  bool committed = false;     // false: nothing of it is in the log, and `error` says why
  Seq seq = 0;                // committed: the command's position in the log
  std::vector<Event> events;  // committed: what the engine decided, in order (a refusal: command_rejected)
  std::string error;
};
using OnOutcome = std::function<void(CommandOutcome)>;

// The participant's data each subject has stored so far, as the log holds it
// (LogReader::data_bytes_by_subject): where the per-subject bound starts from.
using StoredDataBytes = std::unordered_map<std::string, std::int64_t>;

class Pipeline {
 public:
  struct Hooks {
    // Runs on the writer thread after a commit.
    std::function<void(Committed&&)> deliver;
    // The earliest deadline of the state changed (nullopt: none). Runs on the engine thread.
    std::function<void(std::optional<Millis>)> arm_timer;
    // A commit failed: the live state is ahead of the log; the server must stop. Runs once,
    // on the writer thread; from then on no command is decided and nothing is delivered.
    std::function<void(const std::string&)> fatal;
  };

  // Every `snapshot_every` records a snapshot of the projections goes to the log.
  // REQUIRES: `writer` and `metrics` outlive the pipeline.
  using Bounds = PipelineBounds;
  Pipeline(Engine engine, LogWriter& writer, Metrics& metrics, Hooks hooks, int snapshot_every, Bounds bounds = {},
           StoredDataBytes stored_data = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Any thread. The command's `at` is set when the engine takes it. Always queued: for the
  // server's own commands (timers, disconnects), which must never be lost.
  void submit(Command command);
  // Any thread: like submit, for a caller that answers someone once the command is decided and
  // durable (DESIGN.md rule 4: an admin's HTTP request). `done` runs once, on the writer thread,
  // after the commit holding the command and its events (and after their deliveries are handed
  // to the deliver hook), or when that commit failed or an earlier one had. False, and `done`
  // never runs, once the pipeline is stopping.
  bool submit(Command command, OnOutcome done);
  // Any thread: a client's command, queued unless `max_queued` commands already wait. The
  // first refusal of each second is itself journaled, as an `overloaded` rejection the engine
  // answers; the others are the caller's to answer. A client's commands are also held to a
  // budget of journaled rejections: once its socket has had `rejections_per_s` in a second,
  // its further commands that second are dropped undecided, so that a client being refused
  // cannot grow the log faster than that.
  // A store_data command comes with its data, which goes to the log beside the command when the
  // engine accepts it (and the subject's stored data stays within max_data_bytes_per_subject;
  // past it the command is refused `too_large`), and is dropped otherwise.
  enum class Offer { queued, refused_on_record, refused };
  Offer offer(Command command, std::optional<DataRecord> data = std::nullopt);
  // Runs `read` on the engine thread, between commands, with the engine as it stands. False
  // (and `read` never runs) once the pipeline is stopping.
  bool query(std::function<void(const Engine&)> read);
  // Any thread but the engine's and the writer's: blocks until every command submitted
  // before the call is decided and its commit has succeeded or failed.
  void flush();
  // Executes what is queued, waits for its commit, and stops the thread. Later submits are dropped.
  void stop();
  // True once a commit has failed.
  bool failed() const { return failed_.load(std::memory_order_acquire); }

 private:
  struct ClientCommand {
    Command command;
    std::chrono::steady_clock::time_point read_at;  // when offered, in the turn its socket read it
    std::optional<DataRecord> data;
  };
  struct AwaitedCommand {
    Command command;
    OnOutcome done;
  };
  using Item = std::variant<Command, ClientCommand, AwaitedCommand, std::function<void(const Engine&)>>;
  // Whether the client's budget of rejections this second is spent.
  bool over_rejection_budget(ConnId conn) REQUIRES(engine_thread_);
  void count_rejections(ConnId conn, int rejections) REQUIRES(engine_thread_);
  void run();
  // Both return how many rejections the command's events hold. `read_at`: a client's command,
  // read by its socket then; `data`: a store_data command's data; `done`: told the outcome.
  using ReadAt = std::optional<std::chrono::steady_clock::time_point>;
  int execute(Command command, ReadAt read_at = std::nullopt, std::optional<DataRecord> data = std::nullopt,
              OnOutcome done = {}) REQUIRES(engine_thread_);
  // Refuses a subject's data past max_data_bytes_per_subject: the command becomes a too_large
  // rejection, and its data is dropped.
  void hold_to_data_bound(Command& command, std::optional<DataRecord>& data) REQUIRES(engine_thread_);
  int journal(const Command& command, std::vector<Event> events, std::size_t violations_before, ReadAt read_at,
              std::optional<DataRecord> data, OnOutcome done) REQUIRES(engine_thread_);
  void snapshot_if_due() REQUIRES(engine_thread_);
  void rearm(const Command& command) REQUIRES(engine_thread_);
  void on_commit_failed(const std::string& error);

  ThreadRole engine_thread_;
  Engine engine_ GUARDED_BY(engine_thread_);
  LogWriter& writer_;
  Metrics& metrics_;
  Hooks hooks_;
  Mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::int64_t overload_journaled_second_ GUARDED_BY(mutex_) = -1;
  const Bounds bounds_;
  std::atomic<bool> failed_{false};
  Millis last_at_ GUARDED_BY(engine_thread_) = 0;
  std::int64_t budget_second_ GUARDED_BY(engine_thread_) = -1;
  std::unordered_map<ConnId, int> rejections_this_second_ GUARDED_BY(engine_thread_);
  StoredDataBytes stored_data_ GUARDED_BY(engine_thread_);
  std::optional<Deadline> armed_ GUARDED_BY(engine_thread_);
  const int snapshot_every_;
  Seq snapshot_seq_ GUARDED_BY(engine_thread_);
  std::thread thread_;
};

}  // namespace cohort
