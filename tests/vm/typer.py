#!/usr/bin/env python3
"""Types on a guest's serial console, as a user at the keyboard would.

typer.py SOCKET MARKER TEXT: connects to QEMU's serial chardev socket (vm_run
in lib.sh, VM_TYPE), reads everything the guest prints, and once MARKER has
shown, sends TEXT and a carriage return, once; then keeps reading until the
guest goes away, so the console never blocks on a full socket.
"""
import socket
import sys
import time


def main():
    path, marker, text = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(600):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("typer: no socket " + path)
    seen, typed = b"", False
    while True:
        try:
            data = s.recv(4096)
        except OSError:
            break
        if not data:
            break
        if typed:
            continue
        seen = (seen + data)[-4096:]
        if marker in seen:
            # The reader turns echo off and flushes input before it prompts:
            # type after the prompt, not with it.
            time.sleep(0.5)
            s.sendall(text + b"\r")
            typed = True
            print("typer: typed after %r" % marker.decode(), file=sys.stderr)


if __name__ == "__main__":
    main()
