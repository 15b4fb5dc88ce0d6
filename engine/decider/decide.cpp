#include "engine/decider/decide.h"

#include <set>

#include "engine/decider/rules.h"

namespace cohort {
namespace {

// Fires every deadline due at the command's time, earliest first. Each firing removes its
// deadline from the state (through apply); one that a rule leaves in place is passed over, so
// that it neither spins the loop nor holds back the deadlines after it.
void fire_due_deadlines(Decision& d) {
  std::set<Deadline> passed;
  while (true) {
    const auto& deadlines = d.state().deadlines;
    auto due = deadlines.begin();
    while (due != deadlines.end() && passed.count(*due)) ++due;
    if (due == deadlines.end() || due->at > d.at()) return;
    Deadline firing = *due;
    passed.insert(firing);
    switch (firing.kind) {
      case DeadlineKind::waitroom_expiry: rules::waitroom_expired(d, firing.subject); break;
      case DeadlineKind::reunion_wait: rules::reunion_wait_ended(d, firing.subject); break;
      case DeadlineKind::countdown_end: rules::countdown_ended(d, firing.game); break;
      case DeadlineKind::validation_timeout: rules::validation_timed_out(d, firing.game); break;
      case DeadlineKind::reconnection_grace: rules::reconnection_grace_ended(d, firing.game); break;
      case DeadlineKind::restart_grace: rules::restart_grace_ended(d); break;
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
        } else if constexpr (std::is_same_v<C, cmd::RequestCurrentScene>) {
          rules::request_current_scene(d, *subject);
        } else if constexpr (std::is_same_v<C, cmd::StoreData>) {
          rules::store_data(d, *subject, c);
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
        } else if constexpr (std::is_same_v<C, cmd::ConfigureExperiment>) {
          rules::configure_experiment(d, c);
        } else if constexpr (std::is_same_v<C, cmd::ServerStarted>) {
          rules::server_started(d, c);
        } else if constexpr (std::is_same_v<C, cmd::Malformed>) {
          d.reject(c.code, c.message);
        } else if constexpr (std::is_same_v<C, cmd::AdminEndGame>) {
          rules::admin_end_game(d, c);
        } else if constexpr (std::is_same_v<C, cmd::AdminExcludeSubject>) {
          rules::admin_exclude_subject(d, c);
        } else if constexpr (std::is_same_v<C, cmd::AdminCloseWaitroom>) {
          rules::admin_close_waitroom(d, c);
        } else if constexpr (std::is_same_v<C, cmd::AdminOpenWaitroom>) {
          rules::admin_open_waitroom(d, c);
        } else if constexpr (std::is_same_v<C, cmd::AdminSetMaxParticipants>) {
          rules::admin_set_max_participants(d, c);
        } else {
          subject_command(d, command.body);
        }
      },
      command.body);
  return d.take();
}

}  // namespace cohort
