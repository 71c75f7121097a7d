#!/usr/bin/env bash
# Start a private, loopback-only Postfix + Dovecot pair for smtp-plan's tests.
#
#   tests/servers/up.sh RUNDIR
#
# Everything lives under RUNDIR (created if missing): certificates, the Postfix
# config/queue/data directories, the Dovecot config and runtime directories,
# the Maildirs and the logs. The system's /etc/postfix and /etc/dovecot are
# only read (Postfix's meta files), never changed, and no system service is
# started. Ports are SMTP_PLAN_PORT_BASE (default 20000) + 25/465/587/26..32/35
# (Postfix), 143/993 (Dovecot IMAP), 24 (Dovecot LMTP, also on the Unix socket
# RUNDIR/dovecot-run/lmtp) and 88 (a Kerberos KDC, tests/servers/kdc.sh, for AUTH
# GSSAPI), so runs with different bases coexist.
#
# On success it writes RUNDIR/env (source it) and prints it. On failure it
# prints the reason plus the log tails, stops whatever it started and exits 1.
# Stop with tests/servers/down.sh RUNDIR.
#
# Needs root (Postfix and Dovecot drop privileges themselves) and the
# packages from tests/servers/install.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/servers/wait.sh
source "$HERE/wait.sh"
START_NS=$(date +%s%N)

