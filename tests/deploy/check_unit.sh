#!/usr/bin/env bash
# deploy/'s systemd units as systemd reads them: each verifies (every directive known, the
# binaries executable), and cohort@.service's hardening keeps systemd's exposure score low. The
# binary paths are swapped for ones that exist, since nothing is installed under /usr/local/bin here.
# Usage: check_unit.sh REPO_ROOT COHORT_SERVER
set -euo pipefail
root=$1 server=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
sed "s|/usr/local/bin/cohort-server|$server|" "$root/deploy/cohort@.service" >"$scratch/cohort@study.service"
systemd-analyze verify "$scratch/cohort@study.service"
# The backup units: cohort-replay is not installed either; /bin/sh stands in as an executable.
sed "s|/usr/local/bin/cohort-replay|/bin/sh|g" "$root/deploy/cohort-backup@.service" >"$scratch/cohort-backup@study.service"
cp "$root/deploy/cohort-backup@.timer" "$scratch/cohort-backup@study.timer"
systemd-analyze verify "$scratch/cohort-backup@study.service" "$scratch/cohort-backup@study.timer"
# Exposure runs from 0 (locked down) to 100 (none of systemd's sandboxing); 1.6 on the 0-10
# scale systemd prints when this was written.
systemd-analyze security --offline=true --threshold=20 "$scratch/cohort@study.service" >/dev/null
echo "ok: deploy/cohort@.service verifies, exposure within 2.0; the backup service and timer verify"
