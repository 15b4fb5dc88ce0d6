#include "server/core/pipeline.h"

#include <chrono>
#include <future>

#include "engine/vocabulary/record_codec.h"
#include "projections/snapshot.h"
#include "server/json_log.h"

namespace cohort {
namespace {

constexpr Millis kDueRetryMs = 1000;

Millis wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Pipeline::Pipeline(Engine engine, LogWriter& writer, Metrics& metrics, Hooks hooks, int snapshot_every,
                   Bounds bounds, StoredDataBytes stored_data)
    : engine_(std::move(engine)),
      writer_(writer),
      metrics_(metrics),
      hooks_(std::move(hooks)),
      bounds_(bounds),
      stored_data_(std::move(stored_data)),
      snapshot_every_(snapshot_every),
      snapshot_seq_(engine_.projections().last_seq) {
  thread_ = std::thread([this] { run(); });
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::submit(Command command) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return;
    queue_.emplace_back(std::move(command));
  }
  wake_.notify_one();
}

bool Pipeline::submit(Command command, OnOutcome done) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return false;
    queue_.emplace_back(AwaitedCommand{std::move(command), std::move(done)});
  }
  wake_.notify_one();
  return true;
}

Pipeline::Offer Pipeline::offer(Command command, std::optional<DataRecord> data) {
  Offer outcome = Offer::queued;
  {
    MutexLock lock(mutex_);
    if (stopping_) return Offer::refused;
    if (queue_.size() >= bounds_.max_queued) {
      auto second = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
      if (second == overload_journaled_second_) return Offer::refused;
      overload_journaled_second_ = second;  // this one refusal goes on record
      command.body = cmd::Malformed{std::string(command_name(command.body)), "overloaded",
                                    "the server is overloaded; the message was dropped"};
      outcome = Offer::refused_on_record;
      data.reset();
    }
    queue_.emplace_back(ClientCommand{std::move(command), std::chrono::steady_clock::now(), std::move(data)});
  }
  wake_.notify_one();
  return outcome;
}

bool Pipeline::query(std::function<void(const Engine&)> read) {
  {
    MutexLock lock(mutex_);
    if (stopping_) return false;
    queue_.emplace_back(std::move(read));
  }
  wake_.notify_one();
  return true;
}

void Pipeline::flush() {
  std::promise<void> decided;
  if (query([&decided](const Engine&) { decided.set_value(); })) decided.get_future().wait();
  writer_.flush();
}

