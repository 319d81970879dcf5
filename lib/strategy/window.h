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
  // The window's bookkeeping by value, for a loop that pushes many values: kept in its locals, it
  // stays in registers (in the window, a value stored into the buffer could be, for the compiler,
  // one of the members, so each push loaded and stored them again). Taken with cursor(), given
  // back with set_cursor(); the window is not touched in between. The window's own push is this
  // one.
  struct Cursor {
    T* data;
    std::size_t capacity;
    std::size_t head;  // index of the oldest value
    std::size_t size;

    bool full() const { return size == capacity; }
    // Appends value; when full, the oldest value is dropped first.
    void push(const T& value) {
      if (full()) {
        data[head] = value;
        head = wrap(head + 1);
      } else {
        data[wrap(head + size)] = value;
        ++size;
      }
    }
    // i = 0 is the oldest value, size - 1 the newest. REQUIRES: i < size.
    const T& operator[](std::size_t i) const {
      assert(i < size);
      return data[Window::wrap(head + i, capacity)];
    }
    // REQUIRES: size > 0.
    const T& oldest() const {
      assert(size > 0);
      return data[head];
    }
    std::size_t wrap(std::size_t i) const { return Window::wrap(i, capacity); }
  };

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
    Cursor at = cursor();
    at.push(value);
    set_cursor(at);
  }

  // i = 0 is the oldest value, size() - 1 the newest. REQUIRES: i < size().
  const T& operator[](std::size_t i) const {
    assert(i < size_);
    return data_[wrap(head_ + i, capacity_)];
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

  Cursor cursor() { return {data_.data(), capacity_, head_, size_}; }
  // REQUIRES: at was taken from this window by cursor().
  void set_cursor(const Cursor& at) {
    head_ = at.head;
    size_ = at.size;
  }

 private:
  // The capacity is kept beside the buffer: per value, the vector's size was a subtraction and a
  // shift in a backtest's inner loop.
  static std::size_t wrap(std::size_t i, std::size_t capacity) {
    return i >= capacity ? i - capacity : i;
  }

  std::vector<T> data_;
  std::size_t capacity_;
  std::size_t head_ = 0;  // index of the oldest value
  std::size_t size_ = 0;
};

}  // namespace sm::strategy
