#pragma once
// What the log keeps of a registration's recruitment ids (register_subject's `params`, the page's
// URL query: PROLIFIC_PID, STUDY_ID, SESSION_ID...): only the keys the config's
// `recruitment.keep` lists, decided here on the socket, before the command is journaled, so that
// an id the study did not ask for never reaches the log (docs/server.md, "Recruitment ids").
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/vocabulary/experiment.h"

namespace cohort {

struct KeptRegistration {
  std::string subject_id;
  std::optional<std::string> params;  // a JSON object of strings, in `keep`'s order; nullopt: none kept
  std::string error;                  // not empty: the registration is refused with bad_payload, saying this
};

// `subject_id` is the registration's own ("" when it gave none). With `subject_id_from`, a
// registration without one takes it from that key; with `subject_id_is`, the subject id is
// kept under that key (mug's page carries the recruitment id as its subject id), replacing
// what the client may have sent for it.
KeptRegistration keep_recruitment_ids(const Recruitment& recruitment, std::string subject_id,
                                      const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace cohort
