#!/usr/bin/env bash
# Creates one database and one owning login role per subgraph:
#   database shopgraph_<name>, role <name>_svc, password $<NAME>_DB_PASSWORD (default "<name>-dev-password").
#
# The postgres image runs this once, from /docker-entrypoint-initdb.d/, when its data volume is empty.
# It is idempotent, so after adding a subgraph to an existing stack run it again by hand:
#   docker compose exec postgres /docker-entrypoint-initdb.d/init.sh
# The subgraphs are SHOPGRAPH_SUBGRAPHS="users products ...", which docker-compose.yml sets on the postgres
# service from the service registry (scripts/services.ts, `npm run services`).
# Passwords go into DATABASE_URL, so keep them URL-safe (letters, digits, - . _ ~).
set -euo pipefail

subgraphs="${SHOPGRAPH_SUBGRAPHS:?set SHOPGRAPH_SUBGRAPHS to the subgraph names (docker-compose.yml does)}"

for name in $subgraphs; do
  if [[ ! "$name" =~ ^[a-z][a-z0-9_]*$ ]]; then
    echo "init.sh: invalid subgraph name '$name'" >&2
    exit 1
  fi
  password_var="${name^^}_DB_PASSWORD"
  password="${!password_var:-${name}-dev-password}"
  echo "init.sh: database shopgraph_${name}, role ${name}_svc"
  # Values travel as psql variables and are quoted by format(%I/%L): no SQL injection through passwords.
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
    --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v role="${name}_svc" -v db="shopgraph_${name}" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
UNION ALL
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'password')
  WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L', :'db', :'role', 'UTF8')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
-- Each role reaches only its own database: no subgraph reads another's tables.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db')
\gexec
SELECT format('GRANT ALL ON DATABASE %I TO %I', :'db', :'role')
\gexec
SQL
done
