#include "server/transport/connection_limits.h"

namespace cohort {

ConnectionLimits::ConnectionLimits(int max_sockets, int max_per_address)
    : max_sockets_(max_sockets), max_per_address_(max_per_address) {}

ConnectionLimits::Lease ConnectionLimits::accept() {
  MutexLock lock(mutex_);
  if (connections_ >= max_sockets_ + kHttpHeadroom) return nullptr;
  ++connections_;
  return Lease(this, [](void* self) {
    auto* limits = static_cast<ConnectionLimits*>(self);
    MutexLock lock(limits->mutex_);
    --limits->connections_;
  });
}

ConnectionLimits::Lease ConnectionLimits::open_socket(const std::string& address) {
  MutexLock lock(mutex_);
  int& from_address = per_address_[address];
  if (sockets_ >= max_sockets_ || from_address >= max_per_address_) {
    if (from_address == 0) per_address_.erase(address);
    return nullptr;
  }
  ++sockets_;
  ++from_address;
  return Lease(this, [address](void* self) {
    auto* limits = static_cast<ConnectionLimits*>(self);
    MutexLock lock(limits->mutex_);
    --limits->sockets_;
    if (--limits->per_address_[address] == 0) limits->per_address_.erase(address);
  });
}

int ConnectionLimits::sockets() const {
  MutexLock lock(mutex_);
  return sockets_;
}

}  // namespace cohort