die() { echo "up.sh: error: $*" >&2; exit 1; }
log() { echo "up.sh: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 RUNDIR"
[ "$(id -u)" -eq 0 ] || die "must run as root (Postfix and Dovecot need it to start)"
for bin in postfix postconf dovecot openssl runuser krb5kdc; do
    command -v "$bin" >/dev/null || die "'$bin' not found - run tests/servers/install.sh first"
done
[ -f /usr/lib/dovecot/modules/auth/libmech_gssapi.so ] || die "Dovecot's GSSAPI module (package dovecot-gssapi) is missing - run tests/servers/install.sh first"
[ -x /usr/lib/dovecot/imap ] || die "Dovecot's IMAP server (package dovecot-imapd) is missing - run tests/servers/install.sh first"
[ -x /usr/lib/dovecot/lmtp ] || die "Dovecot's LMTP server (package dovecot-lmtpd) is missing - run tests/servers/install.sh first"

# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------
mkdir -p -- "$1"
RUNDIR=$(cd -- "$1" && pwd -P)
case "$RUNDIR" in
    *[[:space:]]* | *[\'\"\$\\,\;:=]*) die "RUNDIR must not contain spaces or any of ' \" \$ \\ , ; : = ($RUNDIR)" ;;
esac

HOST=127.0.0.1
BASE=${SMTP_PLAN_PORT_BASE:-20000}
if ! [[ "$BASE" =~ ^[0-9]+$ ]] || [ "$BASE" -lt 1024 ] || [ "$BASE" -gt 64900 ]; then
    die "SMTP_PLAN_PORT_BASE must be an integer in 1024..64900 (got '$BASE')"
fi
PORT_SMTP=$((BASE + 25))        # STARTTLS optional, AUTH before and after TLS
PORT_SMTPS=$((BASE + 465))      # implicit TLS, AUTH required for mail
PORT_SUBMISSION=$((BASE + 587)) # STARTTLS required, AUTH only after TLS, AUTH required
PORT_EXPIRED=$((BASE + 26))     # like smtp, but an expired certificate
PORT_WRONGNAME=$((BASE + 27))   # like smtp, certificate for wrong.example.test
PORT_SELFSIGNED=$((BASE + 28))  # like smtp, self-signed certificate
PORT_CLIENTCERT=$((BASE + 29))  # STARTTLS required, client certificate required
PORT_SELFSIGNED_CA=$((BASE + 30)) # like smtp, self-signed the usual way (marked as a CA)
PORT_XCLIENT=$((BASE + 31))     # like smtp, XCLIENT and XFORWARD allowed from loopback
PORT_PROXY=$((BASE + 32))       # like smtp behind a load balancer: PROXY protocol v1/v2 first
PORT_GSSAPI=$((BASE + 35))      # like smtp, and AUTH GSSAPI offered too (the others hide it)
PORT_KDC=$((BASE + 88))         # the Kerberos KDC of realm EXAMPLE.TEST (UDP and TCP)
PORT_IMAP=$((BASE + 143))       # Dovecot IMAP, STARTTLS (plaintext login allowed too)
PORT_IMAPS=$((BASE + 993))      # Dovecot IMAP, implicit TLS
PORT_LMTP=$((BASE + 24))        # Dovecot LMTP (and on the Unix socket $DC_BASE/lmtp)
ALL_PORTS=("$PORT_SMTP" "$PORT_SMTPS" "$PORT_SUBMISSION" "$PORT_EXPIRED"
           "$PORT_WRONGNAME" "$PORT_SELFSIGNED" "$PORT_CLIENTCERT" "$PORT_SELFSIGNED_CA"
           "$PORT_XCLIENT" "$PORT_GSSAPI" "$PORT_IMAP" "$PORT_IMAPS" "$PORT_LMTP")
# Checked for being free, but not probed for a greeting: the PROXY port greets only after
# a PROXY header (smtp-plan's tests check it).
EXTRA_PORTS=("$PORT_PROXY" "$PORT_KDC")

USER1=alice@example.test  PASS1='Al1ce-S3cret!pw'
USER2=bob@example.test    PASS2='B0b-S3cret!pw'
# Non-ASCII, with a space, stored as SASLprep (RFC 4013) leaves it (NFC): SCRAM with an
# equivalent spelling (decomposed umlauts, a no-break space) must log in (tests/saslprep.rs).
USER3=carol@example.test  PASS3='Cäröl Pässwört-3'

# Mail is stored as nobody:nogroup (the virtual delivery agent refuses root).
VMAIL_UID=$(id -u nobody)
VMAIL_GID=$(getent group nogroup | cut -d: -f3)

# Seconds to wait for each server to start, and the key type of all certificates.
READY_TIMEOUT=${SMTP_PLAN_READY_TIMEOUT:-20}
KEY_TYPE=${SMTP_PLAN_CERT_KEY_TYPE:-ec}   # ec (P-256) or rsa (2048 bit)

CERTS=$RUNDIR/certs
PF_CONF=$RUNDIR/postfix-conf
PF_QUEUE=$RUNDIR/postfix-queue
PF_DATA=$RUNDIR/postfix-data
DC_CONF_DIR=$RUNDIR/dovecot
DC_CONF=$DC_CONF_DIR/dovecot.conf
DC_BASE=$RUNDIR/dovecot-run
DC_STATE=$RUNDIR/dovecot-state
DC_INDEX=$RUNDIR/dovecot-index
MAILDIR=$RUNDIR/maildir
PF_LOG=$RUNDIR/postfix.log
DC_LOG=$RUNDIR/dovecot.log

# --------------------------------------------------------------------------
# 1. Clean slate: stop whatever an earlier (maybe crashed) run left behind in
#    this RUNDIR - also the servers tests started for themselves in RUNDIR/own
#    (hold.sh) - then remove only the things this script and those tests create.
# --------------------------------------------------------------------------
"$HERE/down.sh" "$RUNDIR" >/dev/null || die "could not stop the servers of an earlier run in $RUNDIR"
rm -rf -- "$CERTS" "$PF_CONF" "$PF_QUEUE" "$PF_DATA" "$DC_CONF_DIR" "$DC_BASE" \
          "$DC_STATE" "$DC_INDEX" "$MAILDIR" "$PF_LOG" "$DC_LOG" "$RUNDIR/env" "$RUNDIR/pids" \
          "$RUNDIR/postfix-start.out" "$RUNDIR/dovecot-start.out" "$RUNDIR/own"

# The daemons run as postfix, dovecot and nobody: they must reach RUNDIR.
# (mktemp -d makes 0700 directories; we may open up our own directory, but
# not its parents.)
chmod 0755 "$RUNDIR"
for u in postfix dovecot nobody; do
    runuser -u "$u" -- test -x "$RUNDIR" \
        || die "user '$u' cannot reach $RUNDIR - make its parent directories world-searchable (chmod o+x)"
done

# Refuse to start on ports that something else already listens on.
for port in "${ALL_PORTS[@]}" "${EXTRA_PORTS[@]}"; do
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
        die "port $HOST:$port is already in use (set SMTP_PLAN_PORT_BASE to another base)"
    fi
done

mkdir -p "$CERTS" "$PF_CONF" "$PF_QUEUE" "$PF_DATA" "$DC_CONF_DIR" "$DC_STATE" "$MAILDIR"
# Postfix wants its queue directory root-owned, its data directory its own.
chown postfix:postfix "$PF_DATA"
chmod 0700 "$PF_DATA"

# --------------------------------------------------------------------------
# 2. Certificates (openssl CLI, all X.509 v3)
#    ca.pem          "smtp-plan Test CA"
#    server.pem      CN=localhost, SAN DNS:localhost IP:127.0.0.1   (by the CA)
#    expired.pem     like server.pem, valid 2020-01-01..2021-01-01  (by the CA)
#    wrongname.pem   CN/SAN wrong.example.test only                 (by the CA)
#    selfsigned.pem  like server.pem, but self-signed (not by the CA)
#    client.pem      TLS client certificate                         (by the CA)
# --------------------------------------------------------------------------
case "$KEY_TYPE" in
    ec)  KEY_ALG=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256); LEAF_KU="digitalSignature" ;;
    rsa) KEY_ALG=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048); LEAF_KU="digitalSignature, keyEncipherment" ;;
    *)   die "SMTP_PLAN_CERT_KEY_TYPE must be ec or rsa (got '$KEY_TYPE')" ;;
