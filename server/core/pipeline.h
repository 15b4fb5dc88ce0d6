#pragma once
// The engine thread: commands from every socket, one at a time, through the engine; what it
// decides goes to the log's group commit, and only once committed is it delivered
// (DESIGN.md rule 4).
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "engine/decider/engine.h"
#include "server/metrics.h"
#include "store/log_writer.h"

namespace cohort {

class Pipeline {
 public:
  struct Hooks {
    // Runs on the writer thread after a commit, with the committed events in order.
    std::function<void(std::vector<Event>&&)> deliver;
    // The earliest deadline of the state changed (nullopt: none).
    std::function<void(std::optional<Millis>)> arm_timer;
    // A commit failed: the live state is ahead of the log; the server must stop.
    std::function<void(const std::string&)> fatal;
  };

  // Every `snapshot_every` records a snapshot of the projections goes to the log.
  Pipeline(Engine engine, LogWriter& writer, Metrics& metrics, Hooks hooks, int snapshot_every);
  ~Pipeline();

  // Any thread. The command's `at` is set when the engine takes it.
  void submit(Command command);
  // Runs `read` on the engine thread, between commands, with the engine as it stands.
  void query(std::function<void(const Engine&)> read);
  // Executes what is queued, waits for its commit, and stops the thread. Later submits are dropped.
  void stop();

 private:
  using Item = std::variant<Command, std::function<void(const Engine&)>>;
  void run();
  void execute(Command command);

  Engine engine_;
  LogWriter& writer_;
  Metrics& metrics_;
  Hooks hooks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  Millis last_at_ = 0;
  std::optional<Millis> armed_;
  int snapshot_every_;
  Seq snapshot_seq_;
  std::thread thread_;
};

}  // namespace cohort
