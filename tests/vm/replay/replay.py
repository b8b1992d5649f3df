#!/usr/bin/env python3
"""Replays a write log in the dm-log-writes format (as QEMU's blklogwrites
driver writes it) onto a copy of the starting image.

The format (QEMU block/blklogwrites.c, Linux drivers/md/dm-log-writes.c and
Documentation/admin-guide/device-mapper/log-writes.rst), all little-endian:
log sector 0 is the super block {u64 magic, u64 version, u64 nr_entries,
u32 sectorsize}; from log sector 1 on, each entry is one log sector holding
{u64 sector, u64 nr_sectors, u64 flags, u64 data_len} followed by nr_sectors
sectors of data (none for a discard or a flush). QEMU rewrites the super
block only at a flush, so entries after the last flush are found by reading
on to the end of the file.

A state is what a disk with a volatile write cache may hold after a power
cut:
  b:K      every entry up to and including the K-th flush (a flush boundary)
  e        every entry (differs from the last boundary only when writes
           follow the last flush)
  t:SEED:I torn variant I: a flush boundary K (drawn from SEED and I: half
           the variants uniformly among the epochs that can tear, half
           weighted by their number of writes) plus a
           random subset of the writes between flush K and flush K+1, and,
           where one of them spans several tear units, only a random subset of
           that write's units
  p:SEED:I prefix variant I: a disk that writes in log order, cut inside an
           epoch: boundary K (drawn as for t), the first j writes after it,
           and the next one cut after some of its units when it has several
Writes are applied in log order (a later write to a sector wins); FUA writes
are always kept, as the disk reported them durable.

  replay.py info LOG [--limit N]
  replay.py list LOG [--limit N]           one line per entry
  replay.py super LOG                      prints the super block's nr_entries
  replay.py states LOG --torn N --prefix N --seed S [--sample M] [--limit N]
  replay.py describe LOG STATE [--limit N]
  replay.py apply LOG IMAGE STATE [--limit N]
"""
import argparse
import os
import random
import struct
import sys

MAGIC = 0x6A736677736872
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
FLAG_MASK = FLUSH | FUA | DISCARD | MARK
# The unit a torn write keeps or loses: a 4096-byte physical sector (and the
# LUKS2 sector size of our scenarios); SHRINKBOX_REPLAY_TEAR_UNIT=512 tears
# inside it, as a 512-byte-native disk may.
TEAR_UNIT = int(os.environ.get("SHRINKBOX_REPLAY_TEAR_UNIT", "4096"))


class Log:
    def __init__(self, path, limit=None):
        self.f = open(path, "rb")
        sb = self.f.read(28)
        if len(sb) < 28:
            sys.exit(f"{path}: no super block")
        magic, version, self.sb_entries, self.ss = struct.unpack("<QQQI", sb)
        if magic != MAGIC or version != 1:
            sys.exit(f"{path}: not a write log (magic {magic:#x}, version {version})")
        size = os.fstat(self.f.fileno()).st_size
        # (index, sector, nr_sectors, flags, data offset in the log)
        self.entries = []
        off = self.ss
        while off + self.ss <= size and (limit is None or len(self.entries) < limit):
            self.f.seek(off)
            sector, nr, flags, _ = struct.unpack("<QQQQ", self.f.read(32))
            if flags & ~FLAG_MASK:
                sys.exit(f"{path}: entry {len(self.entries)}: bad flags {flags:#x}")
            data = off + self.ss
            length = 0 if flags & (DISCARD | FLUSH | MARK) else nr * self.ss
            if data + length > size:
                break	# an entry cut short at the end of the file
            self.entries.append((len(self.entries), sector, nr, flags, data))
            off = data + length
        if limit is not None and len(self.entries) < limit:
            sys.exit(f"{path}: {len(self.entries)} entries, fewer than the {limit} asked for")
        self.flushes = [e[0] for e in self.entries if e[3] & FLUSH]

    def writes(self):
        return [e for e in self.entries if not e[3] & (FLUSH | MARK)]

    def epoch(self, k):
        """The writes after the k-th flush (k = 0: from the start) up to the next one."""
        lo = self.flushes[k - 1] + 1 if k > 0 else 0
        hi = self.flushes[k] if k < len(self.flushes) else len(self.entries)
        return [e for e in self.entries[lo:hi] if not e[3] & (FLUSH | MARK)]

    def upto(self, k):
        """The entries of flush boundary k (k = 0: none)."""
        return self.entries[: self.flushes[k - 1] + 1] if k > 0 else []

    def data(self, e, first=0, count=None):
        count = e[2] - first if count is None else count
        self.f.seek(e[4] + first * self.ss)
        return self.f.read(count * self.ss)


