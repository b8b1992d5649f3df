#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Partition tables as the Linux kernel reads them, and a replayer of write logs.

The host kernel of the loop tests has no GPT parser (and no device-mapper),
so this applies the acceptance rules of the kernel's parsers in userspace:
  block/partitions/efi.c   efi_partition(), find_valid_gpt(), is_pmbr_valid(),
                           is_gpt_valid(), alloc_read_gpt_entries(), is_pte_valid()
  block/partitions/msdos.c msdos_partition(), parse_extended()
  block/partitions/core.c  check_partition() order (efi before msdos) and
                           blk_add_partition()'s end-of-disk checks
without the "gpt" boot parameter (force_gpt): the kernel then reads only the
primary GPT header, and needs a protective MBR.

  ptcheck.py check IMG [--ss N]          prints "LABEL" and "N START SIZE" lines, exit 1: rejected
  ptcheck.py replay BASE FINAL LOG ...   rebuilds every prefix of the log (W/F lines written by
                                         SHRINKBOX_TEST_WRITELOG), seeded subsets of the writes
                                         since the last flush and torn multi-sector writes, and
                                         checks each state (see replay()); --verify-states: each
                                         state must pass sfdisk --verify too
  ptcheck.py libfdisk-log BASE FINAL OUT writes the log libfdisk's own gpt_write_disklabel()
                                         order would give (libfdisk/src/gpt.c): backup entries,
                                         backup header, primary entries, primary header, PMBR,
                                         each followed by fsync (gpt_write())
