#include "projections/snapshot.h"

#include <algorithm>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/field_text.h"

namespace cohort {

// One line per entity: a `kind=...` token, then the entity's fields as payload text.
struct SnapshotCodec {
  static void line(std::string& out, std::string_view kind, const auto& write) {
    std::string text;
    field_text::Writer writer(text);
    writer("kind", std::string(kind));
    write(writer);
    out += text;
    out += '\n';
  }

  static std::string save(const Projector& p) {
    std::string out;
    const SessionMap& m = p.map;
    line(out, "header", [&](auto& w) {
      w("version", std::int64_t{kSnapshotVersion}), w("experiment_id", m.experiment->experiment_id);
      w("last_seq", p.last_seq), w("last_game_id", m.last_game_id), w("nonce", m.nonce);
      w("server_starts", m.server_starts), w("restart_grace_deadline", m.restart_grace_deadline);
    });
    // The experiment in force: the records after the snapshot are read with it, whatever config
    // the restoring server was started with.
    line(out, "experiment", [&](auto& w) { w("json", experiment_json(*m.experiment)); });
    // What the dashboard changed, not in the experiment: said apart, always (the cap may be none).
    // A snapshot from before the dashboard could change them has no such line, and restores
    // with every waitroom open and the experiment's cap, which is what its log held.
    std::vector<std::string> closed;
    for (int scene : m.closed_waitrooms) closed.push_back(std::to_string(scene));
    line(out, "controls", [&](auto& w) { w("closed_waitrooms", closed), w("max_participants", m.max_participants); });
    std::vector<const Subject*> subjects;
    for (const auto& [id, subject] : m.subjects) subjects.push_back(&subject);
    std::sort(subjects.begin(), subjects.end(), [](auto* a, auto* b) { return a->id < b->id; });
    for (const Subject* subject : subjects) line(out, "subject", [&](auto& w) { Subject::fields(*subject, w); });
    // Plain loop variables rather than structured bindings: clang 14 (the fuzz build) cannot
    // capture bindings in a lambda.
    for (const auto& entry : m.games) line(out, "game", [&](auto& w) { Game::fields(entry.second, w); });
    for (std::size_t scene = 0; scene < m.waitrooms.size(); ++scene) {
      if (m.waitrooms[scene].empty()) continue;
      line(out, "waitroom", [&](auto& w) { w("scene", scene), w("subjects", m.waitrooms[scene]); });
    }
    for (const auto& pair : m.failed_pairs) {
      line(out, "failed_pair", [&](auto& w) {
        w("scene", std::get<0>(pair)), w("a", std::get<1>(pair)), w("b", std::get<2>(pair));
      });
    }
    for (const auto& [game, rows] : p.analytics.rows_) {
      for (const SessionRow& row : rows) line(out, "row", [&](auto& w) { SessionRow::fields(row, w); });
    }
    for (const auto& joined : p.analytics.joined_at_) {
      line(out, "joined", [&](auto& w) { w("subject", joined.first), w("at", joined.second); });
    }
    for (const auto& completion : p.analytics.completion_codes_) {
      line(out, "completion", [&](auto& w) { w("subject", completion.first), w("code", completion.second); });
    }
    for (const auto& paused : p.analytics.paused_at_) {
      line(out, "paused", [&](auto& w) { w("game", paused.first), w("at", paused.second); });
    }
    for (const auto& excluded : p.analytics.excluded_) {
      line(out, "excluded", [&](auto& w) {
        w("game", excluded.first), w("player", excluded.second.first), w("reason", excluded.second.second);
      });
    }
    std::vector<std::string> ended;
    for (GameId id : p.audit.ended_) ended.push_back(std::to_string(id));
    line(out, "ended_games", [&](auto& w) { w("ids", ended); });
    for (const Violation& v : p.audit.violations_) {
      line(out, "violation", [&](auto& w) { w("seq", v.seq), w("invariant", v.invariant), w("detail", v.detail); });
    }
    return out;
  }

