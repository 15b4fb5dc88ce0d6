#pragma once
// The experiment config as the log records it (meta `config`): the text as given, less
// `server.admin_token` (DESIGN.md rule 10: admin tokens never reach the log). Every other byte
// stays, the researcher's layout included, so the recorded config still reads as their file.
#include <string>
#include <string_view>

namespace cohort {

// `json` without each `server.admin_token` member (and the comma that joined it to the next or
// the previous member). Text that is not a JSON object comes back unchanged: there is no
// member to find in it, and no config parses from it.
std::string config_without_admin_token(std::string_view json);

}  // namespace cohort
