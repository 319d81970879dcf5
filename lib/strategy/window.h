// A fixed-capacity first-in-first-out window over the most recent values: the building block of the
// streaming indicators. Plain value type: copyable, no allocation after construction.
#pragma once

#include <cassert>
#include <cstddef>
#include <vector>

namespace sm::strategy {

template <typename T>
class Window {
 public:
  // REQUIRES: capacity >= 1.
  explicit Window(std::size_t capacity) : data_(capacity), capacity_(capacity) {
    assert(capacity >= 1);
  }

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == capacity_; }

  // Appends value; when full, the oldest value is dropped first.
  void push(const T& value) {
    if (full()) {
      data_[head_] = value;
      head_ = next(head_);
    } else {
      data_[wrap(head_ + size_)] = value;
      ++size_;
    }
  }

  // i = 0 is the oldest value, size() - 1 the newest. REQUIRES: i < size().
  const T& operator[](std::size_t i) const {
    assert(i < size_);
    return data_[wrap(head_ + i)];
  }
  // REQUIRES: !empty().
  const T& oldest() const {
    assert(size_ > 0);
    return data_[head_];
  }
  const T& newest() const { return (*this)[size_ - 1]; }

  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  // The capacity is kept beside the vector: per value, data_.size() was a subtraction and a shift
  // in a backtest's inner loop.
  std::size_t wrap(std::size_t i) const { return i >= capacity_ ? i - capacity_ : i; }
  std::size_t next(std::size_t i) const { return wrap(i + 1); }

  std::vector<T> data_;
  std::size_t capacity_;
  std::size_t head_ = 0;  // index of the oldest value
  std::size_t size_ = 0;
};

}  // namespace sm::strategy
