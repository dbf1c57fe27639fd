#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Make a Debian 12 machine the county's hub: Mosquitto (the county's broker configuration),
# `liandong-hub serve`, nginx in front of the console over HTTPS, and daily backups.
#
#   sudo hub-install/install.sh --pki /srv/liandong/pki --console-name console.county.gov.local
#
# The PKI folder is the one `liandong-provision init` made on this machine; it is used in
# place (the hub's database lives in PKI/hub). Safe to run again: it only changes what
# differs, and says so. Every option: hub-install/README.md; the whole deployment, in order:
# docs/deployment.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
PROG=${0##*/}

usage() {
	cat <<EOF
usage: $PROG --pki DIR --console-name NAME [options]

  --pki DIR             the county PKI folder on this machine (liandong-provision init)
  --console-name NAME   a name or IP address the centre's seats open the console by
                        (repeat); every one must be in the certificate
  --cert FILE --key FILE  the console's certificate (full chain) and key, when the county
                        supplies them (default: PKI/console/console.crt and console.key,
                        from liandong-provision console-cert)
  --http-port N         plain HTTP, which only redirects to HTTPS (default 80)
  --https-port N        the console over HTTPS (default 443)
  --ipv4-only           nginx listens on IPv4 only
  --backup-dir DIR      daily database backups (default /var/backups/liandong-hub)
  --keep-days N         days of daily backups kept (default 14)
  --backup-time HH:MM   when the daily backup runs, local time (default 03:15)
  --network-enroll      let the hub sign terminals' certificates (POST /api/v1/enroll with
                        a liandong-provision token): the hub's user may then use the CA key;
                        without it the CA key stays root's (docs/deployment.md)
  --keep-default-site   leave Debian's default nginx site enabled
  --root DIR            install into a mounted image or test folder instead of this system;
                        skips apt, pip, systemctl and nginx reload (nothing outside DIR changes)
  --wheel FILE          install this liandong wheel (default: this clone)
  --no-packages         do not run apt-get or pip
  -h, --help            this text
EOF
}

die() {
	echo "$PROG: error: $*" >&2
	exit 2
}

# ---------------------------------------------------------------- arguments
PKI="" NAMES=() CERT="" KEY="" HTTP_PORT=80 HTTPS_PORT=443 V6=1 BACKUP_DIR=/var/backups/liandong-hub
KEEP=14 BACKUP_TIME=03:15 ENROLL=0 KEEP_DEFAULT=0 ROOT=/ WHEEL="" PACKAGES=1
need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--pki) need_arg "$@"; PKI=$2; shift 2 ;;
	--console-name) need_arg "$@"; NAMES+=("$2"); shift 2 ;;
	--cert) need_arg "$@"; CERT=$2; shift 2 ;;
	--key) need_arg "$@"; KEY=$2; shift 2 ;;
	--http-port) need_arg "$@"; HTTP_PORT=$2; shift 2 ;;
	--https-port) need_arg "$@"; HTTPS_PORT=$2; shift 2 ;;
	--ipv4-only) V6=0; shift ;;
	--backup-dir) need_arg "$@"; BACKUP_DIR=$2; shift 2 ;;
	--keep-days) need_arg "$@"; KEEP=$2; shift 2 ;;
	--backup-time) need_arg "$@"; BACKUP_TIME=$2; shift 2 ;;
	--network-enroll) ENROLL=1; shift ;;
	--keep-default-site) KEEP_DEFAULT=1; shift ;;
	--root) need_arg "$@"; ROOT=$2; shift 2 ;;
	--wheel) need_arg "$@"; WHEEL=$2; shift 2 ;;
	--no-packages) PACKAGES=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument $1" ;;
	esac
done
[[ -d $ROOT ]] || die "--root $ROOT is not a folder"
ROOT=$(cd "$ROOT" && pwd)
R=${ROOT%/} # prefix for every path: "" on a live system
LIVE=0
[[ -z $R ]] && LIVE=1
if ((LIVE)) && [[ $(id -u) != 0 ]]; then die "run as root (sudo), or use --root DIR"; fi

