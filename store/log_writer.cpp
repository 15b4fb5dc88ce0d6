#include "store/log_writer.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <future>

#include "store/checksum.h"
#include "store/store_error.h"

namespace cohort {

struct LogWriter::Connection {
  explicit Connection(const std::string& path)
      : db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {}  // no SQLite mutex: one thread (writer_thread_) uses it
  SQLite::Database db;
  std::unique_ptr<SQLite::Statement> insert_record;
  std::unique_ptr<SQLite::Statement> insert_snapshot;
  std::unique_ptr<SQLite::Statement> prune_snapshots;
  std::unique_ptr<SQLite::Statement> insert_data;
  std::unique_ptr<SQLite::Statement> insert_attachment;
};

namespace {

void bind_record(SQLite::Statement& insert, const Record& r) {
  insert.bind(1, static_cast<std::int64_t>(r.seq));
  insert.bind(2, static_cast<std::int64_t>(r.at));
  insert.bindNoCopy(3, kind_name(r.kind));
  insert.bindNoCopy(4, r.type);
  insert.bind(5, r.version);
  // Absent ids are NULL, so that `WHERE game = 5` style queries read naturally.
  if (r.subject.empty()) insert.bind(6); else insert.bindNoCopy(6, r.subject);
  if (r.game == kNoGame) insert.bind(7); else insert.bind(7, static_cast<std::int64_t>(r.game));
  if (r.scene == kNoScene) insert.bind(8); else insert.bind(8, r.scene);
  if (r.causation == 0) insert.bind(9); else insert.bind(9, static_cast<std::int64_t>(r.causation));
  insert.bindNoCopy(10, r.payload);
  insert.bind(11, static_cast<std::int64_t>(record_checksum(r)));
}

void insert_data(SQLite::Statement& insert, SQLite::Statement& attach, DataRecord& data, const Record& command) {
  data.seq = command.seq;
  data.at = command.at;
  insert.bind(1, static_cast<std::int64_t>(data.seq));
  insert.bind(2, static_cast<std::int64_t>(data.at));
  insert.bindNoCopy(3, data.kind);
  insert.bindNoCopy(4, data.subject);
  if (data.game == kNoGame) insert.bind(5); else insert.bind(5, static_cast<std::int64_t>(data.game));
  if (data.scene == kNoScene) insert.bind(6); else insert.bind(6, data.scene);
  insert.bindNoCopy(7, data.json);
  insert.bind(8, static_cast<std::int64_t>(data.attachments.size()));
  insert.bind(9, data_bytes(data));
  insert.bind(10, static_cast<std::int64_t>(data_checksum(data)));
  insert.exec();
  insert.reset();
  for (std::size_t num = 0; num < data.attachments.size(); ++num) {
    attach.bind(1, static_cast<std::int64_t>(data.seq));
    attach.bind(2, static_cast<std::int64_t>(num));
    attach.bindNoCopy(3, data.attachments[num].data(), static_cast<int>(data.attachments[num].size()));
    attach.exec();
    attach.reset();
  }
}

}  // namespace

LogWriter::LogWriter(Options options) : options_(std::move(options)) {
  try {
    connection_ = std::make_unique<Connection>(options_.path);
    connection_->db.setBusyTimeout(5000);
    prepare_for_writing(connection_->db, options_.durability, options_.config_json);
    connection_->insert_record = std::make_unique<SQLite::Statement>(
        connection_->db,
        "INSERT INTO records(seq, at, kind, type, version, subject, game, scene, causation, payload, checksum) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    connection_->insert_snapshot = std::make_unique<SQLite::Statement>(
        connection_->db, "INSERT OR REPLACE INTO snapshots(seq, projection, data, checksum) VALUES (?, ?, ?, ?)");
    connection_->prune_snapshots = std::make_unique<SQLite::Statement>(
        connection_->db,
        "DELETE FROM snapshots WHERE projection = ?1 AND seq < "
        "(SELECT min(seq) FROM (SELECT seq FROM snapshots WHERE projection = ?1 ORDER BY seq DESC LIMIT 2))");
    connection_->insert_data = std::make_unique<SQLite::Statement>(
        connection_->db,
        "INSERT INTO participant_data(seq, at, kind, subject, game, scene, json, attachments, bytes, checksum) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    connection_->insert_attachment = std::make_unique<SQLite::Statement>(
        connection_->db, "INSERT INTO participant_attachments(seq, num, data) VALUES (?, ?, ?)");
    last_committed_ = connection_->db.execAndGet("SELECT coalesce(max(seq), 0) FROM records").getInt64();
  } catch (const SQLite::Exception& error) {
    throw StoreError(options_.path + ": " + error.what());
  }
  thread_ = std::thread([this] { run(); });
}

LogWriter::~LogWriter() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LogWriter::append(AppendRequest request, AppendDone done) {
  std::vector<Pending> items;
  items.push_back(Pending{std::move(request), std::move(done)});
  enqueue(std::move(items));
}

void LogWriter::append_all(std::vector<std::pair<AppendRequest, AppendDone>> requests) {
  std::vector<Pending> items;
  items.reserve(requests.size());
  for (auto& [request, done] : requests) items.push_back(Pending{std::move(request), std::move(done)});
  enqueue(std::move(items));
}

void LogWriter::save_snapshot(SnapshotRequest request, AppendDone done) {
  std::vector<Pending> items;
  items.push_back(Pending{std::move(request), std::move(done)});
  enqueue(std::move(items));
}

void LogWriter::flush() {
  std::promise<void> committed;
  std::vector<Pending> items;
  items.push_back(Pending{std::monostate{}, [&](const AppendOutcome&) { committed.set_value(); }});
  enqueue(std::move(items));
  committed.get_future().wait();
}

Seq LogWriter::last_committed() const {
  MutexLock lock(mutex_);
  return last_committed_;
}

std::string LogWriter::failure() const {
  MutexLock lock(mutex_);
  return failure_;
}

void LogWriter::enqueue(std::vector<Pending> items) {
  {
    MutexLock lock(mutex_);
    // Backpressure: a writer this far behind holds its producer (the engine thread) until the
    // disk catches up, and the engine's own bounded queue then refuses clients.
    while (queue_.size() >= kMaxPendingRequests && !stopping_) lock.wait(room_);
    if (queue_.empty()) {
      queue_ = std::move(items);
    } else {
      for (auto& item : items) queue_.push_back(std::move(item));
    }
  }
  wake_.notify_one();
}

void LogWriter::run() {
  writer_thread_.assume();
  std::vector<Pending> batch;
  while (true) {
    {
      MutexLock lock(mutex_);
      while (!stopping_ && queue_.empty()) lock.wait(wake_);
      if (queue_.empty()) return;  // stopping, and everything is committed
      batch.swap(queue_);
    }
    room_.notify_all();
    commit(batch);
    batch.clear();
  }
}

void LogWriter::commit(std::vector<Pending>& batch) {
  if (std::string latched = failure(); !latched.empty()) {
    for (Pending& pending : batch) {
      if (pending.done) pending.done(AppendOutcome{false, 0, 0, latched});
    }
    return;
  }
  auto started = std::chrono::steady_clock::now();
  std::vector<AppendOutcome> outcomes(batch.size());
  CommitStats stats;
  stats.requests = batch.size();
  try {
    // Until commit() has returned, leaving this block (an insert failing, COMMIT itself
    // failing) rolls the whole batch back. The guard ignores a ROLLBACK that finds no
    // transaction: SQLite has already rolled back (e.g. on a full disk).
    SQLite::Transaction transaction(connection_->db, SQLite::TransactionBehavior::IMMEDIATE);
    Seq last = insert_batch(batch, outcomes, stats);
    transaction.commit();
    stats.ok = true;
    MutexLock lock(mutex_);
    last_committed_ = last;
  } catch (const std::exception& error) {
    // Nothing of the batch is visible: fail every request in it, and every later one.
    for (auto& insert : {connection_->insert_record.get(), connection_->insert_snapshot.get(),
                         connection_->prune_snapshots.get(), connection_->insert_data.get(),
                         connection_->insert_attachment.get()}) {
      insert->tryReset();
    }
    for (auto& outcome : outcomes) outcome = AppendOutcome{false, 0, 0, error.what()};
    MutexLock lock(mutex_);
    failure_ = error.what();
  }
  stats.duration = std::chrono::steady_clock::now() - started;
  if (options_.on_commit) options_.on_commit(stats);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(outcomes[i]);
  }
}

