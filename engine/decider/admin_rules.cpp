// The researcher's commands from the dashboard (docs/server.md "Control from the dashboard"):
// end a game, exclude a subject, close and open a waitroom, cap the participants. They come from
// no socket: a refusal is journaled (with its actor in the command) and answered to nobody.
#include "engine/decider/rules.h"
#include "engine/vocabulary/control_characters.h"

namespace cohort::rules {
namespace {

constexpr std::size_t kMaxExclusionMessage = 1000;
constexpr const char* kDefaultExclusionMessage = "The researcher has ended your participation in this study.";

// Why `message` cannot be shown to a participant, or "" when it can: bounded, valid UTF-8,
// no control characters (it goes into JSON text and onto a page).
std::string message_problem(const std::string& message) {
  if (message.size() > kMaxExclusionMessage) {
    return "message must be at most " + std::to_string(kMaxExclusionMessage) + " bytes";
  }
  if (has_control_character(message)) return "message must not hold control characters";
  for (std::size_t i = 0; i < message.size();) {
    const auto byte = static_cast<unsigned char>(message[i]);
    const std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > message.size()) return "message must be UTF-8 text";
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(message[i + k]) & 0xc0) != 0x80) return "message must be UTF-8 text";
    }
    if (length == 2 && byte < 0xc2) return "message must be UTF-8 text";  // overlong
    i += length;
  }
  return "";
}

// The game scene `scene_id` names, or -1 once the command is refused.
int waitroom_scene(Decision& d, const std::string& scene_id) {
  const int scene = d.state().scene_index(scene_id);
  if (scene < 0) {
    d.reject("unknown_scene", "the experiment has no scene '" + scene_id + "'");
    return -1;
  }
  if (!d.state().scene(scene).is_game) {
    d.reject("invalid_state", "scene " + scene_id + " is a static scene: it has no waitroom");
    return -1;
  }
  return scene;
}

}  // namespace

void admin_end_game(Decision& d, const cmd::AdminEndGame& c) {
  if (!d.state().game(c.game_id)) {
    d.reject("unknown_game", "game " + std::to_string(c.game_id) + " is not a live game");
    return;
  }
  // Every player is told as at any partial end; end_game finishes the study of each when
  // `completion.admin` finishes, else they are idle in the scene, free to play again.
  end_game(d, c.game_id, Ending{.reason = "admin_ended"});
}

void admin_exclude_subject(Decision& d, const cmd::AdminExcludeSubject& c) {
  const std::string id = d.command().subject;
  const Subject* found = d.state().subject(id);
  if (!found) {
    d.reject("unknown_subject", "no subject '" + id + "' is registered");
    return;
  }
  if (found->state == SubjectState::done) {
    d.reject("invalid_state", "subject " + id + "'s study is already finished");
    return;
  }
  if (std::string problem = message_problem(c.message); !problem.empty()) {
    d.reject("bad_payload", problem);
    return;
  }
  const Subject subject = *found;  // a copy: the events below change it
  const std::string message = c.message.empty() ? kDefaultExclusionMessage : c.message;
  d.emit(id, kNoGame, subject.scene, ev::SubjectExcluded{message, c.actor});
  if (subject.connected) {
    JsonObject args;
    args.str("message", message);
    d.notify(id, "excluded", std::move(args));
  }
  if (subject.state == SubjectState::waiting) {
    leave_waitroom(d, subject, "excluded");
  } else if (subject.state == SubjectState::in_game) {
    // As a player's own client excludes it (mid_game_exclusion), with the reason `admin`: its
    // partners are told partner_excluded, and it gets end_game with the researcher's message.
    const Game& game = *d.state().game(subject.game);
    const auto player = static_cast<std::int64_t>(subject.player);
    d.emit(id, game.id, game.scene, ev::PlayerExcluded{player, "admin", 0});
    end_game(d, game.id, Ending{.reason = "partner_exclusion", .initiator = id, .excluded_player = player,
                                .excluded_reason = "admin", .excluded_message = message});
  }
  // Excluded for good, whatever `completion.excluded.finishes` says: its study ends `excluded`,
  // with that entry's code when the config gives one (end_game may have finished it already).
  ev::SubjectDone done = subject_done(d, "excluded");
  done.ending = "excluded";
  finish_study(d, id, done);
}

void admin_close_waitroom(Decision& d, const cmd::AdminCloseWaitroom& c) {
  const int scene = waitroom_scene(d, c.scene_id);
  if (scene < 0) return;
  if (d.state().waitroom_closed(scene)) {
    d.reject("invalid_state", "the waitroom of scene " + c.scene_id + " is already closed");
    return;
  }
  // Who waits stays, and can still be matched; only new joins are refused (join_game).
  d.emit("", kNoGame, scene, ev::WaitroomClosed{c.actor});
}

void admin_open_waitroom(Decision& d, const cmd::AdminOpenWaitroom& c) {
  const int scene = waitroom_scene(d, c.scene_id);
  if (scene < 0) return;
  if (!d.state().waitroom_closed(scene)) {
    d.reject("invalid_state", "the waitroom of scene " + c.scene_id + " is open");
    return;
  }
  d.emit("", kNoGame, scene, ev::WaitroomOpened{c.actor});
}

void admin_set_max_participants(Decision& d, const cmd::AdminSetMaxParticipants& c) {
  if (c.max_participants && (*c.max_participants < 1 || *c.max_participants > kLargestParticipantCap)) {
    d.reject("bad_payload", "max_participants must be from 1 to " + std::to_string(kLargestParticipantCap) +
                                ", or absent for no cap");
    return;
  }
  // A cap below the subjects already registered is allowed: it stops new registrations.
  d.emit("", kNoGame, kNoScene, ev::MaxParticipantsSet{c.max_participants, c.actor});
}

}  // namespace cohort::rules
