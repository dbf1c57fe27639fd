#!/bin/bash
# Start, stop and talk to a rehearsal VM (made by build-image.sh).
#
#   vm.sh start NAME SSH_PORT LAN_MAC LAN_MODE [HOSTFWD...]   a fresh qcow2 overlay on base.raw
#   vm.sh boot  NAME ... (the same arguments)                  the disk as it was left
#   vm.sh ssh NAME COMMAND...                                   run as root inside
#   vm.sh stop NAME
#
# Each VM has two NICs: qemu's user network (NAT to the Debian mirror and the package
# index; SSH_PORT on 127.0.0.1 reaches its sshd) and the "centre's LAN", a point-to-point
# qemu socket between the hub (LAN_MODE listen:PORT) and a terminal (LAN_MODE connect:PORT),
# on which the county's fixed addresses (10.20.0.0/24) are set up like a network admin does.
set -euo pipefail
W=${LIANDONG_VM_DIR:-/var/tmp/liandong-vm}
KEY=$W/id_ed25519
cmd=$1 name=$2
shift 2
ssh_port() { cat "$W/$name.sshport"; }
run_ssh() {
	ssh -q -i "$KEY" -p "$(ssh_port)" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=5 -o ServerAliveInterval=15 root@127.0.0.1 "$@"
}
case $cmd in
start | boot)
	# start: a fresh disk (a qcow2 overlay on base.raw); boot: the VM's disk as it was left
	port=$1 mac=$2 lan=$3
	shift 3
	fwd="hostfwd=tcp:127.0.0.1:$port-:22"
	for f in "$@"; do fwd+=",hostfwd=tcp:127.0.0.1:$f"; done
	if [[ $cmd == start ]]; then
		rm -f "$W/$name.qcow2"
		qemu-img create -q -f qcow2 -F raw -b "$W/base.raw" "$W/$name.qcow2"
	fi
	echo "$port" >"$W/$name.sshport"
	# KVM when it works; on this project's build machine (a nested Firecracker guest) /dev/kvm
	# exists but a guest kernel hangs after its decompressor, so TCG is the default
	# (-cpu max: the wheels pip installs, numpy's for one, need x86-64-v2 instructions that
	# TCG's default qemu64 CPU lacks: "Illegal instruction")
	accel=(-accel tcg -cpu max)
	[[ ${VM_ACCEL:-tcg} == kvm ]] && accel=(-accel kvm -cpu host)
	qemu-system-x86_64 "${accel[@]}" -smp "${VM_CPUS:-1}" -m "${VM_MEM:-1536}" \
		-drive "file=$W/$name.qcow2,if=virtio,format=qcow2" \
		-kernel "$W/vmlinuz" -initrd "$W/initrd.img" -append "root=/dev/vda rw console=ttyS0 net.ifnames=0" \
		-nic "user,model=virtio-net-pci,mac=52:54:00:12:34:56,$fwd" \
		-netdev "socket,id=lan,${lan/:/=127.0.0.1:}" -device "virtio-net-pci,netdev=lan,mac=$mac" \
		-display none -serial "file:$W/$name.console.log" -daemonize -pidfile "$W/$name.pid"
	for _ in $(seq 1 120); do
		if run_ssh true 2>/dev/null; then
			# sshd is up before the rest of the boot: wait for it to finish, so every step
			# meets the machine as its admin would (services started, or failed and said so)
			state=$(run_ssh systemctl is-system-running --wait 2>/dev/null || true)
			echo "vm $name up (ssh 127.0.0.1:$port, pid $(cat "$W/$name.pid"), system $state)"
			exit 0
		fi
		sleep 2
	done
	echo "vm.sh: error: $name did not come up; see $W/$name.console.log" >&2
	exit 1
	;;
ssh) run_ssh "$@" ;;
wait)
	for _ in $(seq 1 120); do
		if run_ssh true 2>/dev/null; then
			run_ssh systemctl is-system-running --wait >/dev/null 2>&1 || true
			exit 0
		fi
		sleep 2
	done
	exit 1
	;;
stop)
	if [[ -e $W/$name.pid ]] && kill -0 "$(cat "$W/$name.pid")" 2>/dev/null; then
		run_ssh poweroff 2>/dev/null || true
		for _ in $(seq 1 30); do kill -0 "$(cat "$W/$name.pid")" 2>/dev/null || break; sleep 1; done
		kill "$(cat "$W/$name.pid")" 2>/dev/null || true
	fi
	rm -f "$W/$name.pid"
	;;
*) echo "usage: vm.sh start|boot|ssh|wait|stop NAME ..." >&2; exit 2 ;;
esac
