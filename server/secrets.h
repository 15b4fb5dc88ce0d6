#pragma once
// Random text for tokens and ids, and the comparison of secrets, on libsodium: the kernel's
// random bytes without opening a device per token (a std::random_device constructed per token
// cost 5.5% of the server's CPU in a profile), and comparisons whose time does not depend on
// where the texts differ.
#include <cstddef>
#include <string>
#include <string_view>

namespace cohort {

// `bytes` random bytes as 2 x `bytes` lowercase hex digits. Thread-safe.
std::string random_hex(std::size_t bytes);
// Equal texts, in a time that depends on neither where they differ nor how long the right one
// is: both are hashed (BLAKE2b-256) and the hashes compared in constant time.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace cohort
