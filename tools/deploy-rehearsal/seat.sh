#!/bin/bash
# A seat in the centre, on the host: curl through the hub VM's forwarded HTTPS port, trusting
# only the county CA, logs in with the one-time password and sets a new one.
#
#   seat.sh CA_FILE USER ONE_TIME_PASSWORD NEW_PASSWORD    (prints each response's status)
set -euo pipefail
CA=$1 USER_=$2 OTP=$3 NEW=$4
PORT=${HTTPS_FWD:-8443}
BASE=https://console.shuangbai.gov.local:$PORT
JAR=$(mktemp)
trap 'rm -f "$JAR"' EXIT
c() { curl -sS --cacert "$CA" --resolve "console.shuangbai.gov.local:$PORT:127.0.0.1" -b "$JAR" -c "$JAR" "$@"; }
token() { sed -n 's/.*name="csrf_token" type="hidden" value="\([^"]*\)".*/\1/p' | head -1; }
echo "GET $BASE/healthz: $(c "$BASE/healthz")"
page=$(c "$BASE/login")
tok=$(token <<<"$page")
[[ -n $tok ]] || { echo "seat.sh: no csrf_token on /login" >&2; exit 1; }
echo "POST /login as $USER_: $(c -o /dev/null -w '%{http_code} -> %{redirect_url}' -e "$BASE/login" \
	--data-urlencode "csrf_token=$tok" --data-urlencode "username=$USER_" --data-urlencode "password=$OTP" "$BASE/login")"
grep -i "set-cookie\|secure" <(c -sI "$BASE/login") | sed 's/=[^;]*;/=...;/' | head -2 || true
page=$(c "$BASE/password")
tok=$(token <<<"$page")
echo "POST /password: $(c -o /dev/null -w '%{http_code} -> %{redirect_url}' -e "$BASE/password" \
	--data-urlencode "csrf_token=$tok" --data-urlencode "old=$OTP" --data-urlencode "new=$NEW" \
	--data-urlencode "repeat=$NEW" "$BASE/password")"
echo "GET /: $(c -o /dev/null -w '%{http_code}' "$BASE/")"
c "$BASE/" | grep -o '<title>[^<]*</title>' | head -1
