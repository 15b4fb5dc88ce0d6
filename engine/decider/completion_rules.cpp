// How a participant's study finishes: the experiment's `completion` says, for each way a part can
// end, whether it finishes the study and with which code and redirect (docs/server.md, "Paying
// participants: completion codes").
#include "engine/decider/rules.h"

namespace cohort::rules {

const CompletionEnding* finishing_ending(const Decision& d, const std::string& ending) {
  const CompletionEnding* configured = d.state().experiment->completion.ending(ending);
  return configured && configured->finishes ? configured : nullptr;
}

void add_completion(JsonObject& args, const std::optional<std::string>& code, const std::optional<std::string>& url) {
  if (code) args.str("completion_code", *code);
  if (url) args.str("redirect_url", *url);
}

ev::SubjectDone subject_done(const Decision& d, const std::string& ending) {
  ev::SubjectDone done;
  // Reaching the last scene without a `completion.finished` entry records what it always did.
  const CompletionEnding* configured = d.state().experiment->completion.ending(ending);
  if (!configured) return done;
  done.ending = ending;
  if (!configured->code.empty()) done.completion_code = configured->code;
  if (!configured->redirect_url.empty()) done.redirect_url = configured->redirect_url;
  return done;
}

JsonObject activate_scene_args(const Decision& d, int index, const ev::SubjectDone* done) {
  const Scene& scene = d.state().scene(index);
  JsonObject args;
  args.str("scene_id", scene.scene_id).num("scene_index", index).str("type", scene.is_game ? "game" : "static");
  // Delivery copies the code into the scene's content as well (completion.scene_field), so that
  // a client showing its end scene shows the code; the logged args are where it reads it from.
  if (done) add_completion(args, done->completion_code, done->redirect_url);
  return args;
}

JsonObject experiment_complete_args(const ev::SubjectDone& done) {
  JsonObject args;
  add_completion(args, done.completion_code, done.redirect_url);
  return args;
}

void finish_study(Decision& d, const std::string& id, const std::string& ending) {
  finish_study(d, id, subject_done(d, ending));
}

void finish_study(Decision& d, const std::string& id, const ev::SubjectDone& done) {
  const Subject* subject = d.state().subject(id);
  if (!subject || subject->state == SubjectState::done) return;
  const int last = static_cast<int>(d.state().experiment->scenes.size()) - 1;
  const bool moves = subject->scene != last;
  const bool connected = subject->connected;
  // To the last scene, as advancing into it does: its content is the end page mug's client shows.
  if (moves) d.emit(id, kNoGame, last, ev::SubjectAdvanced{});
  if (moves && connected) d.notify(id, "activate_scene", activate_scene_args(d, last, &done));
  d.emit(id, kNoGame, kNoScene, done);
  if (connected) d.notify(id, "experiment_complete", experiment_complete_args(done));
}

}  // namespace cohort::rules
