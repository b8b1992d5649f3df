#!/bin/sh
# dracut pre-mount hook: the LUKS device is open (dracut's crypt module) and the
# LVs active (its lvm module), the root filesystem not yet mounted.
sh /usr/lib/shrinkbox/shrinkbox-boot.sh
