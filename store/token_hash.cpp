#include "store/token_hash.h"

#include <sodium.h>

#include <stdexcept>

namespace cohort {

std::string token_hash(std::string_view token) {
  // sodium_init() is idempotent and thread-safe; crypto_generichash needs no more than that.
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium could not be initialised");
  unsigned char digest[crypto_generichash_BYTES];  // 32 bytes: BLAKE2b-256
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, sizeof digest * 2);
}

}  // namespace cohort
