#!/bin/sh
# pre-mount: run the command rd.shrinkbox.cmd= asked for, once, logging to the
# console and /run/initramfs/shrinkbox.log; boot continues whatever it says.
[ -e /run/shrinkbox.cmd ] || return 0
[ -e /run/shrinkbox.done ] && return 0
: >/run/shrinkbox.done
mkdir -p /run/initramfs
oldifs=$IFS
IFS=,
# shellcheck disable=SC2046 # the words are comma-separated on purpose
set -- $(cat /run/shrinkbox.cmd)
IFS=$oldifs
info "shrinkbox: running shrinkbox $*"
DM_DISABLE_UDEV=1 /usr/sbin/shrinkbox "$@" 2>&1 | tee -a /run/initramfs/shrinkbox.log >/dev/console
info "shrinkbox: done"
