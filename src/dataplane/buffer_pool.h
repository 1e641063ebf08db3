// Preallocated packet buffers with headroom and tailroom, handed out as
// move-only PacketBuf handles; nothing is allocated per packet. A full pool
// is a counted drop, never a wait.
// Not here: what the bytes mean (proto/), sockets (transport/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace fips {

class BufferPool;

// One packet buffer from a pool. [data(), data()+size()) is the packet; the
// bytes before data() (headroom) and after (tailroom) let headers be
// prepended and AEAD tags appended in place.
class PacketBuf {
 public:
  PacketBuf() = default;
  PacketBuf(const PacketBuf&) = delete;
  PacketBuf& operator=(const PacketBuf&) = delete;
  PacketBuf(PacketBuf&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), base_(o.base_), off_(o.off_), len_(o.len_) {}
  PacketBuf& operator=(PacketBuf&& o) noexcept {
    if (this != &o) {
      release();
      pool_ = std::exchange(o.pool_, nullptr);
      base_ = o.base_;
      off_ = o.off_;
      len_ = o.len_;
    }
    return *this;
  }
  ~PacketBuf() { release(); }

  [[nodiscard]] bool valid() const { return pool_ != nullptr; }
  explicit operator bool() const { return valid(); }

  uint8_t* data() { return base_ + off_; }
  const uint8_t* data() const { return base_ + off_; }
  [[nodiscard]] size_t size() const { return len_; }
  std::span<uint8_t> span() { return {data(), len_}; }
  std::span<const uint8_t> span() const { return {data(), len_}; }
  [[nodiscard]] size_t headroom() const { return off_; }
  [[nodiscard]] size_t tailroom() const;
  [[nodiscard]] size_t capacity() const;

  // Grow at the front (prepend) / back (append) within the buffer; false if
  // there is no room (the buffer is unchanged).
  [[nodiscard]] bool push_front(size_t n);
  [[nodiscard]] bool push_back(size_t n);
  void pull_front(size_t n);  // drop n bytes from the front (n <= size)
  void trim_back(size_t n);   // drop n bytes from the back (n <= size)
  // Set the packet to start at absolute offset `off` with length `len`.
  [[nodiscard]] bool set(size_t off, size_t len);
  // Raw access to the whole buffer (for a read() into the tailroom, etc).
  uint8_t* base() { return base_; }

  void release();

 private:
  friend class BufferPool;
  BufferPool* pool_ = nullptr;
  uint8_t* base_ = nullptr;
  uint32_t off_ = 0;
  uint32_t len_ = 0;
};

class BufferPool {
 public:
  // count buffers of buf_size bytes each; acquire() places data at headroom.
  BufferPool(size_t count, size_t buf_size, size_t headroom);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty packet at the default headroom, or an invalid PacketBuf (and
  // exhausted() counted) when every buffer is in use.
  PacketBuf acquire();

  [[nodiscard]] size_t buf_size() const { return buf_size_; }
  [[nodiscard]] size_t default_headroom() const { return headroom_; }
  [[nodiscard]] size_t available() const { return free_.size(); }
  [[nodiscard]] size_t total() const { return count_; }
  [[nodiscard]] uint64_t exhausted() const { return exhausted_; }

 private:
  friend class PacketBuf;
  void give_back(uint8_t* base) { free_.push_back(base); }

  size_t count_, buf_size_, headroom_;
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<uint8_t*> free_;
  uint64_t exhausted_ = 0;
};

}  // namespace fips