esac

mkdir -p "$CERTS/ca-db/new"
: >"$CERTS/ca-db/index.txt"
cat >"$CERTS/openssl.cnf" <<EOF
# Generated by tests/servers/up.sh: the smtp-plan test CA and its profiles.
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]

[ ca ]
default_ca = test_ca
[ test_ca ]
dir             = $CERTS/ca-db
database        = \$dir/index.txt
new_certs_dir   = \$dir/new
rand_serial     = yes
certificate     = $CERTS/ca.pem
private_key     = $CERTS/ca.key
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = no
[ policy_any ]
organizationName = optional
commonName       = supplied

[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ server_localhost ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, $LEAF_KU
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ server_wrongname ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, $LEAF_KU
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:wrong.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, $LEAF_KU
extendedKeyUsage       = clientAuth
subjectAltName         = email:client@example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF

# newkey NAME: a fresh private key (PKCS#8 PEM) in certs/NAME.key
newkey() { openssl genpkey "${KEY_ALG[@]}" -out "$CERTS/$1.key" 2>/dev/null; }

# casign NAME SUBJECT PROFILE STARTDATE ENDDATE: certs/NAME.pem signed by the CA
casign() {
    local name=$1 subj=$2 profile=$3 start=$4 end=$5
    newkey "$name"
    openssl req -new -config "$CERTS/openssl.cnf" -key "$CERTS/$name.key" \
        -subj "$subj" -out "$CERTS/$name.csr"
    openssl ca -batch -notext -config "$CERTS/openssl.cnf" -extensions "$profile" \
        -startdate "$start" -enddate "$end" \
        -in "$CERTS/$name.csr" -out "$CERTS/$name.pem" 2>"$CERTS/$name.ca.log" \
        || { cat "$CERTS/$name.ca.log" >&2; die "openssl ca failed for $name"; }
    rm -f "$CERTS/$name.csr" "$CERTS/$name.ca.log"
}

# Validity: from one hour ago (no "not yet valid" surprises) for about 2 years.
NOW_MINUS_1H=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)
IN_2_YEARS=$(date -u -d '+825 days' +%Y%m%d%H%M%SZ)

newkey ca
openssl req -x509 -new -config "$CERTS/openssl.cnf" -extensions v3_ca \
    -key "$CERTS/ca.key" -subj "/O=smtp-plan/CN=smtp-plan Test CA" \
    -days 3650 -out "$CERTS/ca.pem"

casign server    "/CN=localhost"             server_localhost "$NOW_MINUS_1H" "$IN_2_YEARS"
casign expired   "/CN=localhost"             server_localhost 20200101000000Z 20210101000000Z
casign wrongname "/CN=wrong.example.test"    server_wrongname "$NOW_MINUS_1H" "$IN_2_YEARS"
casign client    "/O=smtp-plan/CN=smtp-plan test client" client "$NOW_MINUS_1H" "$IN_2_YEARS"

# Self-signed: same names as the good one, but its own issuer.
newkey selfsigned
openssl req -x509 -new -config "$CERTS/openssl.cnf" -extensions server_localhost \
    -key "$CERTS/selfsigned.key" -subj "/CN=localhost" -days 825 -out "$CERTS/selfsigned.pem"

# Self-signed the way most admins make one: `openssl req -x509` with OpenSSL's own defaults,
# which mark it as a CA (basicConstraints CA:TRUE).
newkey selfsignedca
openssl req -x509 -new -key "$CERTS/selfsignedca.key" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -days 825 \
    -out "$CERTS/selfsignedca.pem" 2>/dev/null
openssl x509 -in "$CERTS/selfsignedca.pem" -noout -text | grep -q "CA:TRUE" \
    || die "openssl req -x509 did not mark selfsignedca.pem as a CA"
SELFSIGNED_CA_SHA256=$(openssl x509 -in "$CERTS/selfsignedca.pem" -noout -fingerprint -sha256 | sed 's/^.*=//')

