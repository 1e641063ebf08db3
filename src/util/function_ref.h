// FunctionRef<R(A...)>: a non-owning, non-allocating reference to a callable
// (like C++26 std::function_ref). Use it for callbacks that are only invoked
// during the call they are passed to (predicates, "send this" sinks).
// Not here: owning callbacks that outlive the call (use std::function).
//
// The referenced callable must outlive the FunctionRef: passing a lambda
// temporary as an argument is fine, storing a FunctionRef to one is not.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace fips {

template <class Sig>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                              std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f) noexcept  // NOLINT implicit: callers pass lambdas directly
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, Args... args) -> R {
          return std::invoke(*static_cast<std::add_pointer_t<std::remove_reference_t<F>>>(obj),
                             std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

}  // namespace fips
