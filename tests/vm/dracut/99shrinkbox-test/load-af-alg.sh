#!/bin/sh
# Before the switch to a "rootfs" LV (which has no kernel modules): the AF_ALG
# sockets libcryptsetup's key check uses, loaded here where the modules are,
# as a full root would load them on demand.
modprobe -a af_alg algif_skcipher algif_hash 2>/dev/null
:
