#pragma once
// A resume token as the log keeps it (DESIGN.md rule 10: tokens never in plain text, only as
// hashes): keyless BLAKE2b-256 (libsodium's crypto_generichash), as 64 lowercase hex digits.
// The server hashes a token the moment it draws one or a client presents one; the migration of
// a schema-2 log hashes the plain tokens that log holds. Both go through this function, so a
// migrated log and a new one hold the same text for the same token.
#include <string>
#include <string_view>

namespace cohort {

std::string token_hash(std::string_view token);

}  // namespace cohort
