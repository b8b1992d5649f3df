#!/bin/sh
# rd.shrinkbox.cmd=<applet and arguments, words separated by commas>
# e.g. rd.shrinkbox.cmd=status,/dev/vda3 ; remembered for the pre-mount hook.
cmd=$(getarg rd.shrinkbox.cmd=)
if [ -n "$cmd" ]; then
	echo "$cmd" >/run/shrinkbox.cmd
fi
