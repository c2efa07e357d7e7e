# Sourced by bench/llama_cpp_reference.sh and scripts/llama_cpp_interop.sh:
# llama.cpp's tools, built once for measurements and cross-checks outside CI.
#
# llama_cpp_build DIR TARGET...
#   Builds the llama.cpp CMake targets (llama-bench, llama-simple, ...) in
#   DIR/build unless they are there. With DIR empty it uses the llama.cpp source
#   tree that the npm package node-llama-cpp ships (a git bundle), fetched once
#   into ${XDG_CACHE_HOME:-~/.cache}/capsfusion: node-llama-cpp
#   $LLAMA_CPP_NPM_VERSION when set, else 3.22.1 (llama.cpp de3ff81, September
#   2026); 3.6.0 ships llama.cpp b4753 (February 2025). Sets LLAMA_CPP_BIN (the
#   tools' folder) and LLAMA_CPP_VERSION (commit and date). Needs npm on first
#   use, git, cmake, ninja and a C++ compiler; a full build takes about ten
#   minutes on two cores.
LLAMA_CPP_NPM_VERSION=${LLAMA_CPP_NPM_VERSION:-3.22.1}

llama_cpp_build() {
  local dir=$1
  shift
  if [ -z "$dir" ]; then
    dir="${XDG_CACHE_HOME:-$HOME/.cache}/capsfusion/llama.cpp-node-llama-cpp-$LLAMA_CPP_NPM_VERSION"
    if [ ! -f "$dir/CMakeLists.txt" ]; then
      echo "llama.cpp: fetching the llama.cpp source of node-llama-cpp $LLAMA_CPP_NPM_VERSION from npm" >&2
      local tmp
      tmp=$(mktemp -d)
      (cd "$tmp" && npm pack --silent "node-llama-cpp@$LLAMA_CPP_NPM_VERSION" >/dev/null && tar xzf ./*.tgz)
      mkdir -p "$(dirname "$dir")"
      git clone -q "$tmp/package/llama/gitRelease.bundle" "$dir" 2>/dev/null
      rm -rf "$tmp"
    fi
  fi
  [ -f "$dir/CMakeLists.txt" ] || { echo "llama.cpp: no llama.cpp source tree in $dir" >&2; return 1; }
  local missing=() t
  for t in "$@"; do [ -x "$dir/build/bin/$t" ] || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "llama.cpp: building ${missing[*]} in $dir/build" >&2
    cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
      -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=OFF >/dev/null
    cmake --build "$dir/build" --target "${missing[@]}" >/dev/null
  fi
  LLAMA_CPP_BIN="$dir/build/bin"
  LLAMA_CPP_VERSION=$(cd "$dir" && git log -1 --format='%h, %cs' 2>/dev/null || echo "unknown")
}
