#!/bin/bash
# Turn a Raspberry Pi running Raspberry Pi OS Lite (bookworm) into a Liandong unit terminal.
#
#   sudo firmware-config/install.sh BUNDLE [options]
#   sudo firmware-config/install.sh --enroll-on-boot [options]   (a card that enrolls itself)
#
# BUNDLE is the unit's provisioning folder (PKI/units/UNIT from `liandong-provision enroll`):
# ca.crt, unit.crt, unit.key (absent when the key was made on the terminal), hub-dispatch.pub
# and gateway.toml. Safe to run again: it only changes what differs, and says so. See
# firmware-config/README.md for every option and docs/field-checklist.md for the field steps.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=${0##*/}

usage() {
	cat <<EOF
usage: $PROG BUNDLE [options]
       $PROG --enroll-on-boot [options]

  --board NAME          pi3bplus | pi4 | pi5 | zero2w (default: read from the device tree)
  --root DIR            install into a mounted image or test folder instead of this system;
                        skips apt, pip and systemctl (nothing outside DIR is touched)
  --ntp HOST[,HOST]     county NTP server(s) (default: ntp.gov.local)
  --gps MODE            keep | usb | uart | none (default: keep what the bundle says)
  --gps-usb V:P[:SER]   the GPS's USB vendor:product[:serial], when the chip is ambiguous
  --printer-usb V:P[:SER]  the printer's USB vendor:product[:serial]
  --printer-url URL     printer port other than /dev/ld-printer (e.g. socket://10.1.2.3:9100)
  --speech DEVICE       say orders aloud on this ALSA device (default: the Pi 4 jack,
                        plughw:1,0: a USB speaker; list them with aplay -L), or none;
                        without it the bundle's [speech] (if any) is kept
  --pps-pin N           GPS PPS wired to BCM pin N (pps-gpio overlay, chrony PPS source)
  --gps-time            gpsd owns the GPS: chrony takes time from it (SHM refclock) and
                        the gateway positions from it ([gps] source = "gpsd")
  --pins FILE           a [pins] table for non-standard wiring (default: pins/BOARD.toml)
  --state-device DEV    separate partition for /var/lib/liandong (e.g. UUID=..., /dev/sda1)
  --overlay-root        read-only root with a RAM overlay (needs --state-device)
  --wheel FILE          install this liandong wheel instead of the one from the index
  --slots               A/B slots for software updates from the hub (docs/updates.md):
                        the release goes to /opt/liandong/slots/a, run through slots/current
  --no-packages         do not run apt-get or pip
  --enroll-on-boot      no BUNDLE: the card enrolls itself at first boot with the token file
                        liandong-token.json on its boot partition (README, "First boot")
  -h, --help            this text
EOF
}

die() {
	echo "$PROG: error: $*" >&2
	exit 2
}

# ---------------------------------------------------------------- arguments
BUNDLE="" BOARD="" ROOT="/" NTP="ntp.gov.local" GPS="keep" GPS_USB="" PRINTER_USB=""
PRINTER_URL="/dev/ld-printer" PPS_PIN="" GPS_TIME=0 PINS="" STATE_DEV="" OVERLAY=0 WHEEL=""
SPEECH=""
PACKAGES=1 ENROLL=0 SAVED=() ORIG=("$@")
SLOTS=0
need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--board) need_arg "$@"; BOARD=$2; shift 2 ;;
	--root) need_arg "$@"; ROOT=$2; shift 2 ;;
	--ntp) need_arg "$@"; NTP=$2; shift 2 ;;
	--gps) need_arg "$@"; GPS=$2; shift 2 ;;
	--gps-usb) need_arg "$@"; GPS_USB=$2; shift 2 ;;
	--printer-usb) need_arg "$@"; PRINTER_USB=$2; shift 2 ;;
	--printer-url) need_arg "$@"; PRINTER_URL=$2; shift 2 ;;
	--speech) need_arg "$@"; SPEECH=$2; shift 2 ;;
	--pps-pin) need_arg "$@"; PPS_PIN=$2; shift 2 ;;
	--gps-time) GPS_TIME=1; shift ;;
	--pins) need_arg "$@"; PINS=$2; shift 2 ;;
	--state-device) need_arg "$@"; STATE_DEV=$2; shift 2 ;;
	--overlay-root) OVERLAY=1; shift ;;
	--wheel) need_arg "$@"; WHEEL=$2; shift 2 ;;
	--no-packages) PACKAGES=0; shift ;;
	--slots) SLOTS=1; shift ;;
	--enroll-on-boot) ENROLL=1; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option $1" ;;
	*) [[ -z $BUNDLE ]] || die "one BUNDLE only (got $BUNDLE and $1)"; BUNDLE=$1; shift ;;
	esac
