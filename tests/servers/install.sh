#!/usr/bin/env bash
# Install the Debian packages the real-mail-server test harness needs.
#
#   tests/servers/install.sh
#
# Idempotent and fast when everything is already there: it asks dpkg first
# and only runs apt-get for what is missing. Must run as root (or via sudo).
#
# Packages:
#   postfix        - the SMTP server under test (its own instance, see up.sh)
#   dovecot-core   - SASL authentication server for Postfix
#   dovecot-imapd  - IMAP, for checking delivered mail (the `mailbox` step)
#   dovecot-lmtpd  - LMTP, for the LMTP tests (TCP and a Unix socket)
#   openssl        - certificate generation and TLS probing
#   libxml2-utils  - xmllint, used by the test suite
#   python3        - used by the smoke checks (normally already installed)
#   prometheus-node-exporter - reads the --metrics file back through its textfile collector
#   chromium       - headless browser that opens the --html report (console errors, screenshot)
#   krb5-kdc, krb5-admin-server, krb5-user - a private Kerberos KDC (kdc.sh), kadmin.local, kinit
#   dovecot-gssapi - Dovecot's GSSAPI mechanism, so Postfix offers AUTH GSSAPI
#   libkrb5-dev, libclang-dev, pkg-config - to build smtp-plan's `gssapi` feature (the libgssapi
#                    crate binds MIT's GSS-API with bindgen); scripts/test builds with it
#   faketime       - libfaketime: a test moves smtp-plan's clock hours on to see a Kerberos
#                    ticket expired, instead of waiting for it (tests/gssapi.rs)
#   strace         - a test starts its late server once it sees the client's connection refused
#                    (tests/plans.rs), instead of after a while
set -euo pipefail

PACKAGES=(postfix dovecot-core dovecot-imapd dovecot-lmtpd openssl libxml2-utils python3 prometheus-node-exporter chromium
          krb5-kdc krb5-admin-server krb5-user dovecot-gssapi libkrb5-dev libclang-dev pkg-config
          faketime strace)

# Which of them are not fully installed yet?
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install.sh: all packages present (${PACKAGES[*]})"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

echo "install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Preseed postfix so it neither prompts nor writes a system-wide main.cf.
# Our own instance gets its whole configuration from up.sh.
$SUDO debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string mail.example.test
krb5-config krb5-config/default_realm string EXAMPLE.TEST
krb5-config krb5-config/add_servers_realm string EXAMPLE.TEST
krb5-config krb5-config/add_servers boolean false
krb5-config krb5-config/read_conf boolean true
SEL

# Keep the package scripts from starting the *system* postfix/dovecot services
# (there is no init system here, and we never want them running anyway).
# Only install a policy-rc.d if there is none, and remove exactly that one.
POLICY=/usr/sbin/policy-rc.d
created_policy=no
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# temporary, created by smtp-plan tests/servers/install.sh\nexit 101\n' \
        | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 755 "$POLICY"
    created_policy=yes
fi
cleanup() {
    if [ "$created_policy" = yes ]; then
        $SUDO rm -f "$POLICY"
    fi
}
trap cleanup EXIT

# Package lists may be missing on a fresh machine.
if ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
    $SUDO apt-get update -qq
fi

$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

echo "install.sh: done"
