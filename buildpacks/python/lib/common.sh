# shellcheck shell=bash
# Shared helpers of this buildpack's bin/ scripts. Sourced, never executed. Every built-in
# buildpack carries its own copy, so that each one can be used on its own, by folder or URL.

# Heroku-style output: headers start with "----->", details are indented by 7 spaces, errors
# start with " !     " and go to stderr so the builder can tell them apart.
header() { printf -- '-----> %s\n' "$*"; }
info() { printf -- '       %s\n' "$*"; }
warn() { printf -- ' !     Warning: %s\n' "$*" >&2; }
# error LINE...: prints each argument (and each line within one) as an error line, then exits 1.
error() {
  local arg line
  for arg in "$@"; do
    while IFS= read -r line; do printf -- ' !     %s\n' "$line" >&2; done <<<"$arg"
  done
  exit 1
}
# Indents a command's output like info, line by line as it comes (no buffering).
indent() { sed -u 's/^/       /'; }

# compile_args "$@": checks bin/compile's arguments and sets BUILD_DIR, CACHE_DIR, ENV_DIR
# (absolute; CACHE_DIR created).
compile_args() {
  BUILD_DIR=${1:-}
  CACHE_DIR=${2:-}
  ENV_DIR=${3:-}
  if [ -z "$BUILD_DIR" ] || [ -z "$CACHE_DIR" ]; then error "usage: bin/compile BUILD_DIR CACHE_DIR [ENV_DIR]"; fi
  [ -d "$BUILD_DIR" ] || error "The build directory $BUILD_DIR does not exist."
  BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
  mkdir -p "$CACHE_DIR" || error "Cannot create the cache directory $CACHE_DIR."
  CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
}

# export_env_dir ENV_DIR: Heroku semantics, every file in ENV_DIR is a config var, exported so
# the build sees it. Values are never printed. Variables that would break the build machinery
# itself are skipped, as on Heroku.
export_env_dir() {
  local dir=${1:-} file name
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  for file in "$dir"/*; do
    [ -f "$file" ] || continue
    name=$(basename "$file")
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case $name in PATH | GIT_DIR | CPATH | CPPATH | LD_PRELOAD | LIBRARY_PATH | LD_LIBRARY_PATH | HOME) continue ;; esac
    export "$name=$(cat "$file")"
  done
}

# sha256_of FILE...: one hash of the contents (missing files count as empty, by name).
sha256_of() {
  local f
  for f in "$@"; do
    printf '%s\n' "$f"
    [ -f "$f" ] && cat "$f"
  done | sha256sum | cut -d' ' -f1
}

# version_matches WANTED ACTUAL: true when WANTED ("3", "3.11", "3.11.2") names ACTUAL component
# by component; fewer components mean "any" for the rest.
version_matches() {
  local wanted=$1 actual=$2
  [[ $actual == "$wanted" || $actual == "$wanted".* ]]
}

# save_dir SRC DEST: replaces DEST with a copy of SRC, via a temporary sibling, so an
# interrupted copy never leaves a half-written DEST behind.
save_dir() {
  local src=$1 dest=$2
  rm -rf "$dest.partial"
  mkdir -p "$(dirname "$dest")"
  cp -a "$src" "$dest.partial"
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
}
