#include "tools/host_io.h"

#include <csignal>
#include <cstdio>
#include <fmt/core.h>
#include <mutex>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace rr86::tools {

std::optional<std::string> open_sink(const CharTarget& target, ByteSink& sink) {
    switch (target.kind) {
    case CharTarget::Null:
        sink.put = [](uint8_t) {};
        break;
    case CharTarget::Stdio:
        sink.put = [](uint8_t b) { ::write(STDOUT_FILENO, &b, 1); };
        break;
    case CharTarget::File: {
        std::shared_ptr<FILE> f(fopen(target.path.c_str(), "wb"), [](FILE* p) {
            if (p) fclose(p);
        });
        if (!f) return fmt::format("cannot open '{}' for writing", target.path);
        setvbuf(f.get(), nullptr, _IOLBF, 0);
        sink.put = [f](uint8_t b) {
            fputc(b, f.get());
            if (b == '\n') fflush(f.get());
        };
        break;
    }
    case CharTarget::Unix:
        return std::string("a unix socket is only supported for -monitor");
    }
    auto put = sink.put;
    sink.write = [put](const std::string& s) {
        for (char c : s) put(uint8_t(c));
    };
    return {};
}

void block_termination_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

struct HostInput::Impl {
    EventQueue& queue;
    MachineConfig cfg;
    std::mutex reply_mutex;
    int reply_fd = -1;
    int listen_fd = -1;

    Impl(EventQueue& q, const MachineConfig& c) : queue(q), cfg(c) {}

    // Reads lines from `fd` and posts them as monitor commands.
    void monitor_lines(int fd) {
        std::string line;
        char buf[512];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; ++i) {
                if (buf[i] == '\n') {
                    queue.post({HostEvent::MonitorCommand, line});
                    line.clear();
                } else {
                    line += buf[i];
                }
            }
        }
    }

    void serial_bytes(int fd) {
        char buf[256];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0)
            queue.post({HostEvent::SerialInput, std::string(buf, size_t(n))});
    }

    void unix_server() {
        for (;;) {
            int fd = accept(listen_fd, nullptr, nullptr);
            if (fd < 0) return;
            {
                std::lock_guard lock(reply_mutex);
                reply_fd = fd;
            }
            monitor_lines(fd);
            std::lock_guard lock(reply_mutex);
            reply_fd = -1;
            close(fd);
        }
    }

    std::optional<std::string> listen_unix(const std::string& path) {
        listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (path.size() >= sizeof addr.sun_path)
            return fmt::format("-monitor: socket path '{}' too long", path);
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        unlink(path.c_str());
        if (listen_fd < 0 || bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
            listen(listen_fd, 1) < 0)
            return fmt::format("-monitor: cannot listen on '{}'", path);
        return {};
    }
};

HostInput::HostInput(EventQueue& queue, const MachineConfig& cfg)
    : impl_(std::make_unique<Impl>(queue, cfg)) {}

HostInput::~HostInput() {
    if (impl_->listen_fd >= 0) {
        shutdown(impl_->listen_fd, SHUT_RDWR);
        close(impl_->listen_fd);
    }
}

std::optional<std::string> HostInput::start() {
    Impl* im = impl_.get();
    // Threads blocked in read() cannot be joined at exit; they are detached and end with the
    // process. They only ever post to the queue.
    std::thread([im] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        int sig;
        if (sigwait(&set, &sig) == 0) im->queue.post({HostEvent::Quit, ""});
    }).detach();
    const CharTarget& mon = im->cfg.monitor;
    if (mon.kind == CharTarget::Stdio) {
        im->reply_fd = STDOUT_FILENO;
        std::thread([im] { im->monitor_lines(STDIN_FILENO); }).detach();
    } else if (mon.kind == CharTarget::Unix) {
        if (auto err = im->listen_unix(mon.path)) return err;
        std::thread([im] { im->unix_server(); }).detach();
    } else if (mon.kind == CharTarget::File) {
        return std::string("-monitor: a file cannot be a monitor (stdio or unix:PATH)");
    }
    if (im->cfg.serial.kind == CharTarget::Stdio && mon.kind != CharTarget::Stdio)
        std::thread([im] { im->serial_bytes(STDIN_FILENO); }).detach();
    return {};
}

void HostInput::reply(const std::string& text) {
    std::lock_guard lock(impl_->reply_mutex);
    if (impl_->reply_fd >= 0) ::write(impl_->reply_fd, text.data(), text.size());
}

} // namespace rr86::tools
