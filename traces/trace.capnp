# rr86 trace schema: the messages inside a trace file. The framing around them (file prologue,
# chunk frames, trailer) is fixed binary and described in traces/format.h.
#
# Evolution rules (read before editing; see also traces/README.md):
#  1. Never renumber, reuse, retype or delete a field, union member or enumerant. A field that is
#     no longer written is renamed `obsoleteXxx` and keeps its number, so old traces stay readable.
#  2. New fields, union members and enumerants take the next free number. Cap'n Proto reads an
#     absent field as zero / the first enumerant, so the zero value of a new field must mean "what
#     writers did before the field existed" (e.g. resetDelivery's first enumerant is `sync`).
#  3. Every change to this file or to the framing increments kFormatVersion in traces/format.h.
#  4. "Required to read" (the prologue's minReaderVersion): the oldest reader that can replay the
#     file correctly. Raise it (to the new kFormatVersion, and raise kReaderVersion with it) when an
#     older reader would otherwise misread the file silently:
#       - a new event kind or field that changes guest-visible behaviour on replay (an old
#         replayer would skip it and diverge);
#       - a new meaning or unit for an existing field;
#       - a new tag bit in EventChunk.tags, a new chunk kind or codec, any change to the framing.
#     Additions that are informational only (a new header option, a new annotation event, a new
#     enumerant an old reader can print as a number) do not raise it.
#  5. Readers tolerate what they do not know: an unknown union member is read as an event of kind
#     "unknown", an unknown enumerant as its number.
#  6. Prologue bytes 0..15 (magic, format version, minReaderVersion) never move, so that any
#     reader can refuse a newer file with a clear message.
#
# Nothing here holds a wall-clock time or a host name: a trace is a pure function of the session
# (determinism contract), so the interpreter and the JIT produce the same events and header.

@0xd3ff960b35c6edc7;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("rr86::trace::schema");

# XXH3-128 of some bytes: bulk data references, state hashes.
struct Digest128 {
  hi @0 :UInt64;
  lo @1 :UInt64;
}

# ---------------------------------------------------------------------------------------------
# Header: everything that makes two sessions the same machine (determinism contract, item 1).

struct Header {
  formatVersion @0 :UInt32;       # copy of the prologue's; a reader checks they agree
  minReaderVersion @1 :UInt32;    # copy of the prologue's
  rr86Version @2 :Text;           # the rr86 that wrote the file
  options @3 :List(Option);       # the whole machine configuration, as given, in order
  machine @4 :MachineConfig;      # the options replay needs, typed
  images @5 :List(Image);         # every image the guest sees
}

struct Option {
  key @0 :Text;
  value @1 :Text;
}

struct MachineConfig {
  ramBytes @0 :UInt64;
  cpuModel @1 :Text;
  resetDelivery @2 :ResetDelivery;
  fwCfgRefresh @3 :FwCfgRefresh;
  rtcStart @4 :Int64;             # guest RTC start, seconds since 1970-01-01T00:00:00Z
  icountShift @5 :UInt8;          # virtual ns per instruction = 2^icountShift
}

# DESIGN.md "Event delivery models"; the first enumerant of each is the default.
enum ResetDelivery {
  sync @0;
  async @1;
}

enum FwCfgRefresh {
  onRun @0;
  resetOnly @1;
}

enum ImageRole {
  firmware @0;
  optionRom @1;
  disk @2;
  cdrom @3;
  fwCfgBlob @4;
  nvram @5;
  kernel @6;
  initrd @7;
  other @8;
}

# Seed 003: a ROM of another size or content is another machine; replay compares size and digest.
struct Image {
  role @0 :ImageRole;
  name @1 :Text;                  # guest-visible name: "bios", "ide0-hd0", "opt/GuestInfo"
  path @2 :Text;                  # host path when recorded (empty for inline blobs)
  size @3 :UInt64;
  digest @4 :Text;                # XXH3-128, 32 lowercase hex digits, as `xxh128sum` prints it
}

# ---------------------------------------------------------------------------------------------
# Events: one union. The member order is the EventKind order in traces/event.h.

struct Event {
  union {
    portAccess @0 :PortAccess;
    mmioAccess @1 :MmioAccess;
    interrupt @2 :Interrupt;
    guestRequest @3 :GuestRequest;
    requestApplied @4 :RequestApplied;
    monitorCommand @5 :MonitorCommand;
    hotplug @6 :Hotplug;
    serialInput @7 :SerialInput;
    runstateChange @8 :RunstateChange;
    checkpoint @9 :Checkpoint;
    diskRead @10 :DiskRead;
    end @11 :End;
  }
}

# Accesses are >99% of a firmware boot. Inside an EventChunk they are stored column-wise (see
# EventChunk); these structs give them a place in the one union for every other use.
struct PortAccess {
  port @0 :UInt16;
  size @1 :UInt8;                 # 1, 2 or 4 bytes
  write @2 :Bool;
  value @3 :UInt32;
}

