# Liandong: the two commands are `make test` and `make demo`.
# Everything a fresh Debian / Raspberry Pi OS machine lacks is installed here:
# the virtualenv with the project and its dev extra, and Mosquitto through apt-get.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=

.PHONY: test lint pytest demo bench mosquitto clients shellcheck udev browser reports speech gpsd venv clean help

help:
	@echo "make test   - install what is missing, then run pytest, ruff and mypy"
	@echo "make demo   - run the whole system on this machine (ARGS=\"--help\" for options)"
	@echo "make lint   - ruff and mypy only"
	@echo "make bench  - benchmarks; results in bench/results/ and docs/benchmarks.md"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

mosquitto:
	@if command -v mosquitto >/dev/null 2>&1 || test -x /usr/sbin/mosquitto; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Mosquitto with apt-get (it is not on this machine)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >/dev/null && \
		{ command -v systemctl >/dev/null 2>&1 && systemctl disable --now mosquitto >/dev/null 2>&1 || true; } ; \
	else \
		echo "Mosquitto is missing. Install it, then run make again:"; \
		echo "    sudo apt-get install mosquitto"; \
		exit 1; \
	fi

# Mosquitto's own clients check the generated broker config's ACL
# (tests/provisioning/test_broker_as_debian.py).
clients:
	@if command -v mosquitto_sub >/dev/null 2>&1 && command -v mosquitto_pub >/dev/null 2>&1; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing mosquitto-clients with apt-get (for the broker ACL tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto-clients >/dev/null; \
	else \
		echo "mosquitto_sub/mosquitto_pub are missing. Install them, then run make again:"; \
		echo "    sudo apt-get install mosquitto-clients"; \
		exit 1; \
	fi

# firmware-config/install.sh is checked with shellcheck (tests/firmware/test_shellcheck.py).
shellcheck:
	@if command -v shellcheck >/dev/null 2>&1; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing shellcheck with apt-get (for the SD card installer's test)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; \
	else \
		echo "shellcheck is missing. Install it, then run make again:"; \
		echo "    sudo apt-get install shellcheck"; \
		exit 1; \
	fi

# The SD card installer's udev rules are read by udev itself (tests/firmware/test_udevadm_parse.py;
# Debian 12's udevadm has no `verify`, its `udevadm test` is used instead) and its unit files
# by systemd-analyze (tests/firmware/test_unit_file.py).
udev:
	@if command -v udevadm >/dev/null 2>&1 && command -v systemd-analyze >/dev/null 2>&1; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing udev and systemd with apt-get (for the udev rules and unit file tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends udev systemd >/dev/null; \
	else \
		echo "udevadm or systemd-analyze is missing. Install them, then run make again:"; \
		echo "    sudo apt-get install udev systemd"; \
		exit 1; \
	fi

# The console's end-to-end tests drive Debian's Chromium (never a downloaded browser),
# and screenshots need a CJK font to show Chinese.
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "CJK"; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Chromium and a CJK font with apt-get (for the console's browser tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; \
	else \
		echo "Chromium or a CJK font is missing. Install them, then run make again:"; \
		echo "    sudo apt-get install chromium fonts-noto-cjk"; \
		exit 1; \
	fi

# Assessment reports (hub/assessment/): WeasyPrint needs Pango, the charts a CJK font.
reports:
	@if ldconfig -p 2>/dev/null | grep -q libpangoft2 && fc-list 2>/dev/null | grep -qi "CJK"; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Pango and a CJK font with apt-get (for the assessment PDF)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk >/dev/null; \
	else \
		echo "Pango or a CJK font is missing. Install them, then run make again:"; \
		echo "    sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk"; \
		exit 1; \
	fi

# The spoken order (gateway/devices/speech.py): espeak-ng renders, sox plays and measures.
speech:
	@if command -v espeak-ng >/dev/null 2>&1 && command -v sox >/dev/null 2>&1; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing espeak-ng and sox with apt-get (for the spoken order's tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends espeak-ng sox libsox-fmt-alsa >/dev/null; \
	else \
		echo "espeak-ng or sox is missing. Install them, then run make again:"; \
		echo "    sudo apt-get install espeak-ng sox libsox-fmt-alsa"; \
		exit 1; \
	fi

# GPS through gpsd (gateway/devices/gpsd.py): the tests run Debian's gpsd under gpsfake.
gpsd:
	@if command -v gpsfake >/dev/null 2>&1 && { command -v gpsd >/dev/null 2>&1 || test -x /usr/sbin/gpsd; }; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing gpsd and gpsd-clients with apt-get (for the gpsd tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gpsd gpsd-clients >/dev/null && \
		{ command -v systemctl >/dev/null 2>&1 && systemctl disable --now gpsd.socket gpsd >/dev/null 2>&1 || true; } ; \
	else \
		echo "gpsd or gpsfake is missing. Install them, then run make again:"; \
		echo "    sudo apt-get install gpsd gpsd-clients"; \
		exit 1; \
	fi

# pytest-xdist workers: most tests wait on brokers, browsers and subprocesses, so three
# workers keep CI's 2 cores busy (measured in docs/testing.md); worksteal evens out the
# long tests. `make pytest WORKERS=0` runs serially.
WORKERS ?= 3

pytest: $(STAMP) mosquitto clients shellcheck udev browser reports speech gpsd
	PATH="$(CURDIR)/$(BIN):$$PATH:/usr/sbin" $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: pytest lint

demo: $(STAMP) mosquitto
	PATH="$(CURDIR)/$(BIN):$$PATH:/usr/sbin" $(BIN)/python -m demo $(ARGS)

bench: $(STAMP) mosquitto
	PATH="$(CURDIR)/$(BIN):$$PATH:/usr/sbin" $(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: nginx
# The hub machine's installer puts nginx in front of the console (hub-install/); its tests
# run the real nginx binary on a loopback port.
nginx:
	@if command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; then \
		: ; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing nginx with apt-get (for the hub installer's tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null && \
		{ command -v systemctl >/dev/null 2>&1 && systemctl disable --now nginx >/dev/null 2>&1 || true; } ; \
	else \
		echo "nginx is missing. Install it, then run make again:"; \
		echo "    sudo apt-get install nginx"; \
		exit 1; \
	fi

pytest: nginx  # one more prerequisite of pytest (above), declared beside its target

.PHONY: deploy-rehearsal
# The README's deployment typed into a fresh Debian 12 VM (systemd as PID 1), then a
# terminal VM that gets an incident (tools/deploy-rehearsal/). Not part of `make test`:
# it needs root, qemu, debootstrap, a Debian mirror and a package index, and takes most of
# an hour under TCG. The image and VMs live in /var/tmp/liandong-vm, never in the repo.
deploy-rehearsal:
	@command -v qemu-system-x86_64 >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1 || { \
		echo "deploy-rehearsal needs: sudo apt-get install qemu-system-x86 qemu-utils debootstrap"; exit 1; }
	tools/deploy-rehearsal/rehearse.sh