def units(log, e):
    """A write's tear units, as (first sector, count) relative to the write:
    aligned to TEAR_UNIT on the disk, as a physical sector is."""
    per = max(1, TEAR_UNIT // log.ss)
    s, end, out = e[1], e[1] + e[2], []
    while s < end:
        n = min(end, (s // per + 1) * per) - s
        out.append((s - e[1], n))
        s += n
    return out


def tearable(log, e):
    return len(units(log, e)) > 1 and not e[3] & (FUA | DISCARD)


def torn(log, seed, i):
    """Torn variant i of seed: (boundary, [(entry, [units kept] or None)], text)."""
    rng = random.Random(f"{seed}:{i}")
    # An epoch is worth tearing when a subset differs from both of its ends:
    # two writes or more that are not FUA, or one write of several tear units.
    cands = [k for k in range(len(log.flushes) + 1)
             if sum(1 for e in log.epoch(k) if not e[3] & FUA) >= 2
             or any(tearable(log, e) for e in log.epoch(k))]
    if not cands:
        return None
    # Half the variants pick an epoch uniformly, half by its number of writes
    # (each write is a point where a cut can land: resize2fs's epoch holds most).
    if rng.random() < 0.5:
        k = rng.choice(cands)
    else:
        k = rng.choices(cands, weights=[len(log.epoch(c)) for c in cands])[0]
    ws = log.epoch(k)
    free = [e for e in ws if not e[3] & FUA]
    while True:
        keep = [e for e in ws if e[3] & FUA or rng.random() < 0.5]
        if len(free) < 2 or 0 < len(keep) - (len(ws) - len(free)) < len(free):
            break
    multi = [e for e in keep if tearable(log, e)]
    if len(free) < 2:
        keep = ws
        multi = [e for e in ws if tearable(log, e)]
    plan = [(e, None) for e in keep]
    text = f"boundary {k} + {len(keep)} of the {len(ws)} writes after it"
    if multi:
        t = rng.choice(multi)
        n = len(units(log, t))
        while True:
            kept = [u for u in range(n) if rng.random() < 0.5]
            if 0 < len(kept) < n:
                break
        plan = [(e, kept if e is t else None) for e in keep]
        text += f", write {t[0]} (sector {t[1]}) torn: {len(kept)} of its {n} units"
    return k, plan, text


def prefix(log, seed, i):
    """Prefix variant i of seed: a disk that writes in order, cut inside an
    epoch: boundary K, the first j of the writes after it (0 < j < n), and the
    next write torn when it spans several units. (boundary, plan, text)."""
    rng = random.Random(f"p:{seed}:{i}")
    cands = [k for k in range(len(log.flushes) + 1)
             if len(log.epoch(k)) >= 2 or any(tearable(log, e) for e in log.epoch(k))]
    if not cands:
        return None
    if rng.random() < 0.5:
        k = rng.choice(cands)
    else:
        k = rng.choices(cands, weights=[len(log.epoch(c)) for c in cands])[0]
    ws = log.epoch(k)
    j = rng.randint(1, len(ws) - 1) if len(ws) >= 2 else 0
    plan = [(e, None) for e in ws[:j]]
    text = f"boundary {k} + the first {j} of the {len(ws)} writes after it"
    if j < len(ws) and tearable(log, ws[j]):
        t = ws[j]
        n = len(units(log, t))
        m = rng.randint(1, n - 1)
        plan.append((t, list(range(m))))
        text += f", then write {t[0]} (sector {t[1]}) cut after {m} of its {n} units"
    return k, plan, text


def parse_state(log, spec):
    """(entries of the boundary part, torn plan, text) of a state."""
    p = spec.split(":")
    if p[0] == "b" and len(p) == 2 and 1 <= int(p[1]) <= len(log.flushes):
        k = int(p[1])
        return log.upto(k), [], f"flush boundary {k} of {len(log.flushes)}"
    if p[0] == "e" and len(p) == 1:
        return log.entries, [], "every entry"
    if p[0] == "t" and len(p) == 3:
        t = torn(log, p[1], int(p[2]))
        if t is None:
            sys.exit("no epoch of this log can be torn")
        k, plan, text = t
        return log.upto(k), plan, text
    if p[0] == "p" and len(p) == 3:
        t = prefix(log, p[1], int(p[2]))
        if t is None:
            sys.exit("no epoch of this log can be cut")
        k, plan, text = t
        return log.upto(k), plan, text
    sys.exit(f"bad state {spec}")


def cmd_info(log, a):
    w = log.writes()
    print(f"entries {len(log.entries)} writes {len(w)} flushes {len(log.flushes)} "
          f"fua {sum(1 for e in w if e[3] & FUA)} discards {sum(1 for e in w if e[3] & DISCARD)} "
          f"sectors {sum(e[2] for e in w)} "
          f"after-last-flush {len(log.epoch(len(log.flushes)))} super-entries {log.sb_entries}")


def state_list(log, a):
    b = [f"b:{k}" for k in range(1, len(log.flushes) + 1)]
    if log.epoch(len(log.flushes)):
        b.append("e")
    t = []
    if a.torn > 0 and torn(log, a.seed, 0) is not None:
        t = [f"t:{a.seed}:{i}" for i in range(a.torn)]
    if a.prefix > 0 and prefix(log, a.seed, 0) is not None:
        t += [f"p:{a.seed}:{i}" for i in range(a.prefix)]
    allst = b + t
    if a.sample is None or a.sample >= len(allst):
        return allst
    # Always the first and the last boundary, then a seeded sample of the rest.
    must = [b[0], b[-1]] if len(b) > 1 else b[:1]
    rest = [s for s in allst if s not in must]
    rng = random.Random(f"sample:{a.seed}")
    pick = set(rng.sample(rest, max(0, a.sample - len(must))))
    return [s for s in allst if s in must or s in pick]


def cmd_apply(log, a):
    entries, plan, _ = parse_state(log, a.state)
    fd = os.open(a.image, os.O_WRONLY)
    n = 0

    def put(e, first, count):
        if e[3] & DISCARD:
            # After a discard a sector reads as anything; zeros are one answer.
            os.pwrite(fd, bytes(count * log.ss), (e[1] + first) * log.ss)
        else:
            os.pwrite(fd, log.data(e, first, count), (e[1] + first) * log.ss)

    for e in entries:
        if not e[3] & (FLUSH | MARK):
            put(e, 0, e[2])
            n += 1
    for e, keep in plan:
        if keep is None:
            put(e, 0, e[2])
        else:
            us = units(log, e)
            for u in keep:
                put(e, *us[u])
        n += 1
    os.fsync(fd)
    os.close(fd)
    print(f"applied {n} writes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=["info", "list", "super", "states", "describe", "apply"])
    ap.add_argument("log")
    ap.add_argument("rest", nargs="*")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--torn", type=int, default=0)
    ap.add_argument("--prefix", type=int, default=0)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--sample", type=int)
    a = ap.parse_args()
    if a.cmd == "super":
        with open(a.log, "rb") as f:
            print(struct.unpack("<QQQI", f.read(28))[2])
        return
    log = Log(a.log, a.limit)
    if a.cmd == "info":
        cmd_info(log, a)
    elif a.cmd == "list":
        names = {FLUSH: "flush", FUA: "fua", DISCARD: "discard", MARK: "mark"}
        for e in log.entries:
            f = ",".join(v for k, v in names.items() if e[3] & k) or "write"
            print(f"{e[0]} {f} {e[1]} {e[2]}")
    elif a.cmd == "states":
        print("\n".join(state_list(log, a)))
    elif a.cmd == "describe":
        print(parse_state(log, a.rest[0])[2])
    elif a.cmd == "apply":
        a.image, a.state = a.rest
        cmd_apply(log, a)


if __name__ == "__main__":
    main()