done
if ((ENROLL)); then
	[[ -z $BUNDLE ]] || die "--enroll-on-boot takes no BUNDLE: the card gets its own at first boot"
	# The options the first boot gives this script again, with the bundle it enrolled for
	# (firstboot/liandong-firstboot); a --pins file is kept on the card for it.
	i=0
	while ((i < ${#ORIG[@]})); do
		case ${ORIG[i]} in
		--root | --wheel | --pins) i=$((i + 2)) ;;
		--enroll-on-boot | --no-packages) i=$((i + 1)) ;;
		*) SAVED+=("${ORIG[i]}") && i=$((i + 1)) ;;
		esac
	done
	[[ -z $PINS ]] || SAVED+=(--pins /etc/liandong/pins.toml)
else
	[[ -n $BUNDLE ]] || { usage >&2; die "BUNDLE is required"; }
	[[ -d $BUNDLE ]] || die "bundle $BUNDLE is not a folder"
	BUNDLE=$(cd "$BUNDLE" && pwd)
fi
[[ -d $ROOT ]] || die "--root $ROOT is not a folder"
ROOT=$(cd "$ROOT" && pwd)
R=${ROOT%/}            # prefix for every path: "" on a live system
LIVE=0
[[ -z $R ]] && LIVE=1
if ((LIVE)) && [[ $(id -u) != 0 ]]; then die "run as root (sudo), or use --root DIR"; fi

hostlist_re='^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(,[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)*$'
[[ $NTP =~ $hostlist_re ]] || die "--ntp $NTP: expected HOST[,HOST...]"
case $GPS in keep | usb | uart | none) ;; *) die "--gps $GPS: expected keep, usb, uart or none" ;; esac
usb_re='^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}(:[A-Za-z0-9._-]+)?$'
[[ -z $GPS_USB || $GPS_USB =~ $usb_re ]] || die "--gps-usb $GPS_USB: expected VID:PID[:SERIAL]"
[[ -z $PRINTER_USB || $PRINTER_USB =~ $usb_re ]] || die "--printer-usb: expected VID:PID[:SERIAL]"
if [[ -n $GPS_USB ]]; then
	[[ $GPS == keep || $GPS == usb ]] || die "--gps-usb contradicts --gps $GPS"
	GPS=usb
fi
[[ $PRINTER_URL =~ ^[A-Za-z0-9:/._@-]+$ ]] || die "--printer-url $PRINTER_URL: unexpected characters"
[[ -z $SPEECH || $SPEECH =~ ^[A-Za-z0-9][A-Za-z0-9:,._=-]*$ ]] ||
	die "--speech $SPEECH: expected an ALSA device name (default, plughw:1,0) or none"
if [[ -n $PPS_PIN ]]; then
	if ! [[ $PPS_PIN =~ ^[0-9]+$ ]] || ((PPS_PIN < 2 || PPS_PIN > 27)); then
		die "--pps-pin $PPS_PIN: expected a BCM GPIO number 2-27"
	fi
	((PPS_PIN != 14 && PPS_PIN != 15)) || die "--pps-pin $PPS_PIN is a UART pin"
fi
[[ -z $STATE_DEV || $STATE_DEV =~ ^(/dev/[A-Za-z0-9/_-]+|(UUID|PARTUUID|LABEL)=[A-Za-z0-9_-]+)$ ]] ||
	die "--state-device $STATE_DEV: expected /dev/..., UUID=..., PARTUUID=... or LABEL=..."
if ((OVERLAY)) && [[ -z $STATE_DEV ]]; then
	die "--overlay-root keeps every write in RAM: give --state-device so the orders survive"
fi
[[ -z $WHEEL || -f $WHEEL ]] || die "--wheel $WHEEL: no such file"
command -v python3 >/dev/null || die "python3 is missing (Raspberry Pi OS Lite has it)"
python3 -c 'import tomllib' 2>/dev/null || die "python3 3.11+ needed (Raspberry Pi OS bookworm)"

