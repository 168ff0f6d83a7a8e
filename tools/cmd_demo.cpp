// rr86 demo: the main job — record Debian's SeaBIOS booting the built-in demo disk (whose MBR
// prints "BOOT OK" on COM1 and exits through isa-debug-exit), then replay the trace and verify it.
#include "tools/commands.h"
#include "tools/session.h"

#include <cstdio>
#include <fmt/core.h>
#include <unistd.h>
#include <vector>

extern "C" const unsigned char rr86_demo_mbr[512];
extern "C" const unsigned char rr86_demo_mbr_reboot[512];

namespace rr86::tools {

namespace {

// Writes a 1 MiB raw disk image holding `mbr` to a fresh temporary file; returns its path.
std::string write_demo_disk(const unsigned char* mbr) {
    const char* dir = getenv("TMPDIR");
    std::string path = fmt::format("{}/rr86-demo-XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path.data());
    if (fd < 0) return "";
    std::vector<unsigned char> image(1 << 20, 0);
    std::copy(mbr, mbr + 512, image.begin());
    bool ok = ::write(fd, image.data(), image.size()) == ssize_t(image.size());
    close(fd);
    return ok ? path : "";
}

} // namespace

void add_demo_command(CLI::App& app, CommandContext& ctx) {
    auto* cmd = app.add_subcommand("demo", "Record Debian's SeaBIOS booting the built-in demo disk "
                                           "(BOOT OK on COM1), then replay and verify the trace; "
                                           "extra machine options apply");
    auto opts = std::make_shared<SessionOptions>();
    auto reboot = std::make_shared<bool>(false);
    auto path = std::make_shared<std::string>("demo.trace");
    add_session_options(cmd, *opts);
    cmd->add_option("-o,--output", *path, "Trace file to write (default demo.trace)");
    cmd->add_flag("--reboot", *reboot, "Use the MBR that jumps to the reset vector (seed 002)");
    cmd->callback([&ctx, opts, reboot, path] {
        std::string disk = write_demo_disk(*reboot ? rr86_demo_mbr_reboot : rr86_demo_mbr);
        if (disk.empty()) {
            fmt::print(stderr, "rr86: cannot write the demo disk image to the temporary folder\n");
            ctx.exit_code = 2;
            return;
        }
        MachineArgs args = {{"drive", "file=" + disk + ",format=raw,if=ide"},
                            {"device", "isa-debug-exit,iobase=0xf4,iosize=4"},
                            {"serial", "stdio"}};
        args.insert(args.end(), ctx.machine_args.begin(), ctx.machine_args.end());
        int status = record_session(args, *opts, *path);
        // The demo MBR exits with isa-debug-exit status (0 << 1) | 1 = 1: that is success.
        if (status == 1 || (*reboot && status == 124)) {
            fmt::print(stderr, "rr86: replaying {}\n", *path);
            status = replay_trace({*path, false, opts->summary}, {{"serial", "stdio"}});
        } else if (status == 0) {
            status = 1;
        }
        unlink(disk.c_str());
        ctx.exit_code = status;
    });
}

} // namespace rr86::tools