Seq LogWriter::insert_batch(std::vector<Pending>& batch, std::vector<AppendOutcome>& outcomes, CommitStats& stats) {
  Seq next = last_committed() + 1;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    AppendOutcome& outcome = outcomes[i];
    outcome.ok = true;
    if (auto* request = std::get_if<AppendRequest>(&batch[i].work)) {
      Seq command_seq = next;
      request->command.seq = next++;
      auto& insert = *connection_->insert_record;
      bind_record(insert, request->command);
      insert.exec();
      insert.reset();
      for (Record& event : request->events) {
        event.seq = next++;
        event.causation = command_seq;
        bind_record(insert, event);
        insert.exec();
        insert.reset();
      }
      if (request->data) {
        insert_data(*connection_->insert_data, *connection_->insert_attachment, *request->data, request->command);
      }
      outcome.first_seq = command_seq;
      outcome.last_seq = next - 1;
      stats.records += 1 + request->events.size();
    } else if (auto* snapshot = std::get_if<SnapshotRequest>(&batch[i].work)) {
      auto& insert = *connection_->insert_snapshot;
      Seq holds = next - 1;
      insert.bind(1, static_cast<std::int64_t>(holds));
      insert.bindNoCopy(2, snapshot->projection);
      insert.bindNoCopy(3, snapshot->data.data(), static_cast<int>(snapshot->data.size()));
      insert.bind(4, static_cast<std::int64_t>(snapshot_checksum(holds, snapshot->projection, snapshot->data)));
      insert.exec();
      insert.reset();
      auto& prune = *connection_->prune_snapshots;
      prune.bindNoCopy(1, snapshot->projection);
      prune.exec();
      prune.reset();
      outcome.first_seq = outcome.last_seq = next - 1;
    } else {
      outcome.first_seq = outcome.last_seq = next - 1;
    }
  }
  return next - 1;
}

}  // namespace cohort
