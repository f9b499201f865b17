# shellcheck shell=bash
# Shared helpers of the Node.js buildpack's bin/ scripts. Sourced, never executed.

# Heroku-style output: headers start with "----->", details are indented by 7 spaces, errors
# start with " !     " and go to stderr so the builder can tell them apart.
header() { printf -- '-----> %s\n' "$*"; }
info() { printf -- '       %s\n' "$*"; }
warn() { printf -- ' !     Warning: %s\n' "$*" >&2; }
error() {
  local line
  while IFS= read -r line; do printf -- ' !     %s\n' "$line" >&2; done <<<"$*"
  exit 1
}
# Indents a command's output like info, line by line as it comes (sed -u: no buffering, so a
# long npm install shows progress instead of everything at the end).
indent() { sed -u 's/^/       /'; }

# A URL as it may be printed: credentials in it (https://user:token@host/) are masked.
redact_url() { printf '%s' "$1" | sed -E 's#(://)[^/@]*@#\1***@#'; }

# fetch URL OUT [ACCEPT]: downloads with retries; fails on HTTP errors instead of saving them.
fetch() {
  local url=$1 out=$2 accept=${3:-}
  local args=(--fail --silent --show-error --location --retry 3 --retry-delay 2 --connect-timeout 20 --max-time 900 -o "$out")
  [ -n "$accept" ] && args+=(-H "Accept: $accept")
  curl "${args[@]}" "$url"
}
