#!/usr/bin/env bash
# Restore one accessory volume from a backup: restore-accessory.sh NAME VOLUME STAMP
# (as listed under s3://BUCKET/backups/accessories/NAME/VOLUME/). The archive is fetched and checked
# first; then the accessory stops, the volume's content is replaced by the archive's, and it starts again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
usage="usage: restore-accessory.sh NAME VOLUME STAMP (see: aws s3 ls s3://BUCKET/backups/accessories/NAME/VOLUME/)"
name=${1:?$usage} volume=${2:?$usage} stamp=${3:?$usage}
case " $(accessory_volumes) " in
  *" $name/$volume "*) ;;
  *) log "$name/$volume is not an accessory volume of the live release ($(accessory_volumes))"; exit 1 ;;
esac
WORK=$(mktemp -d)
export WORK
trap 'rm -rf "$WORK"' EXIT

s3 cp --quiet "s3://${S3_BUCKET:?}/backups/accessories/$name/$volume/$stamp.tar.gz" /work/volume.tar.gz
tar -tzf "$WORK/volume.tar.gz" >/dev/null || { log "backups/accessories/$name/$volume/$stamp.tar.gz is not a readable archive"; exit 1; }
data=$(volume_dir "$name" "$volume")
compose stop "$name"
find "$data" -mindepth 1 -delete
tar -C "$data" --numeric-owner -xzf "$WORK/volume.tar.gz"
compose up -d --no-deps "$name"
log "$name/$volume restored from backups/accessories/$name/$volume/$stamp.tar.gz"