# ---------------------------------------------------------------- board
if [[ -z $BOARD ]]; then
	model=""
	[[ -r $R/proc/device-tree/model ]] && model=$(tr -d '\0' <"$R/proc/device-tree/model")
	case $model in
	"Raspberry Pi 3 Model B Plus"*) BOARD=pi3bplus ;;
	"Raspberry Pi 4"*) BOARD=pi4 ;; # also the Pi 400
	"Raspberry Pi 5"*) BOARD=pi5 ;;
	"Raspberry Pi Zero 2 W"*) BOARD=zero2w ;;
	*) die "cannot tell the board (model: '${model:-unknown}'); give --board" ;;
	esac
fi
[[ -d $HERE/boards/$BOARD && -f $HERE/pins/$BOARD.toml ]] ||
	die "--board $BOARD: expected pi3bplus, pi4, pi5 or zero2w"
PINS_GIVEN=$PINS
[[ -n $PINS ]] || PINS=$HERE/pins/$BOARD.toml
[[ -f $PINS ]] || die "--pins $PINS: no such file"
BOOT=$R/boot/firmware
[[ -d $BOOT || ! -f $R/boot/config.txt ]] || BOOT=$R/boot # before bookworm
[[ -d $BOOT ]] || die "no $R/boot/firmware: is this a Raspberry Pi OS root?"
BOOT_NAME=${BOOT#"$R"}

# ---------------------------------------------------------------- bundle
if ((ENROLL)); then # no bundle yet: the first boot brings one and runs this script again
	UNIT="(enrolls at first boot)" HAS_GPS=no rendered=""
	[[ $GPS != keep ]] || GPS=none
else # (the bundle's checks, not indented: one block as before --enroll-on-boot)
for f in ca.crt unit.crt hub-dispatch.pub gateway.toml; do
	[[ -f $BUNDLE/$f ]] || die "bundle $BUNDLE lacks $f (made by: liandong-provision enroll UNIT)"
done
if [[ ! -f $BUNDLE/unit.key && ! -f $R/etc/liandong/unit.key ]]; then
	die "bundle has no unit.key and none is installed: the certificate needs its private key"
fi
KEY_SRC=$BUNDLE/unit.key
[[ -f $KEY_SRC ]] || KEY_SRC=$R/etc/liandong/unit.key
if command -v openssl >/dev/null; then
	openssl verify -CAfile "$BUNDLE/ca.crt" "$BUNDLE/unit.crt" >/dev/null 2>&1 ||
		die "unit.crt is not signed by the bundle's ca.crt (or has expired)"
	[[ $(openssl x509 -noout -pubkey -in "$BUNDLE/unit.crt" 2>/dev/null) == \
		"$(openssl pkey -pubout -in "$KEY_SRC" 2>/dev/null)" ]] ||
		die "unit.crt does not belong to $KEY_SRC"
fi

# Check and adjust gateway.toml before anything is written: bad input changes nothing.
edits=(--pins "$PINS" --set 'unit.state_dir="/var/lib/liandong"' --set "printer.port=\"$PRINTER_URL\"")
if ((GPS_TIME)); then
	# gpsd then owns /dev/ld-gps (two readers of one serial port would each get part of the
	# bytes): chrony reads gpsd's shared memory, the gateway gpsd's JSON (README, "Time").
	[[ $GPS != none ]] || die "--gps-time needs a GPS: --gps usb|uart or --gps-usb"
	edits+=(--set 'gps.source="gpsd"' --unset gps.port --unset gps.baudrate)
else
	case $GPS in
	none) edits+=(--drop gps) ;;
	usb | uart) edits+=(--set 'gps.port="/dev/ld-gps"') ;;
	keep) if grep -q '^\[gps\]' "$BUNDLE/gateway.toml"; then edits+=(--set 'gps.port="/dev/ld-gps"'); fi ;;
	esac
fi
case $SPEECH in
"") ;;
none) edits+=(--drop speech) ;;
*) edits+=(--set "speech.device=\"$SPEECH\"") ;;
esac
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
summary=$(python3 "$HERE/lib/gateway_toml.py" "$BUNDLE/gateway.toml" "$rendered" "${edits[@]}") ||
	die "the bundle's gateway.toml cannot be installed (see above)"
