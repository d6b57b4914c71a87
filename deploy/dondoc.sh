#!/bin/sh
# `dondoc` for the administrator of a systemd install: install -m 755 deploy/dondoc.sh /usr/local/bin/dondoc
# Runs /opt/dondoc/.venv/bin/dondoc as the service's user (so the files it writes stay the
# service's) with the service's settings (/etc/dondoc/dondoc.env), in the data folder
# (/var/lib/dondoc): a relative file name is taken from there. Run it with sudo:
#   sudo dondoc check
#   sudo dondoc units import nhap/don-vi.xlsx      (that is /var/lib/dondoc/nhap/don-vi.xlsx)
# Files it reads or writes must be where the user dondoc can reach them (/var/lib/dondoc, /tmp).
set -eu
ENV_FILE=${DONDOC_ENV_FILE:-/etc/dondoc/dondoc.env}
BIN=${DONDOC_BIN:-/opt/dondoc/.venv/bin/dondoc}
if [ ! -r "$ENV_FILE" ]; then
    echo "Cannot read $ENV_FILE: run with sudo" >&2
    exit 2
fi
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
export DONDOC_DATA_DIR="${DONDOC_DATA_DIR:-/var/lib/dondoc}"
cd "$DONDOC_DATA_DIR"
if [ "$(id -u)" = 0 ]; then
    exec runuser -u dondoc -- "$BIN" "$@"
fi
exec "$BIN" "$@"