# Paths go into unit files and nginx's configuration as they are: absolute, no spaces.
path_re='^/[A-Za-z0-9/._+-]*$'
[[ -n $PKI ]] || { usage >&2; die "--pki DIR is required (the folder liandong-provision init made)"; }
PKI=${PKI%/}
[[ $PKI =~ $path_re ]] || die "--pki $PKI: give an absolute path of letters, digits and ./_+-"
[[ -d $R$PKI ]] || die "--pki $PKI is not a folder${R:+ under $ROOT}"
[[ -f $R$PKI/county.toml ]] || die "$PKI is not a county PKI folder: run liandong-provision init --dir $PKI first"
for f in ca/ca.crt ca/crl.pem hub/hub.toml hub/hub.crt hub/hub.key hub/dispatch.key broker/broker.crt broker/broker.key; do
	[[ -f $R$PKI/$f ]] || die "$PKI/$f is missing (made by liandong-provision init)"
done
[[ $BACKUP_DIR =~ $path_re && $BACKUP_DIR != / ]] || die "--backup-dir $BACKUP_DIR: give an absolute path"
BACKUP_DIR=${BACKUP_DIR%/}
port_ok() { [[ $1 =~ ^[0-9]{1,5}$ ]] && (($1 >= 1 && $1 <= 65535)); }
port_ok "$HTTP_PORT" || die "--http-port $HTTP_PORT: expected 1-65535"
port_ok "$HTTPS_PORT" || die "--https-port $HTTPS_PORT: expected 1-65535"
((HTTP_PORT != HTTPS_PORT)) || die "--http-port and --https-port must differ"
if ! [[ $KEEP =~ ^[0-9]+$ ]] || ((KEEP < 1 || KEEP > 3650)); then die "--keep-days $KEEP: expected 1-3650"; fi
[[ $BACKUP_TIME =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || die "--backup-time $BACKUP_TIME: expected HH:MM"
((${#NAMES[@]})) || die "--console-name NAME is required: the name (or IP) the seats open the console by"
name_re='^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$'
ip4_re='^([0-9]{1,3}\.){3}[0-9]{1,3}$'
ip6_re='^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$'
for n in "${NAMES[@]}"; do
	[[ $n =~ $name_re || $n =~ $ip4_re || $n =~ $ip6_re ]] || die "--console-name $n: not a host name or IP address"
done
if [[ -n $CERT || -n $KEY ]]; then
	[[ -n $CERT && -n $KEY ]] || die "--cert and --key go together"
	[[ -f $CERT ]] || die "--cert $CERT: no such file"
	[[ -f $KEY ]] || die "--key $KEY: no such file"
	COUNTY_CERT=0
else
	CERT=$R$PKI/console/console.crt KEY=$R$PKI/console/console.key COUNTY_CERT=1
	[[ -f $CERT && -f $KEY ]] ||
		die "no console certificate: run liandong-provision console-cert --dir $PKI $(printf -- '--name %s ' "${NAMES[@]}")(or give --cert and --key)"
fi
[[ -z $WHEEL || -f $WHEEL ]] || die "--wheel $WHEEL: no such file"
command -v python3 >/dev/null || die "python3 is missing"
python3 -c 'import tomllib' 2>/dev/null || die "python3 3.11+ needed (Debian 12)"
command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"

# shellcheck source=lib/files.sh
. "$HERE/lib/files.sh" # (functions only; R is set)
if [[ -f $R/etc/passwd && -z $(uid_of mosquitto) ]]; then
	die "no user mosquitto${R:+ in $ROOT/etc/passwd}: install Debian's mosquitto package first (apt-get install mosquitto)"
fi

# hub.toml and mosquitto.conf, read the way the hub and the broker read them.
facts=$(python3 "$HERE/lib/hub_facts.py" "$R" "$PKI") || die "the PKI folder cannot be installed (see above)"
fact() { sed -n "s/^$1=//p" <<<"$facts"; }
HUB_TOML=$(fact hub_toml) LISTEN_HOST=$(fact listen_host) LISTEN_PORT=$(fact listen_port)
DB=$(fact db) DB_DIR=$(fact db_dir) HUB_DIR=$(fact hub_dir) GATE=$(fact gate) COUNTY=$(fact county)
BROKER_CONF=$(fact broker_conf) BROKER_USER=$(fact broker_user) BROKER_DATA=$(fact broker_data)
BROKER_PORTS=$(fact broker_ports)
for p in "$DB_DIR" "$BROKER_DATA" $GATE; do
	[[ -z $p || $p =~ $path_re ]] || die "$p (from hub.toml or mosquitto.conf): unexpected characters"
done
[[ $BROKER_USER == mosquitto ]] ||
	die "$BROKER_CONF drops to user '$BROKER_USER'; Debian's broker runs as mosquitto: regenerate it with liandong-provision broker-config --run-as mosquitto"
for p in $BROKER_PORTS; do
	[[ $p != "$HTTP_PORT" && $p != "$HTTPS_PORT" ]] || die "port $p is the broker's (mosquitto.conf)"
done
[[ $LISTEN_PORT != "$HTTP_PORT" && $LISTEN_PORT != "$HTTPS_PORT" ]] ||
	die "port $LISTEN_PORT is the hub's own ([http] listen in hub.toml)"

# The certificate: its key, its dates, every console name, and (when it is the county's) its CA.
[[ $(openssl x509 -noout -pubkey -in "$CERT" 2>/dev/null) == "$(openssl pkey -pubout -in "$KEY" 2>/dev/null)" &&
	-n $(openssl pkey -pubout -in "$KEY" 2>/dev/null) ]] || die "$KEY is not the key of $CERT"
openssl x509 -noout -checkend 0 -in "$CERT" >/dev/null || die "$CERT has expired"
for n in "${NAMES[@]}"; do
	if [[ $n =~ $ip4_re || $n =~ $ip6_re ]]; then check=(-checkip "$n"); else check=(-checkhost "$n"); fi
	openssl x509 -noout "${check[@]}" -in "$CERT" | grep -q 'does match' ||
		die "$CERT is not for $n: browsers would refuse it (liandong-provision console-cert --force --name ... for every name)"
done
if ((COUNTY_CERT)); then
	openssl verify -CAfile "$R$PKI/ca/ca.crt" "$CERT" >/dev/null 2>&1 || die "$CERT is not signed by $PKI/ca/ca.crt"
fi
SOON=""
openssl x509 -noout -checkend $((30 * 86400)) -in "$CERT" >/dev/null || SOON=1

# ---------------------------------------------------------------- reporting and files
CHANGED=0 RECORD=""
say() { printf '  %-9s %s\n' "$1" "$2"; }
changed() {
	CHANGED=$((CHANGED + 1))
	say changed "$1"
}
record() { RECORD+="$1"$'\n'; }

render() { # render TEMPLATE: the template with this machine's values; none may be left out
	local out
	out=$(sed -e "s|@PKI@|$PKI|g" -e "s|@HUB_TOML@|$HUB_TOML|g" -e "s|@DB_DIR@|$DB_DIR|g" \
		-e "s|@RW_PATHS@|$RW_PATHS|g" -e "s|@BACKUP_DIR@|$BACKUP_DIR|g" -e "s|@KEEP@|$KEEP|g" \
		-e "s|@BACKUP_TIME@|$BACKUP_TIME|g" -e "s|@BROKER_CONF@|$BROKER_CONF|g" \
		-e "s|@UPSTREAM@|$UPSTREAM|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" \
		-e "s|@HTTPS_PORT@|$HTTPS_PORT|g" -e "s|@REDIRECT_PORT@|$REDIRECT_PORT|g" \
		-e "s|@SERVER_NAMES@|${NAMES[*]}|g" -e "s|@CERT@|$TLS_DIR/console.crt|g" \
		-e "s|@KEY@|$TLS_DIR/console.key|g" -e "s|^@V6@|$V6_PREFIX|" "$1")
	if grep -q '@[A-Z0-9_]*@' <<<"$out"; then die "internal: $1 has a value left unfilled"; fi
	printf '%s\n' "$out"
}

TLS_DIR=/etc/liandong-hub/tls
UPSTREAM=$LISTEN_HOST:$LISTEN_PORT
[[ $LISTEN_HOST == *:* ]] && UPSTREAM="[$LISTEN_HOST]:$LISTEN_PORT"
REDIRECT_PORT=""
((HTTPS_PORT == 443)) || REDIRECT_PORT=":$HTTPS_PORT"
V6_PREFIX=""
((V6)) || V6_PREFIX="#"
RW_PATHS=$HUB_DIR
[[ $DB_DIR == "$HUB_DIR" ]] || RW_PATHS+=" $DB_DIR"
[[ -z $GATE ]] || RW_PATHS+=" $GATE"
((ENROLL)) && RW_PATHS+=" $PKI/ca $PKI/units"
# Rendered now, so that a template fault stops the run before anything is written.
SITE=$(render "$HERE/nginx/liandong-console.conf.in") || exit 2
HUB_UNIT=$(render "$HERE/systemd/liandong-hub.service.in") || exit 2
BACKUP_UNIT=$(render "$HERE/systemd/liandong-hub-backup.service.in") || exit 2
BACKUP_TIMER=$(render "$HERE/systemd/liandong-hub-backup.timer.in") || exit 2
BROKER_DROPIN=$(render "$HERE/systemd/mosquitto-liandong.conf.in") || exit 2

# ---------------------------------------------------------------- 1. packages and program
echo "Liandong hub install: county $COUNTY, PKI $PKI, console https://${NAMES[0]}${REDIRECT_PORT}/, root $ROOT"
if ((PACKAGES && LIVE)); then
	echo "packages:"
	pkgs=(mosquitto nginx python3-venv openssl sqlite3)
	missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ((${#missing[@]})); then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		changed "apt: ${missing[*]}"
	else
		say same "apt: ${pkgs[*]}"
	fi
	if [[ ! -x /opt/liandong/bin/python ]]; then
		python3 -m venv /opt/liandong
		changed /opt/liandong
	fi
	# What is installed is known by its source: the wheel's digest, or the clone's commit
	# and any local change; the same version number says nothing about a newer clone.
	if [[ -n $WHEEL ]]; then
		spec="$(cd "$(dirname "$WHEEL")" && pwd)/$(basename "$WHEEL")[hub]"
		source_id="wheel $(sha256sum "$WHEEL" | cut -d' ' -f1)"
	else
		spec="${REPO}[hub]"
		# safe.directory: root reading an administrator's clone (git refuses it otherwise).
		git_=(git -c "safe.directory=$REPO" -C "$REPO")
		commit=$("${git_[@]}" rev-parse HEAD 2>/dev/null) || commit="unknown-$(date +%s)" # then always reinstall
		source_id="clone $commit $("${git_[@]}" diff HEAD 2>/dev/null | sha256sum | cut -c1-16)"
	fi
	if [[ -x /opt/liandong/bin/liandong-hub && $(cat /opt/liandong/.liandong-source 2>/dev/null) == "$source_id" ]]; then
		say same "pip: liandong[hub] in /opt/liandong ($source_id)"
	else
		/opt/liandong/bin/pip install --quiet --disable-pip-version-check "$spec"
		/opt/liandong/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$spec"
		echo "$source_id" >/opt/liandong/.liandong-source
		changed "pip: $spec -> /opt/liandong ($source_id)"
	fi
else
	say skipped "apt-get and pip ($( ((LIVE)) && echo "--no-packages" || echo "--root"))"
fi

# ---------------------------------------------------------------- 2. users
echo "users:"
if ((!CAN_CHOWN)); then
	say skipped "user liandong-hub and file owners: not running as root (modes are still set)"
elif [[ -f $R/etc/passwd && -f $R/etc/group ]]; then
	prefix=()
	((LIVE)) || prefix=(--prefix "$ROOT")
	if [[ -z $(gid_of liandong-hub) ]]; then
		groupadd "${prefix[@]}" --system liandong-hub
		changed "group liandong-hub"
	fi
	if [[ -z $(uid_of liandong-hub) ]]; then
		useradd "${prefix[@]}" --system --gid liandong-hub --home-dir /var/lib/liandong-hub \
			--no-create-home --shell /usr/sbin/nologin --comment "Liandong hub" liandong-hub
		changed "user liandong-hub"
	fi
	say user "liandong-hub uid $(uid_of liandong-hub) gid $(gid_of liandong-hub)"
else
	say skipped "no $R/etc/passwd: files keep the installing user's ownership"
fi

# ---------------------------------------------------------------- 3. the PKI folder
echo "PKI folder (who may read what):"
# Folders the broker and the hub pass through hold only public files or files with their own
# modes; each key is readable by exactly the service that uses it.
ensure_dir "$R$PKI" 0755 root root
for f in ca/ca.crt ca/crl.pem; do fix_file "$R$PKI/$f" 0644 root root; done
if ((ENROLL)); then
	# The hub signs and revokes: it writes units/UNIT/ and the CRL, and reads the CA key.
	ensure_dir "$R$PKI/ca" 2775 root liandong-hub
	fix_file "$R$PKI/ca/ca.key" 0640 root liandong-hub
	fix_file "$R$PKI/ca/revoked.json" 0664 root liandong-hub
	ensure_dir "$R$PKI/units" 2775 root liandong-hub
	for d in "$R$PKI"/units/*/; do [[ -d $d ]] && ensure_dir "${d%/}" 2775 root liandong-hub; done
else
	ensure_dir "$R$PKI/ca" 0755 root root
	fix_file "$R$PKI/ca/ca.key" 0600 root root
	ensure_dir "$R$PKI/units" 0755 root root
fi
[[ ! -f $R$PKI/ca/ca.key ]] || ((ENROLL)) ||
	say note "the CA key is on this machine: move it offline once enrolment is done (docs/deployment.md)"
# The broker: its folder open to mosquitto only, its key and persistence mosquitto's own
# (as `liandong-provision broker-config` run as root leaves them; public files as written).
ensure_dir "$R$PKI/broker" 0750 root mosquitto
for f in ca.crt broker.crt acl mosquitto.conf acl-monitor; do
	[[ -f $R$PKI/broker/$f ]] && fix_file "$R$PKI/broker/$f" 0644 root root
done
fix_file "$R$PKI/broker/broker.key" 0600 mosquitto mosquitto
[[ -z $BROKER_DATA ]] || ensure_dir "$R$BROKER_DATA" 0700 mosquitto mosquitto
# The hub: its folder, keys, database and the files it makes beside it.
ensure_dir "$R$HUB_DIR" 0750 liandong-hub liandong-hub
while IFS= read -r -d '' f; do
	case ${f##*/} in
	*.key | *.key.*.old | intake-keys.toml | enroll-tokens.json | secret_key | *.sqlite3* | *.lock) mode=0600 ;;
	*) mode=0644 ;; # certificates, public keys, hub.toml: as provisioning writes them
	esac
	fix_file "$f" "$mode" liandong-hub liandong-hub
done < <(find "$R$HUB_DIR" -maxdepth 1 -type f -print0 | sort -z)
[[ $DB_DIR == "$HUB_DIR" ]] || ensure_dir "$R$DB_DIR" 0750 liandong-hub liandong-hub
for f in "$R$DB" "$R$DB-wal" "$R$DB-shm"; do [[ -f $f ]] && fix_file "$f" 0600 liandong-hub liandong-hub; done
for d in $GATE; do # made here so the service may write them (ProtectSystem=strict)
	if [[ ! -d $R$d ]]; then ensure_dir "$R$d" 0750 liandong-hub liandong-hub; else say same "$d/ (the gate's)"; fi
done

# ---------------------------------------------------------------- 4. the console's certificate
echo "console certificate:"
ensure_dir "$R/etc/liandong-hub" 0755 root root
ensure_dir "$R$TLS_DIR" 0755 root root
put 0644 root root "$R$TLS_DIR/console.crt" <"$CERT"
put 0600 root root "$R$TLS_DIR/console.key" <"$KEY" # nginx reads it as root, before it drops
[[ -z $SOON ]] || say WARNING "$CERT expires within 30 days: renew it and run this again"

# ---------------------------------------------------------------- 5. nginx
echo "nginx:"
mkdir -p "$R/etc/nginx/sites-available" "$R/etc/nginx/sites-enabled"
put 0644 root root "$R/etc/nginx/sites-available/liandong-console" <<<"$SITE"
ensure_link /etc/nginx/sites-available/liandong-console "$R/etc/nginx/sites-enabled/liandong-console"
if ((!KEEP_DEFAULT)) && [[ -L $R/etc/nginx/sites-enabled/default || -f $R/etc/nginx/sites-enabled/default ]]; then
	rm -f "$R/etc/nginx/sites-enabled/default" # only the link: sites-available/default stays
	changed "/etc/nginx/sites-enabled/default removed (Debian's welcome page; --keep-default-site keeps it)"
fi

# ---------------------------------------------------------------- 6. systemd and backups
echo "systemd:"
for d in system system/mosquitto.service.d system/multi-user.target.wants system/timers.target.wants; do
	mkdir -p "$R/etc/systemd/$d"
done
put 0644 root root "$R/etc/systemd/system/liandong-hub.service" <<<"$HUB_UNIT"
put 0644 root root "$R/etc/systemd/system/liandong-hub-backup.service" <<<"$BACKUP_UNIT"
put 0644 root root "$R/etc/systemd/system/liandong-hub-backup.timer" <<<"$BACKUP_TIMER"
put 0644 root root "$R/etc/systemd/system/mosquitto.service.d/liandong.conf" <<<"$BROKER_DROPIN"
ensure_link /etc/systemd/system/liandong-hub.service "$R/etc/systemd/system/multi-user.target.wants/liandong-hub.service"
ensure_link /etc/systemd/system/liandong-hub-backup.timer "$R/etc/systemd/system/timers.target.wants/liandong-hub-backup.timer"
ensure_dir "$R$BACKUP_DIR" 0700 liandong-hub liandong-hub
mkdir -p "$R/var/log/journal" # journald keeps the services' logs across reboots

# ---------------------------------------------------------------- 7. record and activate
put 0644 root root "$R/etc/liandong-hub/install-record.txt" < <(printf '%s' "# liandong hub-install record: what was installed, mode uid:gid path
county=$COUNTY pki=$PKI console=${NAMES[*]} https=$HTTPS_PORT http=$HTTP_PORT network_enroll=$ENROLL backups=$BACKUP_DIR keep=$KEEP
$(printf '%s' "$RECORD" | grep -v '/etc/liandong-hub/install-record.txt' | sort -k3)
")

if ((LIVE)); then
	systemctl daemon-reload
	systemctl enable --quiet mosquitto.service liandong-hub.service liandong-hub-backup.timer nginx.service
	nginx -t -q || die "nginx refuses the configuration (nginx -t above); nothing was reloaded"
	if ((CHANGED)); then
		systemctl restart mosquitto.service
		systemctl restart liandong-hub.service
		systemctl reload-or-restart nginx.service
		systemctl restart liandong-hub-backup.timer
	else
		systemctl start mosquitto.service liandong-hub.service nginx.service liandong-hub-backup.timer
	fi
	# The console as a seat sees it, through nginx, trusting only the county CA (or the system's).
	ca_args=("$PKI/ca/ca.crt")
	((COUNTY_CERT)) || ca_args=("")
	if python3 "$HERE/lib/probe.py" "${NAMES[0]}" "$HTTPS_PORT" "${ca_args[@]}"; then
		:
	else
		echo "WARNING: the console did not answer over HTTPS yet: journalctl -u liandong-hub -u nginx"
	fi
fi

echo
echo "hub for $COUNTY: $CHANGED change(s)."
if ((LIVE)); then
	echo "Console: https://${NAMES[0]}${REDIRECT_PORT}/  Status: systemctl status liandong-hub mosquitto nginx"
	echo "First admin: sudo -u liandong-hub /opt/liandong/bin/liandong-hub create-admin --config $HUB_TOML NAME"
fi
