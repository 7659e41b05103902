#!/usr/bin/env bash
# Makes the README's pictures of the real console: runs wstab in tmux, drives it with keys,
# captures the screen with colours (`tmux capture-pane -e -p`) and renders each capture to PNG
# with render.py (Pillow + DejaVu Sans Mono, installed here when missing).
#
#   screenshots/make.sh            # all pictures
#
# To add a picture: drive the session with `keys`/`type_text`, wait for something on screen with
# `wait_for TEXT`, then `shot NAME`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=screenshots

# --- what the script needs -------------------------------------------------------------------
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] \
  || { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null; }
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install --quiet pillow

cargo build --quiet --bin wstab --example echo_server
BIN=target/debug/wstab

# --- a backend to talk to --------------------------------------------------------------------
# demo: once `wstab demo` lands, drive the embedded demo (no --workspace) instead and add the
# chat (JSON, Web PubSub subprotocol) and APIM refusal pictures.
WORK=$(mktemp -d)
SOCK="wstab-shots-$$"
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  [ -n "${ECHO_PID:-}" ] && kill "$ECHO_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
target/debug/examples/echo_server 0 >"$WORK/echo.out" &
ECHO_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/echo.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/echo.out")
cat >"$WORK/workspace.toml" <<TOML
name = "Contoso gateway (local)"
gateway = "ws://127.0.0.1:$PORT"

[[apis]]
name = "echo"
display_name = "Echo"
url_suffix = "echo"
query = [{ name = "subscription-key", value = "0123456789abcdef", secret = true, required = true }]
sample_message = '{"type":"sendToGroup","group":"demo","dataType":"json","data":{"text":"hello"}}'

[[apis]]
name = "chat"
display_name = "Chat (Web PubSub)"
url_suffix = "client/hubs/chat"
subprotocols = ["json.webpubsub.azure.v1"]
query = [{ name = "access_token", value = "", secret = true, required = true }]

[[apis]]
name = "ticker"
display_name = "Wrong suffix"
url_suffix = "tickr"
headers = [{ name = "Ocp-Apim-Subscription-Key", value = "0123456789abcdef" }]

[[apis]]
name = "flood"
display_name = "Ticks (a fast stream)"
url_suffix = "flood"
TOML

# --- helpers ---------------------------------------------------------------------------------
t() { tmux -L "$SOCK" "$@"; }
keys() { t send-keys -t shots "$@"; }
type_text() { t send-keys -t shots -l "$1"; }
wait_for() {
  for _ in $(seq 100); do t capture-pane -p -t shots | grep -qF -- "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for: $1" >&2; t capture-pane -p -t shots >&2; exit 1
}
shot() {
  sleep 0.3
  t capture-pane -e -p -t shots >"$WORK/$1.ansi"
  python3 "$OUT/render.py" "$WORK/$1.ansi" "$OUT/$1.png"
  echo "wrote $OUT/$1.png"
}

# --- the pictures ----------------------------------------------------------------------------
t new-session -d -s shots -x 120 -y 36 "WSTAB_DATA_DIR='$WORK' $BIN --workspace '$WORK/workspace.toml'"
wait_for "Disconnected"
shot start

keys Enter F5
wait_for " Connected "
keys Enter
type_text 'hello, gateway'
keys Enter
keys F2
type_text 'de ad be ef 00 01 02 03'
keys Enter F2 F2 F3
wait_for "← pong"
type_text '{"type":"joinGroup","group":"demo","ackId":1}'
keys Enter
wait_for '"ackId":1}'
# A lone Esc must reach wstab before the next key, or the terminal reads Esc+k as Alt-k.
keys Escape; sleep 0.3; keys k k k
shot session

keys G k Enter
wait_for "Esc close"
shot detail
keys Escape; sleep 0.3; keys F5
wait_for "Disconnected"

keys BTab BTab Down Down F5
wait_for "Handshake trace"
shot refused

keys Escape; sleep 0.3; keys Down F5
wait_for "msg/s"
sleep 1
shot stream

keys q
# Let wstab exit (and give the terminal back) before the tmux server goes.
for _ in $(seq 50); do t has-session -t shots 2>/dev/null || break; sleep 0.1; done
