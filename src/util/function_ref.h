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
  FunctionRef(F&& f) noexcept {  // NOLINT implicit: callers pass lambdas and functions directly
    using T = std::remove_reference_t<F>;
    if constexpr (std::is_function_v<T> || std::is_pointer_v<std::decay_t<F>>) {
      // A function (or function pointer): keep the pointer itself.
      auto* fp = static_cast<std::decay_t<F>>(f);
      ref_.fn = reinterpret_cast<void (*)()>(fp);
      call_ = [](Ref r, Args... args) -> R {
        return std::invoke(reinterpret_cast<decltype(fp)>(r.fn), std::forward<Args>(args)...);
      };
    } else {
      ref_.obj = const_cast<void*>(static_cast<const void*>(std::addressof(f)));
      call_ = [](Ref r, Args... args) -> R {
        return std::invoke(*static_cast<T*>(r.obj), std::forward<Args>(args)...);
      };
    }
  }

  R operator()(Args... args) const { return call_(ref_, std::forward<Args>(args)...); }

 private:
  union Ref {
    void* obj;
    void (*fn)();
  };
  Ref ref_{};
  R (*call_)(Ref, Args...) = nullptr;
};

}  // namespace fips
