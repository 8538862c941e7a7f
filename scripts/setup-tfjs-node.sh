#!/usr/bin/env bash
# Makes @tensorflow/tfjs-node (the native TensorFlow.js backend) load on this machine from package
# registries only. Its own install step downloads libtensorflow 2.9.1 from a host outside the
# registries; instead this links the libtensorflow of the tensorflow-cpu wheel that
# scripts/setup-python.sh installs from PyPI (libtensorflow_cc.so.2 exports the TF_*/TFE_* C API
# the binding calls, and the wheel ships the C headers), then compiles the binding with node-gyp
# against this Node's own headers. Idempotent: when the backend already loads it only says so.
#
# Once it loads, ECGFLOW_TF_BACKEND=auto (the default) picks it over wasm; remove
# node_modules/@tensorflow/tfjs-node to go back.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PKG="$ROOT/node_modules/@tensorflow/tfjs-node"

loads() {
  TF_CPP_MIN_LOG_LEVEL=2 node --input-type=module -e "
    const tf = await import('@tensorflow/tfjs-node');
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]])).dataSync();
    if (product[0] !== 3 || product[1] !== 7) throw new Error('wrong product ' + product);
  " >/dev/null 2>&1
}

if [ -f "$PKG/package.json" ] && loads; then
  echo "@tensorflow/tfjs-node loads (backend 'tensorflow')" >&2
  exit 0
fi

PYTHON="$(bash "$ROOT/scripts/setup-python.sh")"
# Located without importing tensorflow, which takes seconds.
TF_DIR="$("$PYTHON" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("tensorflow").origin))')"
for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2 include/tensorflow/c/c_api.h include/tensorflow/c/eager/c_api.h; do
  [ -e "$TF_DIR/$f" ] || { echo "setup-tfjs-node: $TF_DIR/$f is missing from the tensorflow wheel" >&2; exit 1; }
done

# tfjs-node requires exactly the TensorFlow.js version it was released with; the project's tfjs-core
# must be that one, or the backend would register with a second copy of it.
TFJS_VERSION="$(node -p 'require("@tensorflow/tfjs-core/package.json").version')"
if [ ! -f "$PKG/package.json" ] || [ "$(node -p "require('$PKG/package.json').version")" != "$TFJS_VERSION" ]; then
  echo "installing @tensorflow/tfjs-node@$TFJS_VERSION without its download step..." >&2
  # --ignore-scripts reaches only the packages this adds (tfjs-node and its helpers); --no-save
  # leaves package.json and the lock file as they are (it is already an optional dependency).
  npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error "@tensorflow/tfjs-node@$TFJS_VERSION" >&2
fi

# The layout the package's binding.gyp and install script expect: deps/include and deps/lib, with
# libtensorflow.so.2.9.1 present so that a later `npm rebuild` does not try the download again.
mkdir -p "$PKG/deps/lib"
ln -sfn "$TF_DIR/include" "$PKG/deps/include"
for name in libtensorflow.so libtensorflow.so.2 libtensorflow.so.2.9.1 libtensorflow_cc.so.2; do
  ln -sfn "$TF_DIR/libtensorflow_cc.so.2" "$PKG/deps/lib/$name"
done
for name in libtensorflow_framework.so libtensorflow_framework.so.2 libtensorflow_framework.so.2.9.1; do
  ln -sfn "$TF_DIR/libtensorflow_framework.so.2" "$PKG/deps/lib/$name"
done

# Node's headers: the nodejs package installs them beside the binary (nodejs.org, where node-gyp
# would fetch them, is out of reach). The binding uses only N-API, so any of this Node's headers do.
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
NODEDIR="${npm_config_nodedir:-$NODE_PREFIX}"
if [ ! -f "$NODEDIR/include/node/node_api.h" ] || [ ! -f "$NODEDIR/include/node/common.gypi" ]; then
  echo "setup-tfjs-node: no Node headers under $NODEDIR/include/node; install the nodejs package that ships them, or set npm_config_nodedir" >&2
  exit 1
fi
NODE_GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || NODE_GYP="$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || { echo "setup-tfjs-node: node-gyp (bundled with npm) not found" >&2; exit 1; }
for tool in make g++ python3; do
  command -v "$tool" >/dev/null || { echo "setup-tfjs-node: $tool is needed to compile the binding (Debian: apt-get install build-essential python3)" >&2; exit 1; }
done

# Where the package looks for its binding: lib/napi-v<N>/tfjs_binding.node, N chosen by node-pre-gyp
# from this Node's N-API version. One build for that N, not one per listed version.
BINDING="$(node -e "
  const { createRequire } = require('module');
  const req = createRequire('$PKG/package.json');
  console.log(req('@mapbox/node-pre-gyp').find('$PKG/package.json'));
")"
NAPI_VERSION="$(basename "$(dirname "$BINDING")" | sed 's/^napi-v//')"
echo "compiling the tfjs-node binding (N-API $NAPI_VERSION) against $TF_DIR..." >&2
(
  cd "$PKG"
  node "$NODE_GYP" rebuild --loglevel=warn --nodedir="$NODEDIR" --jobs="$(nproc)" \
    --module_name=tfjs_binding --module_path="$(dirname "$BINDING")" --napi_build_version="$NAPI_VERSION" >/dev/null
)
[ -f "$BINDING" ] || { echo "setup-tfjs-node: the build finished without $BINDING" >&2; exit 1; }
rm -rf "$PKG/build"

if ! loads; then
  echo "setup-tfjs-node: the binding was built but @tensorflow/tfjs-node still does not load:" >&2
  TF_CPP_MIN_LOG_LEVEL=2 node --input-type=module -e "await import('@tensorflow/tfjs-node')" >&2 || true
  exit 1
fi
echo "@tensorflow/tfjs-node loads (backend 'tensorflow', libtensorflow from $TF_DIR)" >&2
