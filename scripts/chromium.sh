# Sourced by test.sh: the browser tests drive Debian's Chromium (Playwright's own browser
# download does not work offline), installed with apt when it is missing.
if [ ! -x /usr/bin/chromium ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
