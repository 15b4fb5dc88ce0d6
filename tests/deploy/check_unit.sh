#!/usr/bin/env bash
# deploy/cohort@.service as systemd reads it: the unit verifies (every directive known, the
# binary executable) and its hardening keeps systemd's exposure score low. The binary path is
# swapped for the one just built, since nothing is installed under /usr/local/bin here.
# Usage: check_unit.sh REPO_ROOT COHORT_SERVER
set -euo pipefail
root=$1 server=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
sed "s|/usr/local/bin/cohort-server|$server|" "$root/deploy/cohort@.service" >"$scratch/cohort@study.service"
systemd-analyze verify "$scratch/cohort@study.service"
# Exposure runs from 0 (locked down) to 100 (none of systemd's sandboxing); 1.6 on the 0-10
# scale systemd prints when this was written.
systemd-analyze security --offline=true --threshold=20 "$scratch/cohort@study.service" >/dev/null
echo "ok: deploy/cohort@.service verifies, exposure within 2.0"
