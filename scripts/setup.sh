#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian 12 machine with Node 20, and only
# what is missing: system packages via apt-get, npm packages via `npm ci`. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
command -v socat >/dev/null 2>&1 || need_apt+=(socat)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
# A CJK font, so the console's Chinese labels render in Chromium (tests' screenshots).
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
# Model training/evaluation smoke tests use Debian's torch and onnx with the system python.
/usr/bin/python3 -c 'import torch, onnx, numpy, PIL' >/dev/null 2>&1 || need_apt+=(python3-torch python3-onnx python3-numpy python3-pil)
# The PostgreSQL store and its tests (127.0.0.1:5432, user postgres; scripts/postgres-start.sh starts it).
install_pg=0
command -v pg_ctlcluster >/dev/null 2>&1 || { need_apt+=(postgresql); install_pg=1; }

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  if [ "$install_pg" -eq 1 ]; then
    # a PostgreSQL this script installed: the tests' user postgres may connect over loopback without
    # a password (trust), as on the CI machine; an existing installation's pg_hba.conf is left alone
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" ||
        $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    done
  fi
fi

# package.json allowScripts denies onnxruntime-node's postinstall (a CUDA download); an npm without
# allowScripts (npm 10, bundled with Node 20) reads this instead.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || ! cmp -s <(node -e 'process.stdout.write(JSON.stringify(require("./package-lock.json").packages[""]))') \
     <(node -e 'try{process.stdout.write(JSON.stringify(require("./node_modules/.setup-root.json")))}catch{}'); then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  node -e 'require("fs").writeFileSync("node_modules/.setup-root.json", JSON.stringify(require("./package-lock.json").packages[""]))'
fi