UNIT=$(sed -n 's/^unit=//p' <<<"$summary")
HAS_GPS=$(sed -n 's/^gps=//p' <<<"$summary")
[[ $(sed -n 's/^key=//p' <<<"$summary") == unit.key ]] || die "gateway.toml [mqtt] key must be unit.key"
if command -v openssl >/dev/null; then
	cn=$(openssl x509 -noout -subject -nameopt multiline -in "$BUNDLE/unit.crt" |
		sed -n 's/^ *commonName *= *//p')
	[[ $cn == "$UNIT" ]] || die "unit.crt is for '$cn' but gateway.toml [unit] id is '$UNIT'"
fi
if [[ $GPS == keep ]]; then # --gps-time with keep: the bundle had a GPS, on USB by default
	if [[ $HAS_GPS == yes ]] || grep -q '^\[gps\]' "$BUNDLE/gateway.toml"; then GPS=usb; else GPS=none; fi
fi
fi # the bundle's checks

# ---------------------------------------------------------------- reporting
CHANGED=0 REBOOT="" RECORD=""
say() { printf '  %-9s %s\n' "$1" "$2"; }
changed() {
	CHANGED=$((CHANGED + 1))
	say changed "$1"
}
needs_reboot() { REBOOT="${REBOOT:+$REBOOT, }$1"; }
record() { RECORD+="$1"$'\n'; }

# ---------------------------------------------------------------- files
CAN_CHOWN=0
[[ $(id -u) == 0 ]] && CAN_CHOWN=1
uid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$R/etc/passwd" 2>/dev/null; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$R/etc/group" 2>/dev/null; }
# "uid:gid" for names looked up in the target's own passwd/group (root is always 0).
ids_of() {
	local u g
	if [[ $1 == root ]]; then u=0; else u=$(uid_of "$1"); fi
	if [[ $2 == root ]]; then g=0; else g=$(gid_of "$2"); fi
	[[ -n $u && -n $g ]] && echo "$u:$g"
}

# Bring PATH's mode and owner to MODE USER:GROUP (names from the target's passwd/group);
# sets FIXED=1 if that changed anything, and records the result under NAME (default PATH).
FIXED=0
set_attrs() {
	local path=$1 mode=$2 name=${5:-$1} ids
	FIXED=0
	if [[ $mode == keep ]]; then # the FAT boot partition has no modes or owners to set
		record "$(stat -c '%a %u:%g' "$path") ${name#"$R"} (FAT)"
		return 0
	fi
	ids=$(ids_of "$3" "$4") || ids=""
	if [[ $(stat -c '%a' "$path") != "${mode#0}" ]]; then
		chmod "$mode" "$path"
		FIXED=1
	fi
	if ((CAN_CHOWN)) && [[ -n $ids && $(stat -c '%u:%g' "$path") != "$ids" ]]; then
		chown "$ids" "$path"
		FIXED=1
	fi
	record "$(stat -c '%a %u:%g' "$path") ${name#"$R"} (wanted $mode $3:$4)"
}

# put MODE USER GROUP DEST < content: atomic replace, only when content or attributes differ.
put() {
	local mode=$1 user=$2 group=$3 dest=$4 tmp
	tmp=$(mktemp "$(dirname "$dest")/.ld-new.XXXXXX") # 0600 from the first byte
	cat >"$tmp"
	if [[ -f $dest ]] && cmp -s "$tmp" "$dest"; then
		rm -f "$tmp"
		set_attrs "$dest" "$mode" "$user" "$group"
		if ((FIXED)); then changed "${dest#"$R"} (owner/mode)"; else say same "${dest#"$R"}"; fi
	else
		if [[ $mode == keep ]]; then # as the file was (FAT ignores it, ext4 /boot does not)
			chmod --reference="$dest" "$tmp" 2>/dev/null || chmod 0644 "$tmp" 2>/dev/null || true
		fi
		set_attrs "$tmp" "$mode" "$user" "$group" "$dest"
		sync "$tmp" 2>/dev/null || true
		mv -f "$tmp" "$dest"
		changed "${dest#"$R"}"
	fi
}

