#include "projections/audit.h"

#include <algorithm>

namespace cohort {

void Audit::flag(Seq seq, int invariant, std::string detail) {
  violations_.push_back(Violation{seq, invariant, std::move(detail)});
}

void Audit::begin_command(Seq seq, std::string_view subject) {
  if (seq != last_seq_ + 1) {
    flag(seq, 6, "command at " + std::to_string(seq) + " after record " + std::to_string(last_seq_));
  }
  last_seq_ = seq;
  command_seq_ = seq;
  command_subject_ = subject;
  partial_ends_.clear();
  notified_.clear();
}

void Audit::check_position(Seq seq, Seq causation) {
  if (seq != last_seq_ + 1) {
    flag(seq, 6, "event at " + std::to_string(seq) + " after record " + std::to_string(last_seq_));
  }
  last_seq_ = seq;
  if (causation != command_seq_ || command_seq_ == 0) {
    flag(seq, 6, "event names command " + std::to_string(causation) + ", not " + std::to_string(command_seq_));
  }
}

void Audit::note_notification(Seq seq, Seq causation, std::string_view subject) {
  check_position(seq, causation);
  if (!subject.empty()) notified_.emplace_back(subject);  // duplicates are fine: searched only on a partial end
}

void Audit::before_event(Seq seq, Seq causation, const Event& event, const SessionMap& state) {
  if (std::holds_alternative<ev::Notification>(event.body)) {
    note_notification(seq, causation, event.subject);
    return;
  }
  check_position(seq, causation);
  if (std::holds_alternative<ev::WaitroomJoined>(event.body) && state.waitroom_closed(event.scene)) {
    flag(seq, 3, "subject " + event.subject + " joined the waitroom of scene " + std::to_string(event.scene) +
                     ", which the researcher closed");
  }
  if (event.game == kNoGame) return;
  bool live = state.game(event.game) != nullptr;
  bool creates = std::holds_alternative<ev::GameCreated>(event.body);
  if (creates) {
    if (live || ended_.count(event.game)) flag(seq, 5, "game " + std::to_string(event.game) + " created twice");
    for (const std::string& id : std::get<ev::GameCreated>(event.body).players) {
      const Subject* subject = state.subject(id);
      if (subject && subject->game != kNoGame) {
        flag(seq, 3, "subject " + id + " is seated in game " + std::to_string(event.game) + " while in game " +
                         std::to_string(subject->game));
      }
    }
    return;
  }
  if (!live) {
    bool metrics = std::holds_alternative<ev::MetricsStored>(event.body) || std::holds_alternative<ev::DataStored>(event.body);
    bool rejected = std::holds_alternative<ev::CommandRejected>(event.body);
    if (!metrics && !rejected) {
      flag(seq, 5, std::string(event_name(event.body)) + " for game " + std::to_string(event.game) +
                       (ended_.count(event.game) ? ", which has ended" : ", which does not exist"));
    }
    return;
  }
  if (const auto* end = std::get_if<ev::GameEnded>(&event.body)) {
    const Game& game = *state.game(event.game);
    PartialEnd partial{seq, event.game, {}};
    for (const std::string& id : game.players) {
      const Subject* subject = state.subject(id);
      if (id != command_subject_ && subject && subject->connected && subject->game == event.game) {
        partial.attached_others.push_back(id);
      }
    }
    if (end->reason != "normal") partial_ends_.push_back(std::move(partial));
    if (game.deadline) ending_deadline_ = Deadline{game.deadline, game.deadline_kind, game.id, {}};
  }
}

void Audit::after_event(Seq seq, const Event& event, const SessionMap& state) {
  // These change no state: nothing to re-check.
  if (std::holds_alternative<ev::Notification>(event.body) || std::holds_alternative<ev::MetricsStored>(event.body) ||
      std::holds_alternative<ev::DataStored>(event.body) ||
      std::holds_alternative<ev::CommandRejected>(event.body)) {
    return;
  }
  if (!event.subject.empty()) check_subject(seq, state, event.subject);
  if (event.game != kNoGame) {
    if (std::holds_alternative<ev::GameEnded>(event.body)) {
      ended_.insert(event.game);
      // A game holds at most one deadline; check_everything also looks for orphaned ones.
      if (ending_deadline_ && state.deadlines.count(*ending_deadline_)) {
        flag(seq, 5, "ended game " + std::to_string(event.game) + " keeps a " + deadline_name(ending_deadline_->kind) +
                         " deadline");
      }
      ending_deadline_.reset();
    }
    check_game(seq, state, event.game);
  }
  if (std::holds_alternative<ev::WaitroomJoined>(event.body) ||
      std::holds_alternative<ev::WaitroomLeft>(event.body) ||
      std::holds_alternative<ev::WaitroomTimedOut>(event.body) ||
      std::holds_alternative<ev::GameCreated>(event.body)) {
    check_waitroom_totals(seq, state);
  }
}

void Audit::end_command() {
  if (!partial_ends_.empty()) std::sort(notified_.begin(), notified_.end());
  for (const PartialEnd& end : partial_ends_) {
    for (const std::string& id : end.attached_others) {
      if (!std::binary_search(notified_.begin(), notified_.end(), id)) {
        flag(end.seq, 7, "game " + std::to_string(end.game) + " ended partially without notifying " + id);
      }
    }
  }
  partial_ends_.clear();
}

void Audit::check_subject(Seq seq, const SessionMap& state, const std::string& id) {
  const Subject* subject = state.subject(id);
  if (!subject) return;
  if (subject->game != kNoGame) {
    const Game* game = state.game(subject->game);
    if (!game) {
      flag(seq, 1, "subject " + id + " names game " + std::to_string(subject->game) +
                       (ended_.count(subject->game) ? ", which has ended" : ", which does not exist"));
    } else if (subject->player < 0 || subject->player >= static_cast<int>(game->players.size()) ||
               game->players[static_cast<std::size_t>(subject->player)] != id) {
      flag(seq, 2, "subject " + id + " names game " + std::to_string(subject->game) + " but holds no seat in it");
    }
  }
  bool in_game = subject->state == SubjectState::in_game;
  if (in_game != (subject->game != kNoGame)) {
    flag(seq, 3, "subject " + id + " is " + state_name(subject->state) + " with game " + std::to_string(subject->game));
  }
  const auto& rooms = state.waitrooms;
  bool listed = subject->scene >= 0 && subject->scene < static_cast<int>(rooms.size()) &&
                std::find(rooms[subject->scene].begin(), rooms[subject->scene].end(), id) != rooms[subject->scene].end();
  bool waiting = subject->state == SubjectState::waiting;
  if (waiting != listed) {
    flag(seq, 3, "subject " + id + " is " + state_name(subject->state) + (listed ? " but listed" : " but not listed") +
                     " in the waitroom of scene " + std::to_string(subject->scene));
  }
}

void Audit::check_game(Seq seq, const SessionMap& state, GameId id) {
  const Game* game = state.game(id);
  if (!game) {
    return;
  }
  const Scene& scene = state.scene(game->scene);
  if (static_cast<int>(game->players.size()) != scene.human_seats) {
    flag(seq, 4, "game " + std::to_string(id) + " has " + std::to_string(game->players.size()) + " of " +
                     std::to_string(scene.human_seats) + " human seats filled");
  }
  for (std::size_t seat = 0; seat < game->players.size(); ++seat) {
    const Subject* subject = state.subject(game->players[seat]);
    if (!subject || subject->game != id || subject->player != static_cast<int>(seat)) {
      flag(seq, 2, "seat " + std::to_string(seat) + " of game " + std::to_string(id) + " names " +
                       game->players[seat] + ", who does not name the game back");
    }
  }
}

void Audit::check_waitroom_totals(Seq seq, const SessionMap& state) {
  std::size_t listed = 0;
  for (const auto& room : state.waitrooms) listed += room.size();
  if (listed != state.waiting_count) {
    flag(seq, 3, std::to_string(listed) + " waitroom entries for " + std::to_string(state.waiting_count) +
                     " waiting subjects");
  }
}

void Audit::check_everything(Seq seq, const SessionMap& state) {
  for (const auto& [id, subject] : state.subjects) check_subject(seq, state, id);
  for (const auto& [id, game] : state.games) check_game(seq, state, id);
  check_waitroom_totals(seq, state);
  for (const Deadline& deadline : state.deadlines) {
    // The restart grace belongs to the map itself: it is live while the map names it.
    bool owner_live = deadline.kind == DeadlineKind::restart_grace ? deadline.at == state.restart_grace_deadline
                      : deadline.game != kNoGame ? state.game(deadline.game) != nullptr
                                                 : (state.subject(deadline.subject) &&
                                                    state.subject(deadline.subject)->state == SubjectState::waiting);
    if (!owner_live) {
      flag(seq, 5, std::string("a ") + deadline_name(deadline.kind) + " deadline outlives its owner");
    }
  }
}

}  // namespace cohort