  static void restore(Projector& p, std::string_view text) {
    SessionMap& m = p.map;
    bool header = false;
    bool experiment = false;
    while (!text.empty()) {
      auto end = text.find('\n');
      std::string_view line_text = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
      field_text::Reader r(line_text);
      std::string kind;
      r("kind", kind);
      if (kind == "header") {
        std::int64_t version = 0;
        std::string experiment_id;
        r("version", version), r("experiment_id", experiment_id);
        if (version != kSnapshotVersion) throw SnapshotError("snapshot version " + std::to_string(version));
        r("last_seq", p.last_seq), r("last_game_id", m.last_game_id), r("nonce", m.nonce);
        r("server_starts", m.server_starts), r("restart_grace_deadline", m.restart_grace_deadline);
        if (m.restart_grace_deadline) m.deadlines.insert({m.restart_grace_deadline, DeadlineKind::restart_grace, kNoGame, {}});
        header = true;
      } else if (kind == "experiment") {
        std::string json;
        r("json", json);
        try {
          m.experiment = std::make_shared<const Experiment>(parse_experiment(json));
        } catch (const ConfigError& error) {
          throw SnapshotError(std::string("snapshot's experiment: ") + error.what());
        }
        m.waitrooms.assign(m.experiment->scenes.size(), {});
        p.analytics.configure(*m.experiment);
        m.max_participants = m.experiment->max_participants;
        experiment = true;
      } else if (kind == "controls") {
        std::vector<std::string> closed;
        r("closed_waitrooms", closed), r("max_participants", m.max_participants);
        for (const std::string& scene : closed) {
          const int index = std::stoi(scene);
          if (index < 0 || index >= static_cast<int>(m.waitrooms.size())) throw SnapshotError("closed waitroom of an unknown scene");
          m.closed_waitrooms.insert(index);
        }
      } else if (kind == "subject") {
        Subject subject;
        Subject::fields(subject, r);
        if (subject.state == SubjectState::waiting) ++m.waiting_count;
        if (subject.wait_deadline) m.deadlines.insert({subject.wait_deadline, DeadlineKind::waitroom_expiry, kNoGame, subject.id});
        if (subject.reunion_deadline) m.deadlines.insert({subject.reunion_deadline, DeadlineKind::reunion_wait, kNoGame, subject.id});
        std::string id = subject.id;
        m.subjects.emplace(std::move(id), std::move(subject));
      } else if (kind == "game") {
        Game game;
        Game::fields(game, r);
        if (game.deadline) m.deadlines.insert({game.deadline, game.deadline_kind, game.id, {}});
        GameId id = game.id;
        m.games.emplace(id, std::move(game));
      } else if (kind == "waitroom") {
        std::size_t scene = 0;
        r("scene", scene);
        if (scene >= m.waitrooms.size()) throw SnapshotError("waitroom of an unknown scene");
        r("subjects", m.waitrooms[scene]);
      } else if (kind == "failed_pair") {
        int scene = 0;
        std::string a, b;
        r("scene", scene), r("a", a), r("b", b);
        m.failed_pairs.insert({scene, a, b});
      } else if (kind == "row") {
        SessionRow row;
        SessionRow::fields(row, r);
        p.analytics.rows_[row.game_id].push_back(std::move(row));
      } else if (kind == "joined") {
        std::string subject;
        Millis at = 0;
        r("subject", subject), r("at", at);
        p.analytics.joined_at_[subject] = at;
      } else if (kind == "completion") {
        std::string subject, code;
        r("subject", subject), r("code", code);
        p.analytics.completion_codes_[subject] = code;
      } else if (kind == "paused") {
        GameId game = 0;
        Millis at = 0;
        r("game", game), r("at", at);
        p.analytics.paused_at_[game] = at;
      } else if (kind == "excluded") {
        GameId game = 0;
        std::int64_t player = 0;
        std::string reason;
        r("game", game), r("player", player), r("reason", reason);
        p.analytics.excluded_[game] = {player, reason};
      } else if (kind == "ended_games") {
        std::vector<std::string> ids;
        r("ids", ids);
        for (const auto& id : ids) p.audit.ended_.insert(std::stoll(id));
      } else if (kind == "violation") {
        Violation v;
        r("seq", v.seq), r("invariant", v.invariant), r("detail", v.detail);
        p.audit.violations_.push_back(std::move(v));
      } else {
        throw SnapshotError("unknown snapshot line '" + kind + "'");
      }
      r.finish();
    }
    if (!header) throw SnapshotError("snapshot without a header");
    if (!experiment) throw SnapshotError("snapshot without its experiment");
    p.audit.last_seq_ = p.last_seq;
  }
};

std::string snapshot_of(const Projector& projector) { return SnapshotCodec::save(projector); }

void restore_snapshot(Projector& projector, std::string_view text) {
  try {
    SnapshotCodec::restore(projector, text);
  } catch (const field_text::FieldError& error) {
    throw SnapshotError(std::string("unreadable snapshot: ") + error.what());
  } catch (const std::invalid_argument& error) {
    throw SnapshotError(std::string("unreadable snapshot: ") + error.what());
  } catch (const std::out_of_range& error) {
    throw SnapshotError(std::string("unreadable snapshot: ") + error.what());
  }
}

Seq snapshot_position(std::string_view text) {
  try {
    field_text::Reader r(text.substr(0, text.find('\n')));
    std::string kind, experiment_id;
    std::int64_t version = 0;
    Seq last_seq = 0;
    r("kind", kind);
    if (kind != "header") throw SnapshotError("snapshot without a header");
    r("version", version), r("experiment_id", experiment_id), r("last_seq", last_seq);
    return last_seq;
  } catch (const field_text::FieldError& error) {
    throw SnapshotError(std::string("unreadable snapshot header: ") + error.what());
  }
}

}  // namespace cohort
