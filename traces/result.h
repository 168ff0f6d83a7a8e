// Errors as values: the trace library never aborts or throws on bad input (issue 4, "Bad input").
// Every message is one line that already names the file and the chunk or offset, ready for stderr.
#pragma once

#include <fmt/core.h>

#include <string>
#include <utility>
#include <variant>

namespace rr86::trace {

struct Error {
    std::string message;
};

template <class... Args> Error make_error(fmt::format_string<Args...> format, Args&&... args) {
    return Error{fmt::format(format, std::forward<Args>(args)...)};
}

class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const std::string& message() const { return error_.message; }
    const Error& error() const { return error_; }

  private:
    Error error_;
    bool failed_ = false;
};

template <class T> class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { return std::get<1>(state_); }
    const std::string& message() const { return error().message; }
    Status status() const { return ok() ? Status() : Status(error()); }

  private:
    std::variant<T, Error> state_;
};

} // namespace rr86::trace
