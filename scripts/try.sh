#!/usr/bin/env bash
# `npm run try`: build the extension and open examples/task-assistant in a real VS Code with it.
# - Desktop VS Code (`code` on PATH): runs it with --extensionDevelopmentPath.
# - Otherwise: installs code-server (scripts/setupEditor.sh, cached), packages the extension, installs
#   it into a code-server profile under the cache and serves the example on http://127.0.0.1:$PORT
#   (default 8080, or the next free port) until Ctrl+C.
# LLMOPS_TRY_EDITOR=code|code-server forces one of the two.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$PWD"
WORKSPACE="$REPO/examples/task-assistant"
CACHE="${LLMOPS_CACHE:-$HOME/.cache/llmops-workbench}"
export ONNXRUNTIME_NODE_INSTALL=skip

say() { printf '\033[1m[try]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ -d "$WORKSPACE" ] || die "missing $WORKSPACE"

# 1. Dependencies: `npm ci` when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# 2. Build.
say "building (npm run build)"
npm run --silent build

editor="${LLMOPS_TRY_EDITOR:-}"
if [ -z "$editor" ]; then
  # `code` inside a code-server terminal is its remote CLI, which can't run a development extension host.
  if command -v code >/dev/null 2>&1 && [ -z "${VSCODE_IPC_HOOK_CLI:-}" ]; then editor=code; else editor=code-server; fi
fi

if [ "$editor" = code ]; then
  say "opening examples/task-assistant in VS Code with the extension from $REPO"
  exec code --extensionDevelopmentPath="$REPO" "$WORKSPACE"
fi
[ "$editor" = code-server ] || die "LLMOPS_TRY_EDITOR must be code or code-server (got $editor)"

# 3. code-server toolchain (first run: a few minutes; then cached).
say "checking the code-server toolchain (first run installs it: ~3-4 min)"
SETUP_ENV="$(bash scripts/setupEditor.sh)" || die "scripts/setupEditor.sh failed"
eval "$SETUP_ENV"
export PATH="$LLMOPS_NODE24_DIR/bin:$PATH"

# 4. Package and install the extension into a profile kept under the cache.
say "packaging (npm run package)"
npm run --silent package
VSIX="$REPO/out/llmops-workbench.vsix"
[ -f "$VSIX" ] || die "npm run package did not produce $VSIX"

PROFILE="$CACHE/try"
USER_DATA="$PROFILE/user-data"
EXTENSIONS="$PROFILE/extensions"
export XDG_CONFIG_HOME="$PROFILE/xdg-config" XDG_DATA_HOME="$PROFILE/xdg-data"
mkdir -p "$USER_DATA/User" "$EXTENSIONS" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
[ -f "$USER_DATA/User/settings.json" ] || cat > "$USER_DATA/User/settings.json" <<'JSON'
{
  "telemetry.telemetryLevel": "off",
  "workbench.startupEditor": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "git.openRepositoryInParentFolders": "never"
}
JSON
CS_ARGS=(--user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS")
"$LLMOPS_CODE_SERVER" "${CS_ARGS[@]}" --install-extension "$VSIX" --force >/dev/null \
  || die "could not install $VSIX into code-server"

# 5. Port: $PORT if given (must be free), else 8080 or the next free one.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -n "${PORT:-}" ]; then
  port_busy "$PORT" && die "port $PORT is in use (unset PORT to pick a free one)"
else
  PORT=8080
  while port_busy "$PORT"; do PORT=$((PORT + 1)); [ "$PORT" -lt 8180 ] || die "no free port in 8080-8179"; done
fi

# 6. Serve. code-server gets its own process group (setsid) so that Ctrl+C stops it and everything it
#    started (extension host, the LLMOps runtime, watchers).
setsid "$LLMOPS_CODE_SERVER" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "${CS_ARGS[@]}" "$WORKSPACE" &
CS_PID=$!
cleanup() {
  trap - EXIT INT TERM
  if kill -0 -- "-$CS_PID" 2>/dev/null; then
    say "stopping code-server"
    kill -- "-$CS_PID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$CS_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq 150); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CS_PID" 2>/dev/null || die "code-server exited during startup"
  sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 || die "code-server did not answer on port $PORT"

URL="http://127.0.0.1:$PORT/?folder=$WORKSPACE"
say "LLMOps Workbench is running in code-server. Open:"
printf '\n    %s\n\n' "$URL"
say "(from another machine: ssh -L $PORT:127.0.0.1:$PORT <this host>). Ctrl+C to stop."
wait "$CS_PID"
