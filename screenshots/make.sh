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

cargo build --quiet --bin wstab
BIN=target/debug/wstab

# --- the backend: the embedded demo ----------------------------------------------------------
# `wstab` with no --workspace opens the demo (gateway + Web PubSub-style hub + echo + ticker, all
# in-process). A temp config dir keeps the user's own profiles out of the pictures, and no
# DISPLAY keeps copies off the system clipboard.
WORK=$(mktemp -d)
SOCK="wstab-shots-$$"
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

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
t new-session -d -s shots -x 120 -y 36 \
  "WSTAB_CONFIG_DIR='$WORK' WSTAB_DATA_DIR='$WORK' DISPLAY= WAYLAND_DISPLAY= $BIN"
wait_for "Disconnected"
shot start

# Chat: Ctrl-O picks the API's sample joinGroup into the composer; the hub acks it, then a
# sendToGroup comes back to the group (us included) with its ack.
keys Down Enter C-o
wait_for "Saved messages"
keys Enter F5
wait_for " Connected "
keys Enter
wait_for '"ackId":1,'
type_text '{"type":"sendToGroup","group":"lobby","dataType":"json","data":{"text":"hello, lobby"},"ackId":2}'
keys Enter
wait_for '"ackId":2,'
wait_for '{"data":{"text":"hello, lobby"}'
shot chat

# The hub's group message opened in full, pretty-printed.
# A lone Esc must reach wstab before the next key, or the terminal reads Esc+k as Alt-k.
keys Escape; sleep 0.3
keys G k Enter
wait_for "Esc close"
shot detail
keys Escape; sleep 0.3

# The chat's access_token, decoded (i on Request), with its countdown beside the value.
keys BTab i
wait_for "Token · query parameter access_token"
shot token
keys Escape; sleep 0.3; keys F5
wait_for "Disconnected"

# Echo with a wrong subscription key: the gateway answers 401 with APIM's message, and the trace
# opens by itself with the hint. (A disabled required key would not get that far: F5 refuses to
# connect and names it.)
keys BTab Up Tab Enter C-u
type_text 'not-the-key'
keys Enter F5
wait_for "Handshake trace"
shot refused
keys Escape; sleep 0.3

# The copy menu over the request.
keys y
wait_for "the request URL (secrets masked)"
shot copy
keys Escape; sleep 0.3

# The ticker: a fast stream, followed, with its rate.
keys BTab Down Down F5
wait_for "msg/s"
sleep 1.5
shot stream

keys q
# Let wstab exit (and give the terminal back) before the tmux server goes.
for _ in $(seq 50); do t has-session -t shots 2>/dev/null || break; sleep 0.1; done

# A user's own endpoint: `wstab URL` on a gateway's chat API (here `wstab demo --serve`, standing
# in for APIM and Web PubSub), then the Client Access URL `wstab token` prints (as the portal's
# Keys tab gives it) pasted into Request: only its token is taken, and F5 connects through the
# gateway.
$BIN demo --serve --port 0 >"$WORK/demo.json" 2>/dev/null &
DEMO_PID=$!
trap 'kill "$DEMO_PID" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 100); do [ -s "$WORK/demo.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])" "$WORK/demo.json" "$1"; }
GATEWAY=$(field gateway)
CLIENT_ACCESS_URL=$($BIN token --connection-string "$(field connection_string)" --hub chat --user alice \
  --role webpubsub.joinLeaveGroup --role webpubsub.sendToGroup)
t new-session -d -s own -x 120 -y 36 \
  "WSTAB_CONFIG_DIR='$WORK' WSTAB_DATA_DIR='$WORK' DISPLAY= WAYLAND_DISPLAY= $BIN \
   '$GATEWAY/client/hubs/chat?subscription-key=$(field subscription_key)' -s json.webpubsub.azure.v1"
own_wait() {
  for _ in $(seq 100); do t capture-pane -p -t own | grep -qF -- "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for: $1" >&2; t capture-pane -p -t own >&2; exit 1
}
own_wait "subscription-key"
t send-keys -t own Tab
t set-buffer -b cau -- "$CLIENT_ACCESS_URL"
t paste-buffer -p -d -b cau -t own
own_wait "took access_token from the pasted URL"
t send-keys -t own F5
own_wait connectionId
sleep 0.3
t capture-pane -e -p -t own >"$WORK/own.ansi"
python3 "$OUT/render.py" "$WORK/own.ansi" "$OUT/own.png"
echo "wrote $OUT/own.png"
t send-keys -t own C-c
for _ in $(seq 50); do t has-session -t own 2>/dev/null || break; sleep 0.1; done
