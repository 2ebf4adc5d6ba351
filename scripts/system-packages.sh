# Sourced by test.sh: system tools some tests need, from Debian's packages when missing.
# clang + lld rebuild the committed wasm module to check it is current (tests/wasm);
# Chromium runs the browser tests (Playwright cannot download its own browser offline).
apt_missing=()
{ command -v clang >/dev/null && command -v wasm-ld >/dev/null; } || apt_missing+=(clang lld)
command -v chromium >/dev/null || apt_missing+=(chromium)
if ((${#apt_missing[@]})); then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}"
fi
