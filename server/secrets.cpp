#include "server/secrets.h"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace cohort {
namespace {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;  // idempotent and thread-safe
  if (!ready) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  sodium_memzero(raw.data(), raw.size());
  return hex;
}

bool same_secret(std::string_view a, std::string_view b) {
  ensure_sodium();
  unsigned char ha[crypto_generichash_BYTES], hb[crypto_generichash_BYTES];
  crypto_generichash(ha, sizeof ha, reinterpret_cast<const unsigned char*>(a.data()), a.size(), nullptr, 0);
  crypto_generichash(hb, sizeof hb, reinterpret_cast<const unsigned char*>(b.data()), b.size(), nullptr, 0);
  static_assert(crypto_generichash_BYTES == crypto_verify_32_BYTES);
  return crypto_verify_32(ha, hb) == 0;
}

}  // namespace cohort