void Pipeline::stop() {
  {
    MutexLock lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  writer_.flush();
}

void Pipeline::run() {
  engine_thread_.assume();
  while (true) {
    Item item;
    {
      MutexLock lock(mutex_);
      while (!stopping_ && queue_.empty()) lock.wait(wake_);
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    // After a failed commit the state is ahead of the log: nothing more is decided from it.
    if (auto* command = std::get_if<Command>(&item)) {
      if (!failed()) execute(std::move(*command));
    } else if (auto* client = std::get_if<ClientCommand>(&item)) {
      if (failed()) continue;
      if (over_rejection_budget(client->command.conn)) {
        metrics_.unjournaled_rejection();
        continue;
      }
      ConnId conn = client->command.conn;
      count_rejections(conn, execute(std::move(client->command), client->read_at, std::move(client->data)));
    } else if (auto* awaited = std::get_if<AwaitedCommand>(&item)) {
      if (failed()) {
        awaited->done({.error = "an earlier commit failed; the server is stopping"});
        continue;
      }
      execute(std::move(awaited->command), std::nullopt, std::nullopt, std::move(awaited->done));
    } else {
      std::get<std::function<void(const Engine&)>>(item)(engine_);
    }
  }
}

bool Pipeline::over_rejection_budget(ConnId conn) {
  auto second = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (second != budget_second_) {
    budget_second_ = second;
    rejections_this_second_.clear();
  }
  auto it = rejections_this_second_.find(conn);
  return it != rejections_this_second_.end() && it->second >= bounds_.rejections_per_s;
}

void Pipeline::count_rejections(ConnId conn, int rejections) {
  if (rejections > 0) rejections_this_second_[conn] += rejections;
}

void Pipeline::hold_to_data_bound(Command& command, std::optional<DataRecord>& data) {
  if (!data || command.subject.empty()) return;  // no subject: refused not_registered by the engine
  std::int64_t stored = 0;
  if (auto it = stored_data_.find(command.subject); it != stored_data_.end()) stored = it->second;
  std::int64_t bytes = data_bytes(*data);
  if (stored + bytes <= bounds_.max_data_bytes_per_subject) return;
  command.body = cmd::Malformed{data->kind, "too_large",
                                "subject " + command.subject + " has stored " + std::to_string(stored) +
                                    " bytes of data; at most " + std::to_string(bounds_.max_data_bytes_per_subject) +
                                    " are stored per subject"};
  data.reset();
}

int Pipeline::execute(Command command, ReadAt read_at, std::optional<DataRecord> data, OnOutcome done) {
  // Time only moves forward, even if the wall clock steps back.
  last_at_ = std::max(last_at_, wall_clock_ms());
  command.at = last_at_;
  if (std::holds_alternative<cmd::Timer>(command.body)) {
    auto due = engine_.state().earliest_deadline();
    if (!due || due->at > command.at) {  // woke early: nothing to journal, wait again
      armed_ = due;
      hooks_.arm_timer(due ? std::optional<Millis>(due->at) : std::nullopt);
      if (done) done({.committed = true});  // nothing was due: nothing to journal
      return 0;
    }
  }
  hold_to_data_bound(command, data);
  std::size_t violations_before = engine_.projections().audit.violation_count();
  std::vector<Event> events = engine_.execute(command);
  int rejections = journal(command, std::move(events), violations_before, read_at, std::move(data), std::move(done));
  snapshot_if_due();
  rearm(command);
  return rejections;
}

int Pipeline::journal(const Command& command, std::vector<Event> events, std::size_t violations_before,
                      ReadAt read_at, std::optional<DataRecord> data, OnOutcome done) {
  int rejections = 0;
  bool game_created = false;
  AppendRequest request;
  request.command = to_record(command);
  request.events.reserve(events.size());
  for (const Event& event : events) {
    request.events.push_back(to_record(event));
    game_created = game_created || std::holds_alternative<ev::GameCreated>(event.body);
    // Accepted: the data goes into the command's transaction, filed as the engine decided.
    if (data && std::holds_alternative<ev::DataStored>(event.body)) {
      data->subject = event.subject;
      data->game = event.game;
      data->scene = event.scene;
      stored_data_[event.subject] += data_bytes(*data);
      request.data = std::move(data);
      data.reset();
    }
    if (const auto* rejected = std::get_if<ev::CommandRejected>(&event.body)) {
      ++rejections;
      metrics_.rejected();
      json_log::limited("command_rejected", {{"code", rejected->code},
                                             {"command", std::string(command_name(command.body))},
                                             {"subject", command.subject},
                                             {"message", rejected->message}});
    }
  }
  const auto& violations = engine_.projections().audit.violations();
  if (violations.size() > violations_before) {
    metrics_.violations(violations.size() - violations_before);
    for (std::size_t i = violations_before; i < violations.size(); ++i) {
      json_log::limited("invariant_violation", {{"seq", std::to_string(violations[i].seq)},
                                                {"invariant", std::to_string(violations[i].invariant)},
                                                {"detail", violations[i].detail}});
    }
  }
  // Only an awaited command keeps a copy of its events for its caller: admin commands, a few a minute.
  std::vector<Event> told = done ? events : std::vector<Event>{};
  Committed committed{std::move(events), game_created ? read_at : std::nullopt};
  writer_.append(std::move(request), [this, committed = std::move(committed), done = std::move(done),
                                      told = std::move(told)](const AppendOutcome& outcome) mutable {
    if (!outcome.ok) {
      on_commit_failed(outcome.error);
      if (done) done({.error = outcome.error});
      return;
    }
    if (failed()) {
      if (done) done({.error = "an earlier commit failed; the server is stopping"});
      return;
    }
    hooks_.deliver(std::move(committed));
    if (done) done({.committed = true, .seq = outcome.first_seq, .events = std::move(told)});
  });
  return rejections;
}

void Pipeline::on_commit_failed(const std::string& error) {
  if (failed_.exchange(true, std::memory_order_acq_rel)) return;  // the writer fails every later batch too
  hooks_.fatal(error);
}

// Queued right after the command's records, the snapshot holds exactly their state.
void Pipeline::snapshot_if_due() {
  if (engine_.projections().last_seq - snapshot_seq_ < snapshot_every_) return;
  snapshot_seq_ = engine_.projections().last_seq;
  writer_.save_snapshot({"projections", snapshot_of(engine_.projections())}, nullptr);
}

// The earliest deadline is compared whole, not by its time alone, and after a timer command
// the timer has been spent, so it is armed again whatever stands first now. A deadline that
// the rules left in place although it was due is retried a second later rather than at once,
// so that it cannot spin the engine journaling timer commands.
void Pipeline::rearm(const Command& command) {
  bool timer_spent = std::holds_alternative<cmd::Timer>(command.body);
  std::optional<Deadline> earliest = engine_.state().earliest_deadline();
  if (!timer_spent && earliest == armed_) return;
  armed_ = earliest;
  if (!earliest) {
    hooks_.arm_timer(std::nullopt);
    return;
  }
  Millis at = earliest->at;
  if (timer_spent && at <= command.at) {
    json_log::limited("deadline_left_due", {{"kind", deadline_name(earliest->kind)},
                                            {"game", std::to_string(earliest->game)},
                                            {"subject", earliest->subject}});
    at = command.at + kDueRetryMs;
  }
  hooks_.arm_timer(at);
}

}  // namespace cohort
