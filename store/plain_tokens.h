#pragma once
// Schema-2 logs hold resume tokens in plain text, three times per registration: the
// register_subject command (`resume_token`, `issued_token`), the subject_registered event
// (`resume_token`) and the logged `registered` notification (`resume_token` in its args).
// Schema 3 holds their hashes (store/token_hash.h) in the command and the event, and no token
// in the notification, byte for byte as this build's engine writes them: so a migrated command
// decides its migrated events again, and `rerun` still passes. Used by the migration to
// schema 3 (store/schema.cpp), and by LogReader on a file not migrated yet, so that
// cohort-replay reads an old log as the server will leave it, and never shows a token.
#include <optional>

#include "engine/vocabulary/record.h"

namespace cohort {

// The record as schema 3 holds it (payload and version; the caller seals it with a new
// checksum); nullopt when it holds no plain token.
std::optional<Record> without_plain_tokens(const RecordView& record);

}  // namespace cohort
