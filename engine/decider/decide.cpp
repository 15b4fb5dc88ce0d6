#include "engine/decider/decide.h"

#include "engine/decider/rules.h"

namespace cohort {
namespace {

// Fires every deadline due at the command's time, earliest first. Each firing removes its
// deadline from the state (through apply), so the loop always reads the next one.
void fire_due_deadlines(Decision& d) {
  const auto& deadlines = d.state().deadlines;
  std::optional<Deadline> previous;
  while (!deadlines.empty() && deadlines.begin()->at <= d.at()) {
    Deadline due = *deadlines.begin();
    if (previous && *previous == due) break;  // a rule failed to clear it: never spin
    previous = due;
    switch (due.kind) {
      case DeadlineKind::waitroom_expiry: rules::waitroom_expired(d, due.subject); break;
      case DeadlineKind::reunion_wait: rules::reunion_wait_ended(d, due.subject); break;
      case DeadlineKind::countdown_end: rules::countdown_ended(d, due.game); break;
      case DeadlineKind::validation_timeout: rules::validation_timed_out(d, due.game); break;
      case DeadlineKind::reconnection_grace: rules::reconnection_grace_ended(d, due.game); break;
    }
  }
}

// Commands a registered subject sends; the sender is checked before any rule runs.
void subject_command(Decision& d, const CommandBody& body) {
  const Subject* subject = d.sender();
  if (!subject) {
    d.reject("not_registered", "register_subject first");
    return;
  }
  if (!subject->connected || subject->conn != d.command().conn) {
    d.reject("not_registered", "this socket no longer holds subject " + subject->id);
    return;
  }
  std::visit(
      [&](const auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, cmd::AdvanceScene>) {
          rules::advance_scene(d, *subject);
        } else if constexpr (std::is_same_v<C, cmd::JoinGame>) {
          rules::join_game(d, *subject, c);
        } else if constexpr (std::is_same_v<C, cmd::LeaveGame>) {
          rules::leave_game(d, *subject);
        } else if constexpr (std::is_same_v<C, cmd::Ping>) {
          rules::ping(d, *subject, c);
        } else {
          rules::game_command(d, *subject, body);
        }
      },
      body);
}

}  // namespace

std::vector<Event> decide(const SessionMap& state, const Command& command, const ApplyEvent& apply) {
  Decision d(state, command, apply);
  std::visit(
      [&](const auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, cmd::RegisterSubject>) {
          rules::register_subject(d, c);
        } else if constexpr (std::is_same_v<C, cmd::Disconnect>) {
          // Only the socket that holds the subject counts; a replaced socket's close is stale.
          const Subject* subject = d.sender();
          if (subject && subject->connected && subject->conn == command.conn) rules::disconnect(d, *subject);
        } else if constexpr (std::is_same_v<C, cmd::Timer>) {
          fire_due_deadlines(d);
        } else if constexpr (std::is_same_v<C, cmd::ServerStarted>) {
          rules::server_started(d, c);
        } else if constexpr (std::is_same_v<C, cmd::Malformed>) {
          d.reject(c.code, c.message);
        } else {
          subject_command(d, command.body);
        }
      },
      command.body);
  return d.take();
}

}  // namespace cohort
