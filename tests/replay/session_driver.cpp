// Drives one `rr86 record` session the way a person at a terminal would, with wall-clock timing:
// prelaunch hot-add and `cont` over the monitor socket, a `system_reset` after a random delay
// (so its icount differs between recordings), and serial input typed each time the guest
// prints "BOOT OK". The guest's serial output is saved to a file.
//
// usage: session_driver OUT_SERIAL SOCKET RESET_DELAY_MAX_MS -- RR86 record ARGS...
// The rr86 command line must contain `-monitor unix:SOCKET,server=on,wait=off -serial stdio -S`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

int connect_monitor(const std::string& path) {
    for (int attempt = 0; attempt < 500; ++attempt) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
        close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

void send_line(int fd, const std::string& line) {
    std::string l = line + "\n";
    if (write(fd, l.data(), l.size()) < 0) std::perror("monitor write");
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 6 || std::strcmp(argv[4], "--") != 0) {
        std::fprintf(stderr, "usage: session_driver OUT SOCKET DELAY_MS -- RR86 ARGS...\n");
        return 2;
    }
    std::string out_path = argv[1], sock = argv[2];
    int delay_max = std::atoi(argv[3]);
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return 2;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        execv(argv[5], argv + 5);
        std::perror("execv");
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);

    int mon = connect_monitor(sock);
    if (mon < 0) {
        std::fprintf(stderr, "session_driver: cannot connect to %s\n", sock.c_str());
        kill(pid, SIGKILL);
        return 2;
    }
    // Prelaunch hot-add from the monitor, so that it is a logged host event (seed 000's path);
    // the disk comes from RR86_DRIVER_DISK.
    const char* disk = std::getenv("RR86_DRIVER_DISK");
    if (disk) {
        send_line(mon, std::string("drive_add 0 file=") + disk + ",format=raw,if=none,id=hot");
        send_line(mon, "device_add ide-hd,drive=hot,bus=ide.0,unit=0,bootindex=1");
    }
    send_line(mon, "cont");
    // Wait until the vCPU thread answers (it has started running the guest), so that the delay
    // below is measured from a running guest, not from a process still starting up.
    send_line(mon, "info status");
    std::string reply;
    char rbuf[256];
    ssize_t rn;
    while (reply.find("VM status: running") == std::string::npos &&
           (rn = read(mon, rbuf, sizeof rbuf)) > 0)
        reply.append(rbuf, size_t(rn));
    std::random_device rd; // host randomness only decides wall-clock timing, which is logged
    int delay = std::uniform_int_distribution<int>(1, delay_max)(rd);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    send_line(mon, "system_reset");

    // The input is typed at every "BOOT OK": the reset may land after the first boot has already
    // printed it (and taken the input with it), and the guest must get its line after that too.
    std::string output;
    size_t boots_seen = 0;
    char buf[4096];
    ssize_t n;
    while ((n = read(from_child[0], buf, sizeof buf)) > 0) {
        output.append(buf, size_t(n));
        size_t boots = 0;
        for (size_t at = output.find("BOOT OK"); at != std::string::npos;
             at = output.find("BOOT OK", at + 1))
            ++boots;
        for (; boots_seen < boots; ++boots_seen) {
            const char* text = "typed by the host\n";
            if (write(to_child[1], text, std::strlen(text)) < 0) std::perror("serial write");
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(mon);
    FILE* f = std::fopen(out_path.c_str(), "wb");
    if (f) {
        std::fwrite(output.data(), 1, output.size(), f);
        std::fclose(f);
    }
    std::printf("session_driver: reset after %d ms, rr86 exit %d\n", delay,
                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
