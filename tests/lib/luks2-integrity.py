#!/usr/bin/env python3
# luks2-integrity.py FILE: marks the data segment of the LUKS2 header in FILE
# as one with dm-integrity under it (segment "integrity" object, as cryptsetup
# luksFormat --integrity writes it), and recomputes both header copies'
# checksums (LUKS2 on-disk format: sha256 over the binary header with its
# csum field zeroed, followed by the JSON area). Formatting with --integrity
# needs device-mapper, which the loop test host lacks; only the header matters
# to the refusal under test.
import hashlib, json, struct, sys

path = sys.argv[1]
with open(path, 'r+b') as f:
    hdr0 = f.read(4096)
    hdr_size = struct.unpack('>Q', hdr0[8:16])[0]
    for off in (0, hdr_size):
        f.seek(off)
        blob = bytearray(f.read(hdr_size))
        assert blob[0:6] in (b'LUKS\xba\xbe', b'SKUL\xba\xbe'), 'not a LUKS2 header'
        js = json.loads(blob[4096:].split(b'\0', 1)[0])
        js['segments']['0']['integrity'] = {
            'type': 'hmac(sha256)', 'journal_encryption': 'none', 'journal_integrity': 'none'}
        text = json.dumps(js, separators=(',', ':')).encode()
        area = hdr_size - 4096
        assert len(text) < area
        blob[4096:] = text + b'\0' * (area - len(text))
        blob[448:448 + 64] = b'\0' * 64          # csum field
        blob[448:448 + 32] = hashlib.sha256(bytes(blob)).digest()
        f.seek(off)
        f.write(blob)