ensure_dir() {
	local dir=$1 made=0
	if [[ ! -d $dir ]]; then
		mkdir -p "$dir"
		made=1
	fi
	set_attrs "$dir" "$2" "$3" "$4"
	if ((made || FIXED)); then changed "${dir#"$R"}/"; else say same "${dir#"$R"}/"; fi
}

ensure_link() { # ensure_link TARGET LINK
	[[ -L $2 && $(readlink "$2") == "$1" ]] && return 0
	mkdir -p "$(dirname "$2")"
	ln -sfn "$1" "$2"
	changed "${2#"$R"} -> $1"
}

# Replace our marked block at the end of FILE (config.txt) with BLOCK; keep the rest as is.
# (Every put reads from a redirection, never a pipe, so its bookkeeping stays in this shell.)
BEGIN_MARK="# >>> liandong: managed by firmware-config/install.sh; edits here are overwritten"
END_MARK="# <<< liandong"
put_block() {
	local file=$1 block=$2
	put keep root root "$file" < <(
		if [[ -f $file ]]; then
			awk -v b="$BEGIN_MARK" -v e="$END_MARK" '
				$0 == b { skip = 1; next }
				skip && $0 == e { skip = 0; next }
				!skip { print }' "$file" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
			echo
		fi
		printf '%s\n%s\n%s\n' "$BEGIN_MARK" "$block" "$END_MARK"
	)
}