"""
import argparse
import hashlib
import itertools
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


class Reject(Exception):
    pass


def crc32(b):
    # efi_crc32(): zlib's CRC-32 (inverted in and out)
    return zlib.crc32(b) & 0xffffffff


class Disk:
    def __init__(self, path, ss):
        self.f = open(path, 'rb')
        self.ss = ss
        self.bytes = os.fstat(self.f.fileno()).st_size
        self.sectors = self.bytes // ss          # logical sectors
        self.lastlba = self.sectors - 1          # efi.c last_lba()

    def read(self, lba, n):
        self.f.seek(lba * self.ss)
        return self.f.read(n * self.ss)

    def read_bytes(self, lba, count):
        """efi.c read_lba(): nothing past the last LBA."""
        if lba > self.lastlba:
            return b''
        self.f.seek(lba * self.ss)
        return self.f.read(min(count, (self.sectors - lba) * self.ss))

    def close(self):
        self.f.close()


def is_pmbr_valid(mbr):
    """efi.c is_pmbr_valid(): 0 invalid, 1 protective, 2 hybrid."""
    if struct.unpack_from('<H', mbr, 510)[0] != 0xaa55:
        return 0
    ret = 0
    for i in range(4):
        rec = mbr[446 + 16 * i: 446 + 16 * (i + 1)]
        # pmbr_part_valid(): os_type 0xEE, starting_lba 1
        if rec[4] == 0xee and struct.unpack_from('<I', rec, 8)[0] == 1:
            ret = 1
            break
    if ret != 1:
        return 0
    for i in range(4):
        t = mbr[446 + 16 * i + 4]
        if t not in (0xee, 0):
            ret = 2
    # a size other than the disk's is only a pr_debug()
    return ret


def is_gpt_valid(d, lba):
    """efi.c is_gpt_valid(); returns (header fields, entries bytes) or raises Reject."""
    if lba > d.lastlba:
        raise Reject('header LBA %d past the disk' % lba)
    h = d.read(lba, 1)
    if h[0:8] != b'EFI PART':
        raise Reject('no GPT signature at LBA %d' % lba)
    hsz = struct.unpack_from('<I', h, 12)[0]
    if hsz > d.ss:
        raise Reject('header size %d > sector' % hsz)
    if hsz < 92:
        raise Reject('header size %d < 92' % hsz)
    orig = struct.unpack_from('<I', h, 16)[0]
    hz = h[:16] + b'\0\0\0\0' + h[20:hsz]
    if crc32(hz) != orig:
        raise Reject('header CRC mismatch at LBA %d' % lba)
    my_lba, alt, first, last = struct.unpack_from('<QQQQ', h, 24)
    ents_lba, nents, esz, ents_crc = struct.unpack_from('<QIII', h, 72)
    if my_lba != lba:
        raise Reject('my_lba %d != %d' % (my_lba, lba))
    if first > d.lastlba or last > d.lastlba:
        raise Reject('usable range %d..%d past the disk' % (first, last))
    if last < first:
        raise Reject('last usable < first usable')
    if esz != 128:
        raise Reject('entry size %d' % esz)
    pt_size = nents * esz
    if pt_size > 4 << 20:          # KMALLOC_MAX_SIZE is at least this
        raise Reject('entry array too large')
    ents = d.read_bytes(ents_lba, pt_size)   # alloc_read_gpt_entries()
    if len(ents) < pt_size:
        raise Reject('entry array past the disk')
    if crc32(ents) != ents_crc:
        raise Reject('entries CRC mismatch (array at LBA %d)' % ents_lba)
    return dict(alt=alt, first=first, last=last, ents_lba=ents_lba, nents=nents), ents


def add_part(parts, d, n, start512, size512):
    """core.c blk_add_partitions(): a start past the end is skipped, a size past it cut."""
    cap = d.bytes // 512
    if size512 == 0 or start512 >= cap:
        return
    if start512 + size512 > cap:
        size512 = cap - start512
    f = d.ss // 512
    parts[n] = (start512 // f, size512 // f)


def efi_partition(d):
    mbr = d.read(0, 1)[:512]
    if not is_pmbr_valid(mbr):
        raise Reject('no protective MBR (0xEE from LBA 1)')
    hdr, ents = is_gpt_valid(d, 1)   # without force_gpt the alternate cannot save it
    parts = {}
    f = d.ss // 512
    for i in range(min(hdr['nents'], 256 - 1)):        # state->limit - 1
        e = ents[128 * i:128 * (i + 1)]
        start, end = struct.unpack_from('<QQ', e, 32)
        if e[:16] == b'\0' * 16 or start > d.lastlba or end > d.lastlba:   # is_pte_valid()
            continue
        add_part(parts, d, i + 1, start * f, (end - start + 1) * f)
    return parts


def is_ext(t):
    return t in (0x05, 0x0f, 0x85)


def msdos_partition(d):
    data = d.read(0, 1)
    if struct.unpack_from('<H', data, 510)[0] != 0xaa55:
        raise Reject('no MBR signature')
    recs = [data[446 + 16 * i: 446 + 16 * (i + 1)] for i in range(4)]
    for r in recs:
        if r[0] not in (0, 0x80):
            raise Reject('boot indicator 0x%02x' % r[0])
    for r in recs:
        if r[4] == 0xee:
            raise Reject('0xEE entry: a GPT disk the GPT parser rejected')
    f = d.ss // 512
    parts = {}
    nxt = [5]

    def parse_extended(first, first_size):
        this, this_size, loopct = first, first_size, 0
        while True:
            loopct += 1
            if loopct > 100 or nxt[0] == 256:
                return
            if this // f > d.lastlba:
                return
            b = d.read(this // f, 1)
            if struct.unpack_from('<H', b, 510)[0] != 0xaa55:
                return
            es = [b[446 + 16 * i: 446 + 16 * (i + 1)] for i in range(4)]
            for i, p in enumerate(es):
                st, sz = struct.unpack_from('<II', p, 8)
                if not sz or is_ext(p[4]):
                    continue
                offs, size = st * f, sz * f
                n = this + offs
                if i >= 2 and (offs + size > this_size or n < first or
                               n + size > first + first_size):
                    continue
                add_part(parts, d, nxt[0], n, size)
                loopct = 0
                nxt[0] += 1
                if nxt[0] == 256:
                    return
            for p in es:
                st, sz = struct.unpack_from('<II', p, 8)
                if sz and is_ext(p[4]):
                    this, this_size = first + st * f, sz * f
                    break
            else:
                return

    for slot, p in enumerate(recs, 1):
        st, sz = struct.unpack_from('<II', p, 8)
        start, size = st * f, sz * f
        if not size:
            continue
        if is_ext(p[4]):
            add_part(parts, d, slot, start, min(size, max(f, 2)))
            parse_extended(start, size)
            continue
        add_part(parts, d, slot, start, size)
    return parts


def kernel_view(path, ss=512):
    """(label, {n: (start, size)}) in logical sectors, or raises Reject."""
    d = Disk(path, ss)
    try:
        try:
            return 'gpt', efi_partition(d)
        except Reject as e:
            why = str(e)
        try:
            parts = msdos_partition(d)
        except Reject as e:
            raise Reject('gpt: %s; msdos: %s' % (why, e))
        if not parts:
            raise Reject('gpt: %s; msdos: no partitions' % why)
        return 'dos', parts
    finally:
        d.close()


# ---- write logs ----

def read_log(path):
    """[(kind, offset, bytes)]: ('W', off, data) or ('F', 0, b'')."""
    out = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith('#'):
                continue
            if w[0] == 'W':
                data = bytes.fromhex(w[3]) if len(w) > 3 else b''
                assert len(data) == int(w[2]), 'log line length'
                out.append(('W', int(w[1]), data))
            elif w[0] == 'F':
                out.append(('F', 0, b''))
    return out


def groups_of(log):
    """The writes between flushes: [[(off, data), ...], ...] (a trailing group has no flush)."""
    gs, cur = [], []
    for k, off, data in log:
        if k == 'W':
            cur.append((off, data))
        else:
            gs.append(cur)
            cur = []
    if cur:
        gs.append(cur)
    return gs


def apply(img, writes):
    with open(img, 'r+b') as f:
        for off, data in writes:
            f.seek(off)
            f.write(data)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, **kw)


def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    return h.hexdigest()


def states(gs, ss, rng, subsets, torn):
    """(name, writes) for every prefix, subsets and torn variants of each group."""
    done = []
    seen = set()
    for gi, g in enumerate(gs):
        # prefixes: each write of the group in order, on top of all earlier groups
        for i in range(len(g) + 1):
            key = (gi, tuple(range(i)), None)
            if key not in seen and (gi == 0 or i > 0):
                seen.add(key)
                yield 'flush%d+%d' % (gi, i), done + g[:i]
        # subsets of the writes since the last flush
        idx = list(range(len(g)))
        if len(g) <= 5:
            subs = [c for r in range(1, len(g)) for c in itertools.combinations(idx, r)]
        else:
            subs = [tuple(sorted(rng.sample(idx, rng.randint(1, len(g) - 1))))
                    for _ in range(subsets)]
        for c in subs:
            key = (gi, c, None)
            if key in seen or c == tuple(range(len(c))):
                continue
            seen.add(key)
            yield 'flush%d{%s}' % (gi, ','.join(map(str, c))), done + [g[i] for i in c]
        # torn multi-sector writes: a random subset of its sectors, with a random subset of the rest
        for wi, (off, data) in enumerate(g):
            n = len(data) // ss
            if n < 2:
                continue
            for t in range(torn):
                keep = sorted(rng.sample(range(n), rng.randint(1, n - 1)))
                oi = [i for i in idx if i != wi and rng.random() < 0.5]
                key = (gi, wi, tuple(keep), tuple(oi))
                if key in seen:
                    continue
                seen.add(key)
                others = [g[i] for i in oi]
                part = [(off + s * ss, data[s * ss:(s + 1) * ss]) for s in keep]
                yield 'flush%d torn w%d %d/%d sectors' % (gi, wi, len(keep), n), done + others + part
        done = done + g


def cmd_replay(a):
    ss = a.ss
    log = read_log(a.log)
    gs = groups_of(log)
    nw = sum(len(g) for g in gs)
    nf = sum(1 for k, _, _ in log if k == 'F')
    label0, old = kernel_view(a.base, ss)
    label1, new = kernel_view(a.final, ss)
    rng = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix='ptreplay.', dir=a.tmpdir)
    # sfdisk names partitions after the file: dump both under names of one shape
    ref = os.path.join(tmp, 'final.img')
    shutil.copyfile(a.final, ref)
    final_dump = sh(['sfdisk', '-d', ref]).stdout
    final_sha = sha(ref)
    tried = accepted = converged = 0
    bad = []
    try:
        for name, writes in states(gs, ss, rng, a.subsets, a.torn):
            tried += 1
            img = os.path.join(tmp, 'state.img')
            shutil.copyfile(a.base, img)
            apply(img, writes)
            try:
                label, parts = kernel_view(img, ss)
                if parts != old and parts != new:
                    raise Reject('it names %s, neither old %s nor new %s' % (parts, old, new))
                if a.verify_states:
                    # libfdisk's own checks (dos_verify_disklabel(): a logical
                    # partition outside its container), which the kernel skips
                    v = sh(['sfdisk', '--verify', img])
                    if v.returncode != 0 or 'No errors detected' not in v.stdout:
                        raise Reject('sfdisk --verify: %s' %
                                     ' '.join((v.stdout + v.stderr).split())[-200:])
                accepted += 1
            except Reject as e:
                bad.append('%s: kernel rejects: %s' % (name, e))
                if not a.rerun_rejected:
                    continue
            if not a.cmd:
                continue
            r = sh(['sfdisk', '-d', img])
            if r.returncode != 0:
                bad.append('%s: sfdisk -d exit %d: %s' % (name, r.returncode, r.stderr.strip()))
                continue
            cmd = a.cmd.replace('{img}', img)
            r = sh(cmd)
            why = []
            if r.returncode != 0:
                why.append('re-run exit %d: %s' % (r.returncode, (r.stdout + r.stderr).strip()[-300:]))
            else:
                if sh(['sfdisk', '-d', img]).stdout.replace(img, ref) != final_dump:
                    why.append('sfdisk -d differs from the clean run')
                v = sh(['sfdisk', '--verify', img])
                if v.returncode != 0 or 'No errors detected' not in v.stdout:
                    why.append('sfdisk --verify: %s' % (v.stdout + v.stderr).strip())
                try:
                    if kernel_view(img, ss)[1] != new:
                        why.append('kernel view after the re-run is not the new table')
                except Reject as e:
                    why.append('kernel rejects after the re-run: %s' % e)
                h = sha(img)
                if h != final_sha:
                    why.append('bytes differ from the clean run')
                r3 = sh(cmd)
                if r3.returncode != 0 or 'No changes.' not in r3.stdout or sha(img) != h:
                    why.append('third run: exit %d, not "No changes." or wrote' % r3.returncode)
            if why:
                bad.append('%s: %s' % (name, '; '.join(why)))
            else:
                converged += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for b in bad[:a.show]:
        print('  state %s' % b)
    print('%s: writes %d, flushes %d, states tried %d, accepted %d%s' %
          (a.name, nw, nf, tried, accepted,
           ', converged %d' % converged if a.cmd else ''))
    ok = accepted == tried and (not a.cmd or converged == tried)
    return 0 if ok else 1


def cmd_check(a):
    try:
        label, parts = kernel_view(a.img, a.ss)
    except Reject as e:
        print('rejected: %s' % e)
        return 1
    print(label)
    for n in sorted(parts):
        print(n, *parts[n])
    return 0


def cmd_libfdisk_log(a):
    """The write order of libfdisk's gpt_write_disklabel(), with FINAL's bytes (strace of
    sfdisk 2.38.1-5 agrees: lseek+write+fsync for each of the five regions)."""
    d = Disk(a.final, a.ss)
    try:
        ph, _ = is_gpt_valid(d, 1)
        bh, _ = is_gpt_valid(d, ph['alt'])
        es = (ph['nents'] * 128 + a.ss - 1) // a.ss
        regions = [(bh['ents_lba'], es), (ph['alt'], 1), (ph['ents_lba'], es), (1, 1), (0, 1)]
        with open(a.out, 'w') as out:
            for lba, n in regions:
                # gpt_write() fsyncs after each write (util-linux 2.38, Debian's
                # "libfdisk: (gpt) don't ignore fsync() errors")
                out.write('W %d %d %s\nF\n' % (lba * a.ss, n * a.ss, d.read(lba, n).hex()))
    finally:
        d.close()
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='op', required=True)
    c = sub.add_parser('check')
    c.add_argument('img')
    c.add_argument('--ss', type=int, default=512)
    r = sub.add_parser('replay')
    r.add_argument('base')
    r.add_argument('final')
    r.add_argument('log')
    r.add_argument('--name', default='replay')
    r.add_argument('--ss', type=int, default=512)
    r.add_argument('--cmd', default='', help='re-run command, {img} = the state image')
    r.add_argument('--seed', type=int, default=13)
    r.add_argument('--subsets', type=int, default=8)
    r.add_argument('--torn', type=int, default=4)
    r.add_argument('--show', type=int, default=5)
    r.add_argument('--rerun-rejected', action='store_true',
                   help='re-run the command on states the kernel rejects too')
    r.add_argument('--verify-states', action='store_true',
                   help='each state must also pass sfdisk --verify')
    r.add_argument('--tmpdir', default=None)
    l = sub.add_parser('libfdisk-log')
    l.add_argument('base')
    l.add_argument('final')
    l.add_argument('out')
    l.add_argument('--ss', type=int, default=512)
    a = p.parse_args()
    return {'check': cmd_check, 'replay': cmd_replay, 'libfdisk-log': cmd_libfdisk_log}[a.op](a)


if __name__ == '__main__':
    sys.exit(main())