struct MmioAccess {
  address @0 :UInt64;             # guest physical
  size @1 :UInt8;                 # 1, 2, 4 or 8 bytes
  write @2 :Bool;
  value @3 :UInt64;
}

struct Interrupt {
  vector @0 :UInt8;
}

# A guest-initiated platform request (determinism contract, item 5) ...
struct GuestRequest {
  kind @0 :RequestKind;
  value @1 :UInt32;               # byte written (0xCF9, 0x92, i8042 command) or debug-exit code
}

# ... and the icount at which the main loop carried it out (the event's own icount).
struct RequestApplied {
  kind @0 :RequestKind;
  requestedAt @1 :UInt64;         # icount of the matching GuestRequest
}

enum RequestKind {
  resetCf9 @0;
  resetI8042 @1;
  resetPort92 @2;
  tripleFault @3;
  shutdown @4;
  debugExit @5;
}

# Host-side events: each one makes the writer flush its chunk.
struct MonitorCommand {
  command @0 :Text;
}

struct Hotplug {
  add @0 :Bool;                   # false: remove
  device @1 :Text;                # device id
  options @2 :Text;               # device options as given (empty on remove)
}

struct SerialInput {
  port @0 :UInt8;                 # UART number
  bytes @1 :Data;
}

struct RunstateChange {
  from @0 :Runstate;
  to @1 :Runstate;
}

enum Runstate {
  prelaunch @0;
  running @1;
  paused @2;
  shutdown @3;
  debug @4;
  internalError @5;
}

struct Checkpoint {
  id @0 :UInt64;
  stateHash @1 :Digest128;
  snapshot @2 :Digest128;         # data blob holding the snapshot, zero when not stored
}

# Sectors the guest read; the bytes live in a data chunk (DataChunk), found by digest.
struct DiskRead {
  drive @0 :UInt8;
  lba @1 :UInt64;
  sectors @2 :UInt32;
  data @3 :Digest128;
}

struct End {
  outcome @0 :Outcome;
  exitCode @1 :Int32;             # for `exit`: the debug-exit code
  stateHash @2 :Digest128;        # the event's icount is the final icount
}

enum Outcome {
  exit @0;
  shutdown @1;
  hang @2;
  tripleFault @3;
  interrupted @4;                 # SIGINT/SIGTERM ended the recording
  limit @5;                       # an icount or time limit ended it
}

# ---------------------------------------------------------------------------------------------
# Chunk payloads (each one Cap'n Proto message, packed, then zstd-compressed on its own).

# A batch of events in icount order, stored column-wise: a column of similar small numbers packs
# and compresses far better than rows of mixed fields, and narrow columns leave the packer little
# to do (the benchmark's <= 1 byte per access at >= 20 M events/s; traces/README.md). A typical
# port access costs 6 bytes before packing: tag, 16-bit delta, 16-bit port, 8-bit value.
struct EventChunk {
  # One byte per event. Bits 0-1: 0 port access, 1 MMIO access, 2 the next entry of `records`.
  # For accesses, bits 2-3: log2(size), bit 4: write. Bits 5-7 are zero (a reader rejects them).
  tags @0 :Data;
  # One per event: icount minus the previous event's (the first: minus the frame's firstIcount).
  # 0xffff means "the next entry of bigDeltas" (any delta of 0xffff or more).
  icountDeltas @1 :List(UInt16);
  bigDeltas @2 :List(UInt64);
  # One per port access, in order.
  ports @3 :List(UInt16);
  # One per MMIO access, in order.
  mmioAddresses @4 :List(UInt64);
  # One per access of each size, in order: 1-byte values in values8, and so on. From format 2
  # on, 4- and 8-byte values are stored as the difference (modulo the width) from the previous
  # value of an access with the same tag and address in this chunk, or from 0 (value_history.h).
  values8 @5 :Data;
  values16 @6 :List(UInt16);
  values32 @7 :List(UInt32);
  values64 @8 :List(UInt64);
  # Every event that is not an access, in order.
  records @9 :List(Event);
}

# Bulk bytes, each blob stored once per file (deduplicated by digest).
struct DataChunk {
  blobs @0 :List(Blob);
}

struct Blob {
  digest @0 :Digest128;           # XXH3-128 of bytes
  bytes @1 :Data;
}

# The footer: where every chunk is, so a reader seeks by icount without touching earlier chunks.
struct Index {
  chunks @0 :List(ChunkEntry);    # in file order
  blobs @1 :List(BlobEntry);
}

struct ChunkEntry {
  offset @0 :UInt64;              # of the chunk frame
  kind @1 :UInt8;                 # frame kind: 1 events, 2 data
  firstIcount @2 :UInt64;
  lastIcount @3 :UInt64;
  count @4 :UInt32;               # events or blobs
  compressedBytes @5 :UInt32;
  packedBytes @6 :UInt32;
  messageWords @7 :UInt32;
}

struct BlobEntry {
  digest @0 :Digest128;
  chunk @1 :UInt32;               # position in Index.chunks
}
