#!/bin/bash
# shellcheck disable=SC2016 # commands in single quotes run in the VM, which expands them
# Rehearse the README's deployment on a fresh Debian 12 VM with systemd as PID 1, then a
# terminal (a second VM, simulated hardware) that gets an incident posted to the hub's API.
# Run as root from a clone: `make deploy-rehearsal` (not part of `make test`: it needs
# qemu, a Debian mirror and a package index, and takes most of an hour under TCG).
#
# The README's commands are read from README.md (readme_steps.py) and typed into the hub VM
# as they are, except the clone URL (a placeholder), which becomes this clone's HEAD served
# over HTTP from the host (10.0.2.2 in the VM). Everything the county's admins would do
# around them (a fixed address, DNS names as /etc/hosts entries) is a logged "site" step.
# Output: $W/transcript.txt (each command and what it printed). VMs: build-image.sh, vm.sh.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export LIANDONG_VM_DIR=${LIANDONG_VM_DIR:-/var/tmp/liandong-vm}
W=$LIANDONG_VM_DIR
T=$W/transcript.txt
GIT_PORT=${GIT_PORT:-8765}
VM=$HERE/vm.sh
STEPS=${STEPS:-all}
failures=0

say() { printf '%s\n' "$*" | tee -a "$T"; }
# run VM WHO COMMAND: log "WHO# COMMAND", run it in a login shell as root in the VM (in the
# folder the previous command left), log what it printed and a non-zero status
run() {
	local vm=$1 cmd=$2 out rc
	printf '\n%s# %s\n' "$vm" "$cmd" | tee -a "$T"
	out=$("$VM" ssh "$vm" "cd \"\$(cat /root/.rehearsal-cwd 2>/dev/null || echo /root)\"; $cmd
rc=\$?; pwd > /root/.rehearsal-cwd; exit \$rc" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/  /' | tee -a "$T"
	if [[ $rc -ne 0 ]]; then
		say "  [exit status $rc]"
		failures=$((failures + 1))
	fi
	LAST=$out
	return $rc
}

git_server() {
	rm -rf "$W/git" && mkdir -p "$W/git"
	git clone -q --bare "$REPO" "$W/git/liandong.git"
	git -C "$W/git/liandong.git" update-server-info
	python3 -m http.server "$GIT_PORT" --bind 127.0.0.1 --directory "$W/git" >"$W/git-http.log" 2>&1 &
	echo $! >"$W/git-http.pid"
	# the clone's server is only for the rehearsal: it stops with the script, however it ends
	trap 'kill "$(cat "$W/git-http.pid")" 2>/dev/null' EXIT
}

hub_vm() {
	[[ -e $W/base.raw ]] || "$HERE/build-image.sh" "$W"
	"$VM" start hub 2222 52:54:00:20:00:05 listen:40005 8443-:443 8080-:80
	say "== site: what the county's network and DNS admins give the hub machine"
	run hub 'ps -p 1 -o comm=; . /etc/os-release; echo "$PRETTY_NAME"; id -un'
	run hub 'printf "auto eth1\niface eth1 inet static\n    address 10.20.0.5/24\n" > /etc/network/interfaces.d/centre-lan && ifup eth1 && ip -br addr show eth1'
	run hub 'printf "10.20.0.5\thub.shuangbai.gov.local console.shuangbai.gov.local\n" >> /etc/hosts && getent hosts hub.shuangbai.gov.local console.shuangbai.gov.local'
}

readme() {
	say "== README.md, Deployment sketch: each command as typed"
	local n i cmd
	n=$(python3 "$HERE/readme_steps.py" "$REPO/README.md" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	for ((i = 0; i < n; i++)); do
		cmd=$(python3 "$HERE/readme_steps.py" "$REPO/README.md" | python3 -c "import json,sys; print(json.load(sys.stdin)[$i]['command'])")
		cmd=${cmd//https:\/\/git.shuangbai.gov.local\/liandong.git/http://10.0.2.2:$GIT_PORT/liandong.git}
		run hub "$cmd" || { say "README command failed: stopping"; return 1; }
	done
}

terminal_vm() {
	"$VM" start terminal 2223 52:54:00:20:00:0b connect:40005
	say "== site: the terminal of power-co (a Debian 12 VM standing in for Raspberry Pi OS Lite bookworm)"
	# the image has no D-Bus (debootstrap's set), so no hostnamectl: the name is set as files
	run terminal 'echo ld-power-co > /etc/hostname && hostname ld-power-co && printf "127.0.1.1\tld-power-co\n" >> /etc/hosts; printf "auto eth1\niface eth1 inet static\n    address 10.20.0.11/24\n" > /etc/network/interfaces.d/centre-lan && ifup eth1 && printf "10.20.0.5\thub.shuangbai.gov.local\n" >> /etc/hosts && ping -c1 -W3 hub.shuangbai.gov.local | head -2'
	# Raspberry Pi OS has sudo, python3-lgpio and /boot/firmware; plain Debian amd64 has none:
	# the gateway's pins are gpiozero's mock pins here (GPIOZERO_PIN_FACTORY=mock, below)
	run terminal 'apt-get update -q >/dev/null && apt-get install -y -q sudo git python3-venv chrony openssl >/dev/null && mkdir -p /boot/firmware && touch /boot/firmware/config.txt /boot/firmware/cmdline.txt && echo ready'
	run terminal "git clone -q http://10.0.2.2:$GIT_PORT/liandong.git liandong && python3 -m venv --system-site-packages /opt/liandong && /opt/liandong/bin/pip install -q ./liandong'[gateway]' 2>&1 | tail -3; /opt/liandong/bin/liandong-gateway --help | head -3"
}

# after the README: the console from a seat, a terminal, an incident, backups, a reboot
secret() { sed -n "$1" <<<"$LAST" | tr -d ' '; }
hub_checks() {
	say "== the console from a seat (the host, through the forwarded HTTPS port)"
	"$VM" ssh hub cat /srv/liandong/pki/ca/ca.crt >"$W/ca.crt"
	run hub 'systemctl is-active mosquitto liandong-hub nginx; systemctl list-timers liandong-hub-backup.timer --no-pager | head -2'
	say "host\$ tools/deploy-rehearsal/seat.sh ca.crt chief ONE-TIME-PASSWORD NEW-PASSWORD"
	if ! "$HERE/seat.sh" "$W/ca.crt" chief "$OTP" "Rehearsal-$(date +%s)-pw" >"$W/seat.out" 2>&1; then
		say "  [the seat could not log in]"
		failures=$((failures + 1))
	fi
	sed 's/^/  /' "$W/seat.out" | tee -a "$T"
	say "host\$ curl -sI -H 'Host: console.shuangbai.gov.local' http://127.0.0.1:8080/ (plain HTTP, forwarded to the VM's :80)"
	curl -sI -H 'Host: console.shuangbai.gov.local' http://127.0.0.1:8080/ 2>&1 | grep -i '^HTTP\|^location' | sed 's/^/  /' | tee -a "$T"
}
terminal_install() {
	say "== the terminal: enroll power-co on the hub, install it on the terminal VM"
	run hub 'sudo /opt/liandong/bin/liandong-provision enroll power-co --dir /srv/liandong/pki'
	run hub 'sudo hub-install/install.sh --pki /srv/liandong/pki --console-name console.shuangbai.gov.local --console-name 10.20.0.5 | tail -3'
	say "(the bundle goes to the terminal as on a USB stick: tar through the host)"
	"$VM" ssh hub tar -C /srv/liandong/pki/units -c power-co | "$VM" ssh terminal tar -C /root -x
	run terminal 'sudo liandong/firmware-config/install.sh /root/power-co --board pi4 --no-packages --gps none --printer-url file:/var/lib/liandong/printer.out | tail -4'
	run terminal 'mkdir -p /etc/systemd/system/liandong-gateway.service.d && printf "[Service]\nEnvironment=GPIOZERO_PIN_FACTORY=mock\n" > /etc/systemd/system/liandong-gateway.service.d/simulated-pins.conf && systemctl daemon-reload && systemctl restart liandong-gateway && sleep 20 && systemctl is-active liandong-gateway && journalctl -u liandong-gateway -b --no-pager | tail -5'
}
incident() {
	say "== an incident from the 110 CAD (the host), as docs/hub.md says"
	say "host\$ tools/deploy-rehearsal/intake.sh ca.crt INTAKE-KEY $1"
	"$HERE/intake.sh" "$W/ca.crt" "$KEY" "$1" 2>&1 | sed 's/^/  /' | tee -a "$T"
	if ! grep -q "HTTP 20[01]" <<<"$(tail -3 "$T")"; then
		say "  [the intake was not accepted]"
		failures=$((failures + 1))
	fi
	sleep 20
	run terminal 'journalctl -u liandong-gateway -b --no-pager | tail -6'
	say "(the printer file holds the slip's ESC/POS bytes in GB18030, as a printer gets them; decoded:)"
	run terminal 'iconv -f gb18030 -t utf-8 < /var/lib/liandong/printer.out | tr -d "\000-\011\013-\037" | grep -B1 -A15 "110警情号：'"$1"'"'
	say "(what the hub recorded for the order: the terminal's signed receipt chain)"
	run hub "sqlite3 -readonly /srv/liandong/pki/hub/hub.sqlite3 \"SELECT e.type, e.source, e.at FROM events e JOIN orders o ON o.id = e.order_id JOIN incidents i ON i.id = o.incident_id WHERE i.source_id = '$1' ORDER BY e.seq\""
	local kind
	for kind in received alarmed printed; do
		if ! grep -q "^$kind|unit:power-co|" <<<"$LAST"; then
			say "  [no signed $kind from the terminal for $1]"
			failures=$((failures + 1))
		fi
	done
}
backup_reboot() {
	say "== backups and a reboot"
	run hub 'systemctl list-timers liandong-hub-backup.timer --no-pager | head -2; sudo -u liandong-hub /opt/liandong/bin/liandong-hub backup --config /srv/liandong/pki/hub/hub.toml --to /var/backups/liandong-hub'
	"$VM" ssh hub systemctl reboot || true
	sleep 20
	"$VM" wait hub
	sleep 30
	run hub 'uptime -s; systemctl is-active mosquitto liandong-hub nginx liandong-hub-backup.timer'
	"$HERE/seat.sh" "$W/ca.crt" x x x 2>&1 | head -1 | sed 's/^/  /' | tee -a "$T"
}

main() {
	: >"$T"
	git_server
	if ! { hub_vm && terminal_vm && readme; }; then
		say "== stopped"
		return 1
	fi
	# the key is the line after the command (64 hex digits); a script that cannot find it stops
	KEY=$(grep -A1 '# sudo .*intake-key cad-110' "$T" | grep -oE '^ +[0-9a-f]{64}$' | tr -d ' ')
	[[ -n $KEY ]] || { say "== no intake key in the transcript: stopped"; return 1; }
	OTP=$(grep -A3 'create-admin' "$T" | tail -1 | tr -d ' ')
	hub_checks
	terminal_install
	incident "J5323220000000123"
	backup_reboot
	incident "J5323220000000124"
	say "== $failures command(s) failed"
	say "(the VMs keep running to be looked at: tools/deploy-rehearsal/vm.sh ssh hub|terminal COMMAND; vm.sh stop hub, vm.sh stop terminal)"
}
[[ $STEPS == all ]] && main
