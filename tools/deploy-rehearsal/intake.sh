#!/bin/bash
# The 110 CAD posting an incident to the hub's API as docs/hub.md says: the body signed
# with HMAC-SHA256 under the source's intake key, through the console's HTTPS door (nginx)
# of the hub VM, forwarded to the host, trusting only the county CA.
#
#   intake.sh CA_FILE KEY_HEX SOURCE_ID
set -euo pipefail
CA=$1 KEY=$2 ID=$3
PORT=${HTTPS_FWD:-8443}
now=$(TZ=Asia/Shanghai date +%Y-%m-%dT%H:%M:%S+08:00)
body=$(printf '{"source_id": "%s", "category": "power-cut", "township": "tuodian", "address": "妥甸镇 东街 12 号", "caller_phone": "13812345678", "summary": "整条街停电，有老人使用制氧机。", "reported_at": "%s"}' "$ID" "$now")
sig=$(printf '%s' "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" | sed 's/.*= //')
curl -sS --cacert "$CA" --resolve "console.shuangbai.gov.local:$PORT:127.0.0.1" \
	-H 'Content-Type: application/json' -H 'X-Liandong-Source: cad-110' \
	-H "X-Liandong-Signature: sha256=$sig" --data-binary "$body" -w '\nHTTP %{http_code}\n' \
	"https://console.shuangbai.gov.local:$PORT/api/v1/incidents"
