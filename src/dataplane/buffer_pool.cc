#include "dataplane/buffer_pool.h"

namespace fips {

size_t PacketBuf::capacity() const { return pool_ ? pool_->buf_size() : 0; }
size_t PacketBuf::tailroom() const { return pool_ ? pool_->buf_size() - off_ - len_ : 0; }

bool PacketBuf::push_front(size_t n) {
  if (n > off_) return false;
  off_ -= static_cast<uint32_t>(n);
  len_ += static_cast<uint32_t>(n);
  return true;
}

bool PacketBuf::push_back(size_t n) {
  if (n > tailroom()) return false;
  len_ += static_cast<uint32_t>(n);
  return true;
}

void PacketBuf::pull_front(size_t n) {
  if (n > len_) n = len_;
  off_ += static_cast<uint32_t>(n);
  len_ -= static_cast<uint32_t>(n);
}

void PacketBuf::trim_back(size_t n) {
  if (n > len_) n = len_;
  len_ -= static_cast<uint32_t>(n);
}

bool PacketBuf::set(size_t off, size_t len) {
  if (!pool_ || off > pool_->buf_size() || len > pool_->buf_size() - off) return false;
  off_ = static_cast<uint32_t>(off);
  len_ = static_cast<uint32_t>(len);
  return true;
}

void PacketBuf::release() {
  if (pool_) {
    pool_->give_back(base_);
    pool_ = nullptr;
    base_ = nullptr;
    off_ = len_ = 0;
  }
}

BufferPool::BufferPool(size_t count, size_t buf_size, size_t headroom)
    : count_(count),
      buf_size_(buf_size),
      headroom_(headroom < buf_size ? headroom : 0),
      storage_(new uint8_t[count * buf_size]) {
  free_.reserve(count);
  for (size_t i = count; i-- > 0;) free_.push_back(storage_.get() + i * buf_size);
}

PacketBuf BufferPool::acquire() {
  PacketBuf b;
  if (free_.empty()) {
    ++exhausted_;
    return b;
  }
  b.pool_ = this;
  b.base_ = free_.back();
  free_.pop_back();
  b.off_ = static_cast<uint32_t>(headroom_);
  b.len_ = 0;
  return b;
}

}  // namespace fips
