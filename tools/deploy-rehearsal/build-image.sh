#!/bin/bash
# Build a fresh Debian 12 disk image to rehearse the README's deployment in (run as root).
#
#   tools/deploy-rehearsal/build-image.sh [WORKDIR]      (default /var/tmp/liandong-vm)
#
# What it makes, all under WORKDIR and never in the repository:
#   rootfs/       debootstrap bookworm (the default "important" set: what a Debian
#                 netinst without tasks gives; no sudo, git, python3-venv, curl), plus a
#                 kernel, systemd as init, openssh-server and DHCP on the first NIC
#   base.raw      an ext4 image of it (each rehearsal boots a throwaway qcow2 overlay)
#   vmlinuz, initrd.img   booted directly by qemu (-kernel/-initrd, root=/dev/vda)
#   id_ed25519    the key the rehearsal logs in with (root)
# The host's extra CA certificates (/usr/local/share/ca-certificates) are copied in, so a
# network behind an inspecting proxy works as it does on the host: the county's own
# mirror and proxy are what a real centre has instead.
set -euo pipefail
W=${1:-/var/tmp/liandong-vm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SIZE=${IMAGE_SIZE:-8G}
[[ $(id -u) -eq 0 ]] || { echo "build-image.sh: error: run as root (debootstrap, mkfs)" >&2; exit 2; }
for t in debootstrap mkfs.ext4 qemu-img ssh-keygen; do
	command -v "$t" >/dev/null || { echo "build-image.sh: error: $t missing: apt-get install -y debootstrap qemu-utils e2fsprogs openssh-client qemu-system-x86" >&2; exit 2; }
done
mkdir -p "$W"
R=$W/rootfs
if [[ ! -e $R/.debootstrap-done ]]; then
	rm -rf "$R"
	debootstrap --include=linux-image-amd64,systemd-sysv,openssh-server,ca-certificates \
		bookworm "$R" "$MIRROR"
	touch "$R/.debootstrap-done"
fi
echo hub > "$R/etc/hostname"
cat > "$R/etc/hosts" <<HOSTS
127.0.0.1	localhost
127.0.1.1	hub
::1		localhost ip6-localhost ip6-loopback
HOSTS
cat > "$R/etc/fstab" <<FSTAB
/dev/vda	/	ext4	errors=remount-ro	0 1
FSTAB
# the first NIC (qemu's user network) by DHCP, as a Debian install does (ifupdown);
# the second (the centre's LAN) is the rehearsal's to set, as the county's admin would
cat > "$R/etc/network/interfaces" <<NET
source /etc/network/interfaces.d/*
auto lo
iface lo inet loopback
auto eth0
iface eth0 inet dhcp
NET
chroot "$R" systemctl enable ssh serial-getty@ttyS0 >/dev/null 2>&1 || true
# the host's inspecting-proxy CAs, if any (see the header)
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
	chroot "$R" update-ca-certificates >/dev/null
fi
echo "deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main" > "$R/etc/apt/sources.list"
[[ -e $W/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N "" -f "$W/id_ed25519" -C liandong-rehearsal
install -d -m 0700 "$R/root/.ssh"
install -m 0600 "$W/id_ed25519.pub" "$R/root/.ssh/authorized_keys"
chroot "$R" sh -c 'echo root:rehearsal | chpasswd'
rm -f "$R/etc/ssh/ssh_host_"*  # each image gets its own on first boot
chroot "$R" sh -c 'dpkg-reconfigure -f noninteractive openssh-server >/dev/null 2>&1' || true
cp -L "$R/vmlinuz" "$W/vmlinuz"
cp -L "$R/initrd.img" "$W/initrd.img"
rm -f "$W/base.raw.tmp"
mkfs.ext4 -q -L liandong-root -d "$R" "$W/base.raw.tmp" "$SIZE"
mv "$W/base.raw.tmp" "$W/base.raw"
echo "image: $W/base.raw (kernel $W/vmlinuz, initrd $W/initrd.img, key $W/id_ed25519)"
