# KAPDesk: `make run` and `make test` do all set-up on a fresh Debian/Ubuntu machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench reliability screenshots system-libs clean

# Byte-compiled first, as `pip install` does on a clinic laptop: where PYTHONDONTWRITEBYTECODE is set,
# an editable install would otherwise compile the app's sources again at every start (~0.1 s).
run: $(STAMP) system-libs
	@$(BIN)/python -m compileall -q kapdesk
	$(BIN)/kapdesk $(ARGS)

# Two workers (pytest-xdist): each has its own PostgreSQL cluster, data folder and temp files.
JOBS ?= 2
test: $(STAMP) system-libs
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(JOBS) $(PYTEST_ARGS)

# On a real X server (Xvfb) when there is one, as on a clinic laptop; offscreen otherwise.
# The baselines need their own programs too: cvlc (Debian's vlc-bin) for the music player's.
bench: $(STAMP) system-libs
	@sh tools/system-libs.sh vlc-bin
	@if command -v xvfb-run >/dev/null; then \
	  QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python bench/run.py $(BENCH_ARGS); \
	else QT_QPA_PLATFORM=offscreen $(BIN)/python bench/run.py $(BENCH_ARGS); fi

# The proof that nothing is lost, at full size (minutes; `make test` runs a short version of each):
# 1,000 SIGKILLs, a full disk (a loop-mounted filesystem: run as root), hostile files, a 3-hour soak,
# then 1,000 kill -9s of a room process in the middle of a push to a real PostgreSQL server.
# One line per test with its figures; RELIABILITY_ARGS="--only kill --cycles 100" for part of it.
reliability: $(STAMP) system-libs
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/reliability.py $(RELIABILITY_ARGS)
	KAPDESK_SYNC_KILL_CYCLES=$${KAPDESK_SYNC_KILL_CYCLES:-1000} QT_QPA_PLATFORM=offscreen \
	  $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/test_sync_faults.py -k kill_9

screenshots: $(STAMP) system-libs
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN)/python tools/screenshots.py docs/
	KAPDESK_SHOT_SIZE=1366x768 xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/python tools/screenshots.py docs/
	KAPDESK_SHOT_SIZE=1920x1080 xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python tools/screenshots.py docs/
	KAPDESK_SHOT_SIZE=2560x1600@2x QT_SCALE_FACTOR=2 xvfb-run -a -s "-screen 0 2560x1600x24" \
	  $(BIN)/python tools/screenshots.py docs/

system-libs:
	@sh tools/system-libs.sh

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "KAPDesk needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Cannot create a virtual environment: on Debian/Ubuntu run: sudo apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The default editable mode: pyproject's package-dir {"" = "."} makes it a plain .pth path
	# entry (no import hook at start-up), without the deprecated "compat" mode.
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
