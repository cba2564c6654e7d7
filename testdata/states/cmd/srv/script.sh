#!/bin/sh
echo "script args: $*"
echo "script stderr" >&2
