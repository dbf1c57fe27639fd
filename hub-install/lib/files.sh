# shellcheck shell=bash
# Idempotent file placement for hub-install/install.sh (the same rules as
# firmware-config/install.sh): every file is written to a temporary name in its folder and
# renamed, only when content, mode or owner differ; every result is recorded.
# Needs from the caller: R (root prefix), say, changed, record.

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

# Bring PATH's mode and owner to MODE USER:GROUP; FIXED=1 if that changed anything.
FIXED=0
set_attrs() {
	local path=$1 mode=$2 name=${5:-$1} ids
	FIXED=0
	ids=$(ids_of "$3" "$4") || ids=""
	if ((CAN_CHOWN)) && [[ -n $ids && $(stat -c '%u:%g' "$path") != "$ids" ]]; then
		chown "$ids" "$path" # before chmod: chown clears the setgid bit
		FIXED=1
	fi
	if [[ $(stat -c '%a' "$path") != "${mode#0}" ]]; then
		# 00755, not 0755: GNU chmod keeps a directory's setgid bit unless told in 5 digits.
		if ((${#mode} <= 4)) && [[ $mode == 0* ]]; then chmod "0$mode" "$path"; else chmod "$mode" "$path"; fi
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
		set_attrs "$tmp" "$mode" "$user" "$group" "$dest"
		sync "$tmp" 2>/dev/null || true
		mv -f "$tmp" "$dest"
		changed "${dest#"$R"}"
	fi
}

# fix_file PATH MODE USER GROUP: an existing file's mode and owner (content untouched).
fix_file() {
	[[ -f $1 ]] || return 0
	set_attrs "$1" "$2" "$3" "$4"
	if ((FIXED)); then changed "${1#"$R"} (owner/mode)"; else say same "${1#"$R"}"; fi
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
