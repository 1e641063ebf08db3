// Result<T, E>: a value or an error, for code that must not throw (the packet path).
// Not here: error types themselves (each module defines its own small enum/struct).
#pragma once

#include <cassert>
#include <new>
#include <type_traits>
#include <utility>

namespace fips {

template <class E>
struct Err {
  E error;
};
template <class E>
Err(E) -> Err<E>;

template <class E>
[[nodiscard]] constexpr Err<std::decay_t<E>> make_err(E&& e) {
  return Err<std::decay_t<E>>{std::forward<E>(e)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(const T& v) : ok_(true) { new (&v_) T(v); }        // NOLINT implicit
  Result(T&& v) : ok_(true) { new (&v_) T(std::move(v)); }  // NOLINT implicit
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(Err<E2>&& e) : ok_(false) {  // NOLINT implicit
    new (&e_) E(std::move(e.error));
  }
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(const Err<E2>& e) : ok_(false) {  // NOLINT implicit
    new (&e_) E(e.error);
  }

  Result(const Result& o) : ok_(o.ok_) {
    if (ok_) new (&v_) T(o.v_);
    else new (&e_) E(o.e_);
  }
  Result(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) {
    if (ok_) new (&v_) T(std::move(o.v_));
    else new (&e_) E(std::move(o.e_));
  }
  Result& operator=(const Result& o) {
    if (this != &o) {
      destroy();
      ok_ = o.ok_;
      if (ok_) new (&v_) T(o.v_);
      else new (&e_) E(o.e_);
    }
    return *this;
  }
  Result& operator=(Result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      destroy();
      ok_ = o.ok_;
      if (ok_) new (&v_) T(std::move(o.v_));
      else new (&e_) E(std::move(o.e_));
    }
    return *this;
  }
  ~Result() { destroy(); }

  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }

  T& value() & {
    assert(ok_);
    return v_;
  }
  const T& value() const& {
    assert(ok_);
    return v_;
  }
  T&& value() && {
    assert(ok_);
    return std::move(v_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    assert(!ok_);
    return e_;
  }
  template <class U>
  T value_or(U&& fallback) const& {
    return ok_ ? v_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void destroy() {
    if (ok_) v_.~T();
    else e_.~E();
  }
  bool ok_;
  union {
    T v_;
    E e_;
  };
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;
  Result() : ok_(true), e_{} {}
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(Err<E2>&& e) : ok_(false), e_(std::move(e.error)) {}  // NOLINT implicit
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(const Err<E2>& e) : ok_(false), e_(e.error) {}  // NOLINT implicit
  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const {
    assert(!ok_);
    return e_;
  }

 private:
  bool ok_;
  E e_;
};

template <class E>
[[nodiscard]] inline Result<void, E> ok_result() {
  return Result<void, E>();
}

}  // namespace fips

// Propagate an error from an expression yielding Result<..., E>; the enclosing
// function must return a Result with a compatible error type.
#define FIPS_TRY(expr)                                   \
  do {                                                   \
    auto&& fips_try_r_ = (expr);                         \
    if (!fips_try_r_.ok()) return ::fips::Err{fips_try_r_.error()}; \
  } while (0)
