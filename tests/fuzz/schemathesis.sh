#!/usr/bin/env bash
# Property-based fuzzing of the JSON API with schemathesis, against the OpenAPI schema the
# server itself serves, on loopback only: a throwaway database, gunicorn on 127.0.0.1, a
# student and an instructor token. Fails on any 5xx, on a response that does not match the
# schema, and on any operation that answers without authentication (ignored_auth). Logout
# is left out: it would revoke the token the rest of the run uses (the suite tests it).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}  # another checkout's venv, e.g. VENV=/work/main/.venv from a worktree
PY=$VENV/bin/python
work=$(mktemp -d)
port=${FUZZ_PORT:-8765}
examples=${FUZZ_EXAMPLES:-20}
export DATABASE_URL="sqlite:///$work/db.sqlite3" DEBUG=1 MEDIA_ROOT="$work/media"
# Throttles and the lockout would answer 429 to a fuzzer; they are tested in the suite.
export THROTTLE_ANSWER=1000000/min THROTTLE_LOGIN=1000000/min THROTTLE_IMPORT=1000000/min THROTTLE_UPLOAD=1000000/min AXES_FAILURE_LIMIT=1000000

$PY manage.py migrate -v0
$PY manage.py setup_roles >/dev/null
$PY manage.py load_bank fixtures/baclofen/bank.json >/dev/null
$PY manage.py seed_demo >/dev/null
token() {
  $PY manage.py shell -c "from rest_framework.authtoken.models import Token
from django.contrib.auth import get_user_model
print(Token.objects.get_or_create(user=get_user_model().objects.get(username='$1'))[0].key)" 2>/dev/null | tail -n 1
}
student=$(token student1)
teacher=$(token instructor)

"$VENV/bin/gunicorn" quizapp.wsgi --bind "127.0.0.1:$port" --workers 2 --pid "$work/gunicorn.pid" \
  --access-logfile /dev/null --error-logfile "$work/gunicorn.log" --daemon
cleanup() { [ -f "$work/gunicorn.pid" ] && kill "$(cat "$work/gunicorn.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 50); do
  if $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz/')" 2>/dev/null; then break; fi
  sleep 0.2
done

status=0
for who in student teacher; do
  key=${!who}
  echo "== schemathesis as the demo $who ($examples examples per operation)"
  "$VENV/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/schema/" \
    --header "Authorization: Token $key" --max-examples "$examples" --generation-deterministic \
    --exclude-path /api/v1/auth/logout/ \
    --checks not_a_server_error,response_schema_conformance,ignored_auth || status=1
done
if grep -q "Traceback" "$work/gunicorn.log"; then
  echo "server tracebacks during the fuzz run:" >&2
  grep -A3 "Traceback" "$work/gunicorn.log" | head -40 >&2
  status=1
fi
exit $status