# Keys: readable by root only (Postfix reads them before dropping privileges).
chmod 0600 "$CERTS"/*.key
chmod 0644 "$CERTS"/*.pem

# --------------------------------------------------------------------------
# 3. Postfix: its own main.cf/master.cf under RUNDIR
# --------------------------------------------------------------------------
cat >"$PF_CONF/vmailbox" <<EOF
# Virtual mailboxes: address -> Maildir (relative to virtual_mailbox_base,
# the trailing slash selects Maildir format).
$USER1 alice/
$USER2 bob/
# Mail to junk@ lands in alice's Junk folder (a Maildir++ sub-folder): a
# stand-in for a spam filter that files a message elsewhere.
junk@example.test alice/.Junk/
# Mail to dropped@ is accepted and thrown away (see transport): a relay that drops.
dropped@example.test dropped/
EOF

cat >"$PF_CONF/transport" <<EOF
dropped@example.test discard:dropped by the smtp-plan test server
EOF

ERROR_TRANSPORT="error:5.7.1 outbound delivery is disabled on this test server"

cat >"$PF_CONF/main.cf" <<EOF
# Generated by tests/servers/up.sh - a private Postfix instance for tests.
# Only reachable on $HOST; delivers to Maildirs under $MAILDIR;
# never relays anything anywhere and never uses DNS.
compatibility_level = 3.6

# --- this instance's own directories and log
queue_directory = $PF_QUEUE
data_directory  = $PF_DATA
maillog_file          = $PF_LOG
maillog_file_prefixes = $RUNDIR
mail_owner   = postfix
setgid_group = postdrop

# --- identity and network
myhostname  = mail.example.test
mydomain    = example.test
myorigin    = \$myhostname
smtpd_banner = \$myhostname ESMTP Postfix
inet_interfaces = $HOST
inet_protocols  = ipv4
# No client is trusted by address, not even 127.0.0.1: relaying needs AUTH.
mynetworks_style = host
mynetworks =

# --- nothing is local, nothing leaves, no DNS
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
local_transport   = $ERROR_TRANSPORT
relay_transport   = $ERROR_TRANSPORT
default_transport = $ERROR_TRANSPORT
smtp_dns_support_level  = disabled
lmtp_dns_support_level  = disabled
smtpd_peername_lookup   = no
append_dot_mydomain = no
biff = no

# --- the one domain we deliver: example.test -> Maildirs
virtual_mailbox_domains = example.test
virtual_mailbox_base    = $MAILDIR
virtual_mailbox_maps    = texthash:$PF_CONF/vmailbox
virtual_uid_maps        = static:$VMAIL_UID
virtual_gid_maps        = static:$VMAIL_GID
transport_maps          = texthash:$PF_CONF/transport

# --- SASL through our Dovecot (socket: $PF_QUEUE/private/auth)
smtpd_sasl_auth_enable       = yes
smtpd_sasl_type              = dovecot
smtpd_sasl_path              = private/auth
smtpd_sasl_security_options  = noanonymous
smtpd_sasl_tls_security_options = noanonymous
# Dovecot offers GSSAPI too; only the gssapi listener (master.cf) advertises it.
smtpd_sasl_mechanism_filter = !gssapi, !external, static:rest

# --- TLS (per-listener variations are in master.cf)
smtpd_tls_security_level = may
smtpd_tls_auth_only      = no
smtpd_tls_cert_file      = $CERTS/server.pem
smtpd_tls_key_file       = $CERTS/server.key
smtpd_tls_loglevel       = 1
smtpd_tls_received_header = yes

# --- policy: relaying only after AUTH (and the transport is error: anyway)
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions     = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =

# --- fast tests: no artificial delays on arrival
in_flow_delay = 0s
EOF

# master.cf: all services unchrooted (column 5 = n). No smtp/lmtp/local/pipe
# client services exist at all, so nothing could be sent out even by mistake.
cat >"$PF_CONF/master.cf" <<EOF
# Generated by tests/servers/up.sh.
# service type  private unpriv  chroot  wakeup  maxproc command + args
$HOST:$PORT_SMTP inet n - n - - smtpd
  -o syslog_name=postfix/smtp-$PORT_SMTP
$HOST:$PORT_SMTPS inet n - n - - smtpd
  -o syslog_name=postfix/smtps-$PORT_SMTPS
  -o smtpd_tls_wrappermode=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
$HOST:$PORT_SUBMISSION inet n - n - - smtpd
  -o syslog_name=postfix/submission-$PORT_SUBMISSION
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
$HOST:$PORT_EXPIRED inet n - n - - smtpd
  -o syslog_name=postfix/expired-$PORT_EXPIRED
  -o smtpd_tls_cert_file=$CERTS/expired.pem
  -o smtpd_tls_key_file=$CERTS/expired.key
$HOST:$PORT_WRONGNAME inet n - n - - smtpd
  -o syslog_name=postfix/wrongname-$PORT_WRONGNAME
  -o smtpd_tls_cert_file=$CERTS/wrongname.pem
  -o smtpd_tls_key_file=$CERTS/wrongname.key
$HOST:$PORT_SELFSIGNED inet n - n - - smtpd
  -o syslog_name=postfix/selfsigned-$PORT_SELFSIGNED
  -o smtpd_tls_cert_file=$CERTS/selfsigned.pem
  -o smtpd_tls_key_file=$CERTS/selfsigned.key
$HOST:$PORT_SELFSIGNED_CA inet n - n - - smtpd
  -o syslog_name=postfix/selfsignedca-$PORT_SELFSIGNED_CA
  -o smtpd_tls_cert_file=$CERTS/selfsignedca.pem
  -o smtpd_tls_key_file=$CERTS/selfsignedca.key
$HOST:$PORT_CLIENTCERT inet n - n - - smtpd
  -o syslog_name=postfix/clientcert-$PORT_CLIENTCERT
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_req_ccert=yes
  -o smtpd_tls_CAfile=$CERTS/ca.pem
$HOST:$PORT_XCLIENT inet n - n - - smtpd
  -o syslog_name=postfix/xclient-$PORT_XCLIENT
  -o smtpd_authorized_xclient_hosts=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
$HOST:$PORT_GSSAPI inet n - n - - smtpd
  -o syslog_name=postfix/gssapi-$PORT_GSSAPI
  -o smtpd_sasl_mechanism_filter=!external,static:rest
$HOST:$PORT_PROXY inet n - n - - smtpd
  -o syslog_name=postfix/proxy-$PORT_PROXY
  -o smtpd_upstream_proxy_protocol=haproxy
  -o smtpd_upstream_proxy_timeout=5s
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

# Postfix re-reads a config file until its mtime is in the past (it guards
# against files being edited in the same second), which costs ~2 s right after
# writing them. Back-date our freshly generated files instead.
touch -d '-1 minute' "$PF_CONF/main.cf" "$PF_CONF/master.cf" "$PF_CONF/vmailbox" "$PF_CONF/transport"

# Maildirs are created by the virtual agent, running as nobody.
chown "$VMAIL_UID:$VMAIL_GID" "$MAILDIR"
chmod 0755 "$MAILDIR"
# Dovecot's IMAP index files, written as the mail user too.
install -d -o "$VMAIL_UID" -g "$VMAIL_GID" -m 0755 "$DC_INDEX"

# --------------------------------------------------------------------------
# 4. Dovecot: SASL for Postfix, and IMAP on the Maildirs Postfix delivers to
# --------------------------------------------------------------------------
{
    echo "# Dovecot passdb for the smtp-plan tests: plaintext so every mechanism works."
    echo "$USER1:{PLAIN}$PASS1"
    echo "$USER2:{PLAIN}$PASS2"
    echo "$USER3:{PLAIN}$PASS3"
} >"$DC_CONF_DIR/users"
chown root:dovecot "$DC_CONF_DIR/users"
chmod 0640 "$DC_CONF_DIR/users"

cat >"$DC_CONF" <<EOF
# Generated by tests/servers/up.sh - Dovecot as Postfix's SASL server, and
# IMAP (STARTTLS on $PORT_IMAP, implicit TLS on $PORT_IMAPS) on the Maildirs,
# and LMTP delivering to them (TCP $PORT_LMTP and the socket $DC_BASE/lmtp).
instance_name = smtp-plan-$BASE
base_dir  = $DC_BASE
state_dir = $DC_STATE
log_path      = $DC_LOG
info_log_path = $DC_LOG
protocols = imap lmtp
# The name LMTP greets with and writes into Received headers.
hostname = mail.example.test
listen = $HOST
ssl = yes
ssl_cert = <$CERTS/server.pem
ssl_key  = <$CERTS/server.key
ssl_min_protocol = TLSv1.2
# The users' Maildirs as Postfix's virtual agent writes them (Maildir++
# sub-folders like .Junk are folders); Dovecot's index files live elsewhere.
mail_location = maildir:$MAILDIR/%n:INDEX=$DC_INDEX/%n
first_valid_uid = $VMAIL_UID
last_valid_uid  = $VMAIL_UID
default_internal_user = dovecot
default_login_user    = dovenull

# Plaintext mechanisms must work before STARTTLS on the smtp port
# (Postfix decides where AUTH is offered).
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 gssapi
# GSSAPI: the service key of smtp/mail.example.test@EXAMPLE.TEST (tests/servers/kdc.sh); the
# realm's krb5.conf and a replay cache of our own reach the auth process through its
# environment (Dovecot clears it otherwise).
auth_gssapi_hostname = mail.example.test
auth_krb5_keytab = $RUNDIR/krb5/smtp.keytab
import_environment = \$import_environment KRB5_CONFIG=$RUNDIR/krb5/krb5.conf KRB5RCACHEDIR=$RUNDIR/krb5/rcache
# Answer wrong passwords at once: the tests should not wait 2 s each.
auth_failure_delay = 0
auth_cache_size = 0
auth_verbose = yes

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DC_CONF_DIR/users
}
userdb {
  driver = static
  args = uid=$VMAIL_UID gid=$VMAIL_GID home=$MAILDIR/%n
}

# No auth penalty either: by default Dovecot delays every further attempt from
# an IP that failed (2, 4, 8, 15 s) - all tests come from 127.0.0.1, and
# Postfix gives up on the auth server after ~10 s. A listener with mode 0 is
# not created, which turns the penalty off.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

service imap-login {
  inet_listener imap {
    address = $HOST
    port = $PORT_IMAP
  }
  inet_listener imaps {
    address = $HOST
    port = $PORT_IMAPS
    ssl = yes
  }
}

# LMTP delivers into the same Maildirs as Postfix's virtual agent (the userdb
# gives the mail uid); an unknown recipient is refused at RCPT (550 5.1.1), as
# the static userdb checks every user against the passdb.
service lmtp {
  inet_listener lmtp {
    address = $HOST
    port = $PORT_LMTP
  }
  unix_listener lmtp {
    mode = 0666
  }
}

service auth {
  unix_listener $PF_QUEUE/private/auth {
    mode  = 0660
    user  = postfix
    group = postfix
  }
}
EOF

# --------------------------------------------------------------------------
# 5. Start both, then wait until every port greets with 220
# --------------------------------------------------------------------------
show_logs() {
    local f
    for f in "$RUNDIR/dovecot-start.out" "$RUNDIR/postfix-start.out" "$DC_LOG" "$PF_LOG"; do
        [ -s "$f" ] || continue
        echo "----- last lines of $f -----" >&2
        tail -n 25 "$f" >&2
    done
}
fail() { echo "up.sh: error: $*" >&2; exit 1; }

# From here on, any failure (fail, or an unexpected error under set -e) shows
# the logs and stops whatever was already started.
on_exit() {
    local rc=$?
    [ "$rc" -eq 0 ] && return 0
    show_logs
    log "stopping what was started"
    "$HERE/down.sh" "$RUNDIR" || true
    exit "$rc"
}
trap on_exit EXIT

# Dovecot first: Postfix's smtpd asks the auth socket for the mechanism list
# on every connection and dies if it is missing, after which the master
# throttles that service for a minute. The socket lives in the queue's
# private/ directory, so create that (as Postfix would: postfix, 0700) now.
install -d -o postfix -m 0700 "$PF_QUEUE/private"
# The KDC first: Dovecot's GSSAPI reads the keytab it makes.
KDC_START_NS=$(date +%s%N)
KDC_PID=$("$HERE/kdc.sh" "$RUNDIR" "$PORT_KDC" | sed -n 's/^krb5kdc=//p') || fail "the KDC did not start"
printf 'krb5kdc=%s\n' "$KDC_PID" >"$RUNDIR/pids"
KDC_MS=$(( ($(date +%s%N) - KDC_START_NS) / 1000000 ))
# Dovecot in the foreground (-F) of a session of its own (setsid, as a daemon would have), so
# its pid is known at once. It creates every listener - the TCP ports, the auth socket for
# Postfix, the LMTP socket - before it logs "starting up" and writes its pid file, and gives up
# ("Failed to start listeners") if one fails: that log line is the readiness signal.
setsid dovecot -F -c "$DC_CONF" </dev/null >"$RUNDIR/dovecot-start.out" 2>&1 &
DC_PID=$!
printf 'dovecot=%s\n' "$DC_PID" >>"$RUNDIR/pids"
if ! wait_line "$DC_LOG" "starting up" "$READY_TIMEOUT" "$DC_PID"; then
    kill -0 "$DC_PID" 2>/dev/null || fail "dovecot (pid $DC_PID) exited while starting"
    fail "dovecot (pid $DC_PID) did not log 'starting up' in $DC_LOG within ${READY_TIMEOUT}s"
fi
for sock in "$PF_QUEUE/private/auth" "$DC_BASE/lmtp"; do
    [ -S "$sock" ] || fail "dovecot said it was starting up, but its socket $sock is missing"
done

# Creates the remaining queue directories, then starts the master daemon: `postfix start`
# returns once the master has bound every listener (master -w reports its initialisation).
postfix -c "$PF_CONF" start >"$RUNDIR/postfix-start.out" 2>&1 || fail "postfix did not start"
PF_PID=$(awk '{ print $1; exit }' "$PF_QUEUE/pid/master.pid")
[ -n "$PF_PID" ] || fail "postfix started, but $PF_QUEUE/pid/master.pid holds no pid"
printf 'postfix=%s\n' "$PF_PID" >>"$RUNDIR/pids"

# probe PORT MODE: connect, print the greeting line, then (for MODE=ehlo) the
# mechanisms of the EHLO AUTH line, then QUIT. MODE plain/ehlo use bash's
# /dev/tcp; MODE tls (the implicit-TLS port) uses openssl s_client without
# certificate checks (checking those is the tests' job).
#
# say FD TEXT: send one line; SIGPIPE is ignored meanwhile, so that a server
# which hung up cannot kill this script (the write just fails).
say() {
    trap '' PIPE
    printf '%s\r\n' "$2" 2>/dev/null 1>&"$1" || true
    trap - PIPE
}
probe() {
    local port=$1 mode=$2 line="" auth="" l fd
    if [ "$mode" = tls ]; then
        coproc SCLIENT { exec openssl s_client -quiet -connect "$HOST:$port" 2>/dev/null; }
        read -r -t 2 line <&"${SCLIENT[0]}" || true
        say "${SCLIENT[1]}" QUIT
        read -r -t 1 _ <&"${SCLIENT[0]}" || true
        kill "$SCLIENT_PID" 2>/dev/null || true
        wait "$SCLIENT_PID" 2>/dev/null || true
    else
        exec {fd}<>"/dev/tcp/$HOST/$port" || return 1
        read -r -t 2 line <&"$fd" || true
        if [ "$mode" = ehlo ] && [[ "$line" == 220* ]]; then
            say "$fd" "EHLO probe.example.test"
            while read -r -t 2 l <&"$fd"; do
                l=${l%$'\r'}
                [[ "$l" == 250[-\ ]AUTH\ * ]] && auth=${l#250?AUTH }
                [[ "$l" == 250-* ]] || break
            done
        fi
        say "$fd" QUIT
        exec {fd}>&-
    fi
    printf '%s\n' "${line%$'\r'}"
    [ "$mode" != ehlo ] || printf '%s\n' "$auth"
}

# ready PORT: does it greet with 220 (and, on the smtp port, offer every AUTH
# mechanism - which proves that Postfix reaches Dovecot)?
WANT_AUTH="PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256"
WANT_AUTH_GSSAPI="$WANT_AUTH GSSAPI"
ready() {
    local port=$1 mode=plain out greeting='220 '
    [ "$port" = "$PORT_SMTPS" ] && mode=tls
    [ "$port" = "$PORT_SMTP" ] || [ "$port" = "$PORT_GSSAPI" ] && mode=ehlo
    [ "$port" = "$PORT_IMAPS" ] && mode=tls
    [ "$port" = "$PORT_IMAP" ] || [ "$port" = "$PORT_IMAPS" ] && greeting='* OK'
    out=$(probe "$port" "$mode" 2>/dev/null) || return 1
    [[ "$out" == "$greeting"* ]] || return 1
    local want=$WANT_AUTH
    [ "$port" = "$PORT_GSSAPI" ] && want=$WANT_AUTH_GSSAPI
    [ "$mode" != ehlo ] || [ "$(sed -n 2p <<<"$out")" = "$want" ]
}

# Every port listens by now; what may still lag is a daemon behind it - smtpd asks Dovecot's
# auth service for the AUTH list, Dovecot starts imap-login and lmtp on the first connection -
# and nothing announces that, so each port is asked (a 220 greeting, and on the smtp ports
# the full AUTH list) until it answers properly: polling, every 100 ms, for at most
# READY_TIMEOUT seconds from here. Usually every port answers on the first round.
deadline=$(( $(date +%s) + READY_TIMEOUT ))
pending=("${ALL_PORTS[@]}")
while [ "${#pending[@]}" -gt 0 ]; do
    still=()
    for port in "${pending[@]}"; do
        ready "$port" || still+=("$port")
    done
    pending=("${still[@]+"${still[@]}"}")
    [ "${#pending[@]}" -gt 0 ] || break
    kill -0 "$PF_PID" 2>/dev/null || fail "the postfix master (pid $PF_PID) exited"
    kill -0 "$DC_PID" 2>/dev/null || fail "dovecot (pid $DC_PID) exited"
    [ "$(date +%s)" -lt "$deadline" ] \
        || fail "no proper greeting within ${READY_TIMEOUT}s (220, '* OK' for IMAP, and AUTH $WANT_AUTH on $PORT_SMTP, with GSSAPI on $PORT_GSSAPI) on port(s): ${pending[*]} (postfix.log and dovecot.log: below)"
    sleep 0.1
done

# --------------------------------------------------------------------------
# 6. The env file for the tests
# --------------------------------------------------------------------------
# Values are single-quoted (none contains a quote), so the file is also easy
# to parse without a shell: KEY='value' after "export ".
q() { printf "'%s'" "$1"; }
cat >"$RUNDIR/env.tmp" <<EOF
# Generated by tests/servers/up.sh - source this file.
export SMTP_PLAN_POSTFIX_DIR=$(q "$RUNDIR")
export SMTP_PLAN_POSTFIX_HOST=$(q "$HOST")
export SMTP_PLAN_POSTFIX_SMTP_PORT=$(q "$PORT_SMTP")
export SMTP_PLAN_POSTFIX_SMTPS_PORT=$(q "$PORT_SMTPS")
export SMTP_PLAN_POSTFIX_SUBMISSION_PORT=$(q "$PORT_SUBMISSION")
export SMTP_PLAN_POSTFIX_EXPIRED_PORT=$(q "$PORT_EXPIRED")
export SMTP_PLAN_POSTFIX_WRONGNAME_PORT=$(q "$PORT_WRONGNAME")
export SMTP_PLAN_POSTFIX_SELFSIGNED_PORT=$(q "$PORT_SELFSIGNED")
export SMTP_PLAN_POSTFIX_CLIENTCERT_PORT=$(q "$PORT_CLIENTCERT")
export SMTP_PLAN_POSTFIX_SELFSIGNED_CA_PORT=$(q "$PORT_SELFSIGNED_CA")
export SMTP_PLAN_POSTFIX_XCLIENT_PORT=$(q "$PORT_XCLIENT")
export SMTP_PLAN_POSTFIX_PROXY_PORT=$(q "$PORT_PROXY")
export SMTP_PLAN_POSTFIX_GSSAPI_PORT=$(q "$PORT_GSSAPI")
export SMTP_PLAN_POSTFIX_IMAP_PORT=$(q "$PORT_IMAP")
export SMTP_PLAN_POSTFIX_IMAPS_PORT=$(q "$PORT_IMAPS")
export SMTP_PLAN_POSTFIX_LMTP_PORT=$(q "$PORT_LMTP")
export SMTP_PLAN_POSTFIX_LMTP_SOCKET=$(q "$DC_BASE/lmtp")
export SMTP_PLAN_POSTFIX_JUNK_RCPT='junk@example.test'
export SMTP_PLAN_POSTFIX_DROPPED_RCPT='dropped@example.test'
export SMTP_PLAN_POSTFIX_CA=$(q "$CERTS/ca.pem")
export SMTP_PLAN_POSTFIX_SERVER_CERT=$(q "$CERTS/server.pem")
export SMTP_PLAN_POSTFIX_EXPIRED_CERT=$(q "$CERTS/expired.pem")
export SMTP_PLAN_POSTFIX_WRONGNAME_CERT=$(q "$CERTS/wrongname.pem")
export SMTP_PLAN_POSTFIX_SELFSIGNED_CERT=$(q "$CERTS/selfsigned.pem")
export SMTP_PLAN_POSTFIX_SELFSIGNED_CA_CERT=$(q "$CERTS/selfsignedca.pem")
export SMTP_PLAN_POSTFIX_SELFSIGNED_CA_SHA256=$(q "$SELFSIGNED_CA_SHA256")
export SMTP_PLAN_POSTFIX_CLIENT_CERT=$(q "$CERTS/client.pem")
export SMTP_PLAN_POSTFIX_CLIENT_KEY=$(q "$CERTS/client.key")
export SMTP_PLAN_POSTFIX_MAILDIR=$(q "$MAILDIR")
export SMTP_PLAN_POSTFIX_USER=$(q "$USER1")
export SMTP_PLAN_POSTFIX_PASSWORD=$(q "$PASS1")
export SMTP_PLAN_POSTFIX_USER_MAILDIR=$(q "$MAILDIR/alice")
export SMTP_PLAN_POSTFIX_USER2=$(q "$USER2")
export SMTP_PLAN_POSTFIX_PASSWORD2=$(q "$PASS2")
export SMTP_PLAN_POSTFIX_USER2_MAILDIR=$(q "$MAILDIR/bob")
export SMTP_PLAN_POSTFIX_USER3=$(q "$USER3")
export SMTP_PLAN_POSTFIX_PASSWORD3=$(q "$PASS3")
export SMTP_PLAN_POSTFIX_DOMAIN='example.test'
export SMTP_PLAN_POSTFIX_HOSTNAME='mail.example.test'
export SMTP_PLAN_POSTFIX_LOG=$(q "$PF_LOG")
export SMTP_PLAN_POSTFIX_DOVECOT_LOG=$(q "$DC_LOG")
EOF
cat >>"$RUNDIR/env.tmp" <<EOF
# Kerberos (tests/servers/kdc.sh): pass SMTP_PLAN_KRB5_CONFIG as KRB5_CONFIG to a client.
export SMTP_PLAN_KRB5_CONFIG=$(q "$RUNDIR/krb5/krb5.conf")
export SMTP_PLAN_KRB5_REALM='EXAMPLE.TEST'
export SMTP_PLAN_KRB5_KDC_PORT=$(q "$PORT_KDC")
export SMTP_PLAN_KRB5_PRINCIPAL='alice@EXAMPLE.TEST'
export SMTP_PLAN_KRB5_CLIENT_KEYTAB=$(q "$RUNDIR/krb5/alice.keytab")
export SMTP_PLAN_KRB5_SERVICE='smtp@mail.example.test'
export SMTP_PLAN_KRB5_KDC_LOG=$(q "$RUNDIR/krb5/kdc.log")
EOF
mv "$RUNDIR/env.tmp" "$RUNDIR/env"

trap - EXIT
ELAPSED_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
log "postfix (pid $PF_PID), dovecot (pid $DC_PID) and the KDC (pid $KDC_PID, set up in ${KDC_MS} ms) ready in ${ELAPSED_MS} ms; env: $RUNDIR/env"
cat "$RUNDIR/env"