# ---------------------------------------------------------------- 1. OS packages and program
echo "Liandong terminal install: board $BOARD, bundle $BUNDLE, root $ROOT"
if ((PACKAGES && LIVE)); then
	echo "packages:"
	# espeak-ng and sox (with its ALSA output) speak the order when gateway.toml has [speech]
	pkgs=(python3-venv python3-lgpio chrony openssl espeak-ng sox libsox-fmt-alsa)
	((GPS_TIME)) && pkgs+=(gpsd gpsd-clients)
	[[ -n $PPS_PIN ]] && pkgs+=(pps-tools)
	missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ((${#missing[@]})); then
		# python3-lgpio comes from the Raspberry Pi OS archive (not plain Debian).
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		changed "apt: ${missing[*]}"
	else
		say same "apt: ${pkgs[*]}"
	fi
	if [[ ! -x /opt/liandong/bin/python ]]; then
		# System site packages: python3-lgpio comes from apt, built against the Pi's libraries.
		python3 -m venv --system-site-packages /opt/liandong
		changed /opt/liandong
	fi
	if ((SLOTS)); then
		say same "pip: into /opt/liandong/slots/a (below)"
	elif [[ -n $WHEEL ]]; then
		spec="$(cd "$(dirname "$WHEEL")" && pwd)/$(basename "$WHEEL")[gateway]"
		/opt/liandong/bin/pip install --quiet --disable-pip-version-check "$spec"
		say ok "pip: $spec -> /opt/liandong"
	elif ! /opt/liandong/bin/pip show --quiet liandong >/dev/null 2>&1; then
		/opt/liandong/bin/pip install --quiet --disable-pip-version-check 'liandong[gateway]'
		changed "pip: liandong[gateway] -> /opt/liandong"
	else
		say same "pip: liandong already in /opt/liandong (upgrade: --wheel FILE)"
	fi
else
	say skipped "apt-get and pip ($( ((LIVE)) && echo "--no-packages" || echo "--root"))"
fi

# ---------------------------------------------------------------- 1b. A/B slots
if ((SLOTS)); then
	echo "slots (A/B updates):"
	S=/opt/liandong/slots
	if ((PACKAGES && LIVE)) && [[ ! -L $S/current ]]; then
		mkdir -p "$S"
		python3 -m venv --system-site-packages "$S/a"
		spec='liandong[gateway]'
		[[ -z $WHEEL ]] || spec="$(cd "$(dirname "$WHEEL")" && pwd)/$(basename "$WHEEL")[gateway]"
		"$S/a/bin/pip" install --quiet --disable-pip-version-check "$spec"
		ln -sfn a "$S/current.tmp" && mv -T "$S/current.tmp" "$S/current" && sync "$S"
		changed "$S/a (pip: $spec), current -> a"
	elif [[ -L $R$S/current ]]; then
		say same "$S/current -> $(readlink "$R$S/current")"
	else
		say skipped "$S/a: no packages in this mode; install on the terminal with --slots"
	fi
	if ((PACKAGES && LIVE)); then
		check=$("$S/current/bin/python" -c 'import gateway.update.slots as m; print(m.__file__)')
		put 0644 root root "$S/liandong-bootcheck.py" <"$check"
	fi
fi

# ---------------------------------------------------------------- 2. service user
echo "user:"
if ((!CAN_CHOWN)); then
	say skipped "user liandong and file owners: not running as root (modes are still set)"
elif [[ -f $R/etc/passwd && -f $R/etc/group ]]; then
	prefix=()
	((LIVE)) || prefix=(--prefix "$ROOT")
	for grp in gpio dialout audio liandong; do
		if [[ -z $(gid_of "$grp") ]]; then
			groupadd "${prefix[@]}" --system "$grp"
			changed "group $grp"
		fi
	done
	if [[ -z $(uid_of liandong) ]]; then
		useradd "${prefix[@]}" --system --gid liandong --groups gpio,dialout,audio \
			--home-dir /var/lib/liandong --no-create-home --shell /usr/sbin/nologin \
			--comment "Liandong terminal" liandong
		changed "user liandong"
	else
		for grp in gpio dialout audio; do
			if ! awk -F: -v g="$grp" '$1 == g { print $4 }' "$R/etc/group" | tr ',' '\n' |
				grep -qx liandong; then
				usermod "${prefix[@]}" --append --groups "$grp" liandong
				changed "user liandong joins $grp"
			fi
		done
	fi
	say user "liandong uid $(uid_of liandong) gid $(gid_of liandong)"
else
	say skipped "no $R/etc/passwd: files keep the installing user's ownership"
fi

# ---------------------------------------------------------------- 3. identity and config
echo "identity and configuration:"
ensure_dir "$R/etc/liandong" 0750 root liandong
ensure_dir "$R/var/lib/liandong" 0750 liandong liandong
if ((ENROLL)); then
	say skipped "identity: made at first boot from $BOOT_NAME/liandong-token.json"
	put 0644 root root "$R/etc/liandong/install-options" < <(printf '%s\n' "${SAVED[@]}")
	[[ -z $PINS_GIVEN ]] || put 0644 root root "$R/etc/liandong/pins.toml" <"$PINS_GIVEN"
	if ! diff -r "$HERE" "$R/opt/liandong/firmware-config" >/dev/null 2>&1; then
		rm -rf "$R/opt/liandong/firmware-config"
		mkdir -p "$R/opt/liandong"
		cp -r "$HERE" "$R/opt/liandong/firmware-config"
		changed "/opt/liandong/firmware-config (for the first boot)"
	else
		say same "/opt/liandong/firmware-config"
	fi
else
for f in ca.crt unit.crt hub-dispatch.pub; do
	put 0644 root liandong "$R/etc/liandong/$f" <"$BUNDLE/$f"
done
# The county's release key (liandong-provision release key): what updates are checked against.
[[ ! -f $BUNDLE/release.pub ]] || put 0644 root liandong "$R/etc/liandong/release.pub" <"$BUNDLE/release.pub"
fi
if ((ENROLL)); then
	:
elif [[ -f $BUNDLE/unit.key ]]; then
	put 0600 liandong liandong "$R/etc/liandong/unit.key" <"$BUNDLE/unit.key"
else
	set_attrs "$R/etc/liandong/unit.key" 0600 liandong liandong
	if ((FIXED)); then changed "/etc/liandong/unit.key (owner/mode)"; else say same "/etc/liandong/unit.key (kept)"; fi
fi

((ENROLL)) || put 0640 root liandong "$R/etc/liandong/gateway.toml" <"$rendered"

# ---------------------------------------------------------------- 4. board profile
echo "board profile ($BOARD):"
before=$(cat "$BOOT/config.txt" 2>/dev/null || true)
block=$(
	echo "[all]"
	echo "# board: $BOARD"
	cat "$HERE/boards/$BOARD/base.txt"
	[[ $GPS == uart ]] && cat "$HERE/boards/$BOARD/gps-uart.txt"
	if [[ -n $PPS_PIN ]]; then
		echo "# GPS pulse-per-second on BCM $PPS_PIN -> /dev/pps0 (chrony PPS source)"
		echo "dtoverlay=pps-gpio,gpiopin=$PPS_PIN"
	fi
)
put_block "$BOOT/config.txt" "$block"
[[ $before == "$(cat "$BOOT/config.txt")" ]] || needs_reboot "${BOOT#"$R"}/config.txt"
if [[ $GPS == uart && -f $BOOT/cmdline.txt ]]; then
	# The header UART belongs to the GPS: no serial console (and no login prompt) on it.
	before=$(cat "$BOOT/cmdline.txt")
	put keep root root "$BOOT/cmdline.txt" < <(
		sed -E 's/(^| )console=(serial0|ttyAMA0|ttyS0),[0-9]+//g; s/^ +//' "$BOOT/cmdline.txt")
	[[ $before == "$(cat "$BOOT/cmdline.txt")" ]] || needs_reboot "${BOOT#"$R"}/cmdline.txt"
fi

# ---------------------------------------------------------------- 5. device names
echo "device names:"
mkdir -p "$R/etc/udev/rules.d"
put 0644 root root "$R/etc/udev/rules.d/99-liandong.rules" <"$HERE/udev/99-liandong.rules"
usb_rule() { # usb_rule ROLE VID:PID[:SERIAL]
	local vid pid serial rule
	IFS=: read -r vid pid serial <<<"$2"
	rule="SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"${vid,,}\", ATTRS{idProduct}==\"${pid,,}\""
	[[ -z $serial ]] || rule+=", ATTRS{serial}==\"$serial\""
	echo "$rule, ENV{LD_ROLE}=\"$1\""
}
put 0644 root root "$R/etc/udev/rules.d/98-liandong-local.rules" < <(
	echo "# This terminal's own devices (install.sh flags); read before 99-liandong.rules."
	[[ -z $PRINTER_USB ]] || usb_rule printer "$PRINTER_USB"
	[[ -z $GPS_USB ]] || usb_rule gps "$GPS_USB"
	[[ $GPS != uart ]] || echo 'SUBSYSTEM=="tty", KERNEL=="ttyAMA0", ENV{LD_ROLE}="gps"'
)

# ---------------------------------------------------------------- 6. time
echo "time:"
servers="" refclocks="# (none: install.sh --gps-time and/or --pps-pin add them)"
IFS=, read -ra hosts <<<"$NTP"
for h in "${hosts[@]}"; do servers+="server $h iburst prefer"$'\n'; done
if ((GPS_TIME)) || [[ -n $PPS_PIN ]]; then
	refclocks=""
	# NMEA time from gpsd's shared memory: ~100 ms of jitter, so only a fallback.
	((GPS_TIME)) && refclocks+="refclock SHM 0 refid NMEA offset 0.2 delay 0.2 poll 3"$'\n'
	if [[ -n $PPS_PIN ]]; then
		lock=""
		((GPS_TIME)) && lock=" lock NMEA"
		refclocks+="refclock PPS /dev/pps0$lock refid PPS poll 4"$'\n'
	fi
fi
mkdir -p "$R/etc/chrony/conf.d"
put 0644 root root "$R/etc/chrony/conf.d/liandong.conf" < <(
	awk -v s="${servers%$'\n'}" -v r="${refclocks%$'\n'}" \
		'$0 == "@SERVERS@" { print s; next } $0 == "@REFCLOCKS@" { print r; next } { print }' \
		"$HERE/chrony/liandong.conf.in")
if ((GPS_TIME)); then
	mkdir -p "$R/etc/default"
	put 0644 root root "$R/etc/default/gpsd" < <(
		printf '%s\n' "# Written by liandong install.sh (--gps-time)." 'START_DAEMON="true"' \
			'USBAUTO="false"' "DEVICES=\"/dev/ld-gps${PPS_PIN:+ /dev/pps0}\"" 'GPSD_OPTIONS="-n"')
fi

# ---------------------------------------------------------------- 7. systemd
echo "systemd:"
for d in system system.conf.d journald.conf.d system/multi-user.target.wants; do
	mkdir -p "$R/etc/systemd/$d"
done
put 0644 root root "$R/etc/systemd/system/liandong-gateway.service" \
	<"$HERE/systemd/liandong-gateway.service"
put 0644 root root "$R/etc/systemd/system.conf.d/liandong-watchdog.conf" \
	<"$HERE/systemd/system-liandong-watchdog.conf"
put 0644 root root "$R/etc/systemd/journald.conf.d/liandong.conf" \
	<"$HERE/systemd/journald-liandong.conf"
ensure_link /etc/systemd/system/liandong-gateway.service \
	"$R/etc/systemd/system/multi-user.target.wants/liandong-gateway.service"
if ((ENROLL)); then
	put 0644 root root "$R/etc/systemd/system/liandong-firstboot.service" \
		<"$HERE/systemd/liandong-firstboot.service"
	ensure_link /etc/systemd/system/liandong-firstboot.service \
		"$R/etc/systemd/system/multi-user.target.wants/liandong-firstboot.service"
fi
mkdir -p "$R/var/log/journal"
if ((SLOTS)); then
	mkdir -p "$R/etc/systemd/system/liandong-gateway.service.d"
	put 0644 root root "$R/etc/systemd/system/liandong-gateway.service.d/slots.conf" \
		<"$HERE/systemd/liandong-gateway-slots.conf"
	ensure_dir "$R/opt/liandong/slots" 0755 liandong liandong
	# the gateway rebuilds the slot it is not running from: both belong to it
	if ((LIVE && CAN_CHOWN)) && [[ -d /opt/liandong/slots/a ]]; then
		chown -R liandong:liandong /opt/liandong/slots/a
	fi
fi

# ---------------------------------------------------------------- 8. durability
echo "durability:"
if [[ -n $STATE_DEV ]]; then
	# data=journal: file data goes through the journal too, so a power cut mid-write leaves
	# the old or the new block, never a torn one; SQLite's fsyncs do the rest.
	line="$STATE_DEV /var/lib/liandong ext4 defaults,noatime,data=journal,commit=5,errors=remount-ro,nofail 0 2"
	touch "$R/etc/fstab"
	put "$(stat -c '%a' "$R/etc/fstab")" root root "$R/etc/fstab" < <(
		grep -v ' /var/lib/liandong ' "$R/etc/fstab" || true
		echo "$line"
	)
else
	say same "state on the root file system (ext4, SQLite fsyncs; see README 'Durability')"
fi
if ((OVERLAY)); then
	if ((LIVE)); then
		if ! grep -q 'overlayroot=tmpfs' /boot/firmware/cmdline.txt 2>/dev/null; then
			raspi-config nonint enable_overlayfs
			changed "read-only root with overlay (raspi-config enable_overlayfs)"
			needs_reboot "overlay root"
		fi
	else
		say skipped "overlay root: run 'raspi-config nonint enable_overlayfs' on the terminal"
	fi
fi

# ---------------------------------------------------------------- 9. record and activate
put 0644 root root "$R/etc/liandong/install-record.txt" < <(printf '%s' "# liandong install.sh record: what was installed, mode uid:gid path
board=$BOARD unit=$UNIT gps=$GPS ntp=$NTP pps=${PPS_PIN:-none} gps_time=$GPS_TIME
$(printf '%s' "$RECORD" | grep -v '/etc/liandong/install-record.txt' | sort -k3)
")

if ((LIVE)); then
	systemctl daemon-reload
	systemctl enable --quiet liandong-gateway.service
	[[ $BOARD == pi5 || $GPS != uart ]] || systemctl disable --quiet hciuart.service 2>/dev/null || true
	((GPS_TIME)) && systemctl enable --quiet gpsd.service
	if ((CHANGED)); then
		systemctl daemon-reexec # re-reads system.conf.d: the hardware watchdog
		udevadm control --reload && udevadm trigger --subsystem-match=tty
		systemctl try-restart systemd-journald.service chrony.service || true
		((GPS_TIME)) && systemctl restart gpsd.service
		if [[ ! -x /opt/liandong/bin/liandong-gateway ]]; then
			echo "WARNING: /opt/liandong/bin/liandong-gateway is missing: run again without --no-packages"
		elif [[ -z $REBOOT ]]; then
			systemctl restart liandong-gateway.service
		fi
	fi
fi

echo
echo "unit $UNIT on $BOARD: $CHANGED change(s)."
if [[ -n $REBOOT ]]; then
	echo "REBOOT NEEDED ($REBOOT changed); the terminal starts by itself after: sudo reboot"
elif ((LIVE)); then
	echo "No reboot needed. Status: systemctl status liandong-gateway"
else
	echo "No reboot needed."
fi
