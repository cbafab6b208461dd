#!/bin/sh
# Crieur's nightly backup: PostgreSQL in pg_dump's custom format, checked by reading
# it back, then the dumps and the media sent off-site with restic. Redis is not backed
# up: it holds queued tasks, the cache and rate counters, and the scheduler hands due
# publications over again from the database.
# Runs from crieur-backup.service with /etc/crieur/crieur.env (DATABASE_URL,
# CRIEUR_MEDIA_ROOT, CRIEUR_BACKUP_DIR, RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE).
set -eu

backup_dir="${CRIEUR_BACKUP_DIR:-/var/backups/crieur}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$backup_dir/crieur-$stamp.dump"

mkdir -p "$backup_dir"
# Custom format: compressed, restored table by table and in parallel (pg_restore -j).
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
    --file="$dump.partial" "$DATABASE_URL"
# A dump that cannot be listed cannot be restored: fail now, not on the day it is needed.
pg_restore --list "$dump.partial" >/dev/null
mv "$dump.partial" "$dump"

# Two weeks of dumps stay on the machine for a quick restore; restic keeps the rest.
find "$backup_dir" -name 'crieur-*.dump' -mtime +14 -delete

restic backup --tag crieur --host crieur "$backup_dir" "${CRIEUR_MEDIA_ROOT:-/var/lib/crieur/media}"
restic forget --tag crieur --host crieur \
    --keep-daily 14 --keep-weekly 8 --keep-monthly 12 --prune
# Reads back a tenth of the repository's data each night.
restic check --read-data-subset=10%
