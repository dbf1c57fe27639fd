#!/bin/bash
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

main() {
	: >"$T"
	git_server
	hub_vm && readme
	say "== $failures command(s) failed"
}
[[ $STEPS == all ]] && main
