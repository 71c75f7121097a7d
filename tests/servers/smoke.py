#!/usr/bin/env python3
"""Smoke-check a Postfix/Dovecot pair started by tests/servers/up.sh.

    python3 tests/servers/smoke.py RUNDIR [-v]

Talks SMTP to every port in RUNDIR/env (127.0.0.1 only) and checks the
behaviour the test plans rely on: greetings, EHLO capabilities before and
after STARTTLS, every AUTH mechanism, the exact rejection replies, the bad
certificates, the client-certificate port, delivery into the Maildir
(dot-stuffing undone) and that relaying never leaves the machine.

With -v it prints every reply it checked, exactly as received, so they can be
copied into test plans. Exits 1 if any check fails. Standard library only.
"""

import base64
import hashlib
import hmac
import os
import re
import secrets
import socket
import ssl
import sys
import time
import uuid

VERBOSE = "-v" in sys.argv[2:]
FAILURES = []


def load_env(rundir):
    env = {}
    with open(os.path.join(rundir, "env"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^export (\w+)='(.*)'$", line.rstrip("\n"))
            if m:
                env[m.group(1)] = m.group(2)
    return env


PASSED = []


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + (f"  [{detail}]" if detail and (VERBOSE or not ok) else ""))
    (PASSED if ok else FAILURES).append(name)


class Smtp:
    """A tiny SMTP client that keeps replies exactly as sent on the wire."""

    def __init__(self, host, port, implicit_tls_ctx=None, timeout=10):
        self.host = host
        sock = socket.create_connection((host, port), timeout=timeout)
        if implicit_tls_ctx is not None:
            sock = implicit_tls_ctx.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("connection closed by server")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """Returns (code, [lines]) of one (possibly multi-line) reply."""
        lines = []
        while True:
            line = self._line()
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def send(self, text):
        self.sock.sendall(text.encode("utf-8") + b"\r\n")

    def cmd(self, text):
        self.send(text)
        return self.reply()

    def starttls(self, ctx):
        code, lines = self.cmd("STARTTLS")
        if code == 220:
            self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        return code, lines

    def close(self):
        try:
            self.send("QUIT")
            self.reply()
        except (OSError, ConnectionError):
            pass
        self.sock.close()


def ctx_with_ca(ca, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def unb64(s):
    return base64.b64decode(s)


# --- SASL mechanisms, each returns the final (code, lines) -----------------

def auth_plain(c, user, pw):
    return c.cmd("AUTH PLAIN " + b64(f"\0{user}\0{pw}"))


def auth_login(c, user, pw):
    code, lines = c.cmd("AUTH LOGIN")
    if code != 334:
        return code, lines
    code, lines = c.cmd(b64(user))
    if code != 334:
        return code, lines
    return c.cmd(b64(pw))


def auth_cram_md5(c, user, pw):
    code, lines = c.cmd("AUTH CRAM-MD5")
    if code != 334:
        return code, lines
    challenge = unb64(lines[0][4:])
    digest = hmac.new(pw.encode(), challenge, hashlib.md5).hexdigest()
    return c.cmd(b64(f"{user} {digest}"))


def auth_scram(c, user, pw, hname):
    h = getattr(hashlib, hname)
    mech = {"sha1": "SCRAM-SHA-1", "sha256": "SCRAM-SHA-256"}[hname]
    cnonce = secrets.token_hex(12)
    first_bare = f"n={user.replace('=', '=3D').replace(',', '=2C')},r={cnonce}"
    code, lines = c.cmd(f"AUTH {mech} " + b64("n,," + first_bare))
    if code != 334:
        return code, lines
    server_first = unb64(lines[0][4:]).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    salted = hashlib.pbkdf2_hmac(hname, pw.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", h).digest()
    stored_key = h(client_key).digest()
    final_wo_proof = f"c={b64('n,,')},r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{final_wo_proof}".encode()
    signature = hmac.new(stored_key, auth_message, h).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    code, lines = c.cmd(b64(f"{final_wo_proof},p={base64.b64encode(proof).decode()}"))
    if code == 334:  # server-final-message (v=...), answered with an empty line
        server_final = unb64(lines[0][4:]).decode()
        server_key = hmac.new(salted, b"Server Key", h).digest()
        expected = base64.b64encode(hmac.new(server_key, auth_message, h).digest()).decode()
        if server_final != f"v={expected}":
            return 0, [f"bad server signature: {server_final}"]
        code, lines = c.cmd("")
    return code, lines


MECHS = {
    "PLAIN": auth_plain,
    "LOGIN": auth_login,
    "CRAM-MD5": auth_cram_md5,
    "SCRAM-SHA-1": lambda c, u, p: auth_scram(c, u, p, "sha1"),
    "SCRAM-SHA-256": lambda c, u, p: auth_scram(c, u, p, "sha256"),
}


def auth_caps(ehlo_lines):
    for line in ehlo_lines:
        if line[4:].upper().startswith("AUTH "):
            return line[9:].split()
    return None


def show(lines):
    return " | ".join(lines)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: smoke.py RUNDIR [-v]")
    env = load_env(sys.argv[1])
    host = env["SMTP_PLAN_POSTFIX_HOST"]
    port = {k: int(env[f"SMTP_PLAN_POSTFIX_{k}_PORT"]) for k in
            ("SMTP", "SMTPS", "SUBMISSION", "EXPIRED", "WRONGNAME", "SELFSIGNED", "CLIENTCERT")}
    ca = env["SMTP_PLAN_POSTFIX_CA"]
    user, pw = env["SMTP_PLAN_POSTFIX_USER"], env["SMTP_PLAN_POSTFIX_PASSWORD"]
    user2, pw2 = env["SMTP_PLAN_POSTFIX_USER2"], env["SMTP_PLAN_POSTFIX_PASSWORD2"]
    ctx = ctx_with_ca(ca)
    all_mechs = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]

    # --- greetings -----------------------------------------------------------
    for name, p in port.items():
        c = Smtp(host, p, implicit_tls_ctx=ctx if name == "SMTPS" else None)
        code, lines = c.reply()
        check(f"{name} ({p}) greeting 220", code == 220, show(lines))
        c.close()

    # --- smtp: EHLO before/after STARTTLS, every mechanism before and after --
    c = Smtp(host, port["SMTP"])
    c.reply()
    code, lines = c.cmd("EHLO client.example.org")
    check("smtp EHLO before TLS offers STARTTLS", "250-STARTTLS" in lines, show(lines))
    check("smtp EHLO before TLS offers all AUTH mechanisms", auth_caps(lines) == all_mechs, str(auth_caps(lines)))
    c.close()
    for tls in (False, True):
        for mech, fn in MECHS.items():
            c = Smtp(host, port["SMTP"])
            c.reply()
            c.cmd("EHLO client.example.org")
            if tls:
                c.starttls(ctx)
                code, lines = c.cmd("EHLO client.example.org")
                if mech == "PLAIN":
                    check("smtp EHLO after TLS offers all AUTH mechanisms, no STARTTLS",
                          auth_caps(lines) == all_mechs and "250-STARTTLS" not in lines, show(lines))
            u, p = (user, pw) if mech != "SCRAM-SHA-256" else (user2, pw2)
            code, lines = fn(c, u, p)
            check(f"smtp AUTH {mech} {'after' if tls else 'before'} TLS ok 235", code == 235, show(lines))
            c.close()

    # --- wrong password, every mechanism --------------------------------------
    for mech, fn in MECHS.items():
        c = Smtp(host, port["SMTP"])
        c.reply()
        c.cmd("EHLO client.example.org")
        code, lines = fn(c, user, pw + "x")
        check(f"smtp AUTH {mech} wrong password 535 5.7.8", code == 535 and lines[0].startswith("535 5.7.8"), show(lines))
        c.close()
    c = Smtp(host, port["SMTP"])
    c.reply()
    c.cmd("EHLO client.example.org")
    code, lines = auth_plain(c, "nobody@example.test", "whatever")
    check("smtp AUTH PLAIN unknown user 535 5.7.8", code == 535, show(lines))
    c.close()

    # --- relay and recipients without AUTH (from 127.0.0.1!) ------------------
    c = Smtp(host, port["SMTP"])
    c.reply()
    c.cmd("EHLO client.example.org")
    code, lines = c.cmd("MAIL FROM:<someone@example.org>")
    check("smtp MAIL FROM without auth 250", code == 250, show(lines))
    code, lines = c.cmd("RCPT TO:<victim@example.net>")
    check("smtp relay without auth refused 554 5.7.1", code == 554 and "Relay access denied" in lines[0], show(lines))
    code, lines = c.cmd("RCPT TO:<nobody@example.test>")
    check("smtp unknown local user 550 5.1.1", code == 550 and lines[0].startswith("550 5.1.1"), show(lines))
    code, lines = c.cmd("RCPT TO:<Alice@Example.TEST>")
    check("smtp known user (any case) without auth 250", code == 250, show(lines))
    code, lines = c.cmd("RSET")
    check("smtp RSET 250", code == 250, show(lines))
    c.close()

    # --- submission -----------------------------------------------------------
    c = Smtp(host, port["SUBMISSION"])
    c.reply()
    code, lines = c.cmd("EHLO client.example.org")
    check("submission EHLO before TLS: STARTTLS, no AUTH", "250-STARTTLS" in lines and auth_caps(lines) is None, show(lines))
    code, lines = c.cmd("AUTH PLAIN " + b64(f"\0{user}\0{pw}"))
    check("submission AUTH before STARTTLS 530 5.7.0", code == 530 and lines[0].startswith("530 5.7.0"), show(lines))
    code, lines = c.cmd("MAIL FROM:<alice@example.test>")
    check("submission MAIL before STARTTLS 530 5.7.0", code == 530, show(lines))
    c.starttls(ctx)
    code, lines = c.cmd("EHLO client.example.org")
    check("submission EHLO after TLS offers all AUTH mechanisms", auth_caps(lines) == all_mechs, show(lines))
    c.cmd("MAIL FROM:<alice@example.test>")
    code, lines = c.cmd("RCPT TO:<bob@example.test>")
    check("submission unauthenticated RCPT refused 554 5.7.1", code == 554, show(lines))
    c.cmd("RSET")
    code, lines = auth_login(c, user, pw)
    check("submission AUTH LOGIN after TLS 235", code == 235, show(lines))
    code, lines = c.cmd("MAIL FROM:<alice@example.test>")
    code, lines = c.cmd("RCPT TO:<bob@example.test>")
    check("submission authenticated RCPT 250", code == 250, show(lines))
    c.close()

    # --- smtps (implicit TLS) --------------------------------------------------
    c = Smtp(host, port["SMTPS"], implicit_tls_ctx=ctx)
    code, lines = c.reply()
    check("smtps greeting after implicit TLS", code == 220 and c.sock.version() is not None, f"{c.sock.version()} {show(lines)}")
    code, lines = c.cmd("EHLO client.example.org")
    check("smtps EHLO: AUTH offered, no STARTTLS", auth_caps(lines) == all_mechs and "250-STARTTLS" not in lines, show(lines))
    c.cmd("MAIL FROM:<alice@example.test>")
    code, lines = c.cmd("RCPT TO:<bob@example.test>")
    check("smtps unauthenticated RCPT refused 554 5.7.1", code == 554, show(lines))
    c.cmd("RSET")
    code, lines = auth_plain(c, user, pw)
    check("smtps AUTH PLAIN 235", code == 235, show(lines))
    c.close()

    # --- bad certificates ------------------------------------------------------
    for name, want in (("EXPIRED", "certificate has expired"),
                       ("WRONGNAME", "Hostname mismatch"),
                       ("SELFSIGNED", "self-signed certificate")):
        c = Smtp(host, port[name])
        c.reply()
        c.cmd("EHLO client.example.org")
        try:
            c.starttls(ctx)
            check(f"{name} certificate rejected", False, "handshake succeeded")
        except ssl.SSLCertVerificationError as e:
            check(f"{name} certificate rejected: {want}", want in str(e), str(e))
        c.sock.close()
        # ...and it is the expected certificate when not verifying
        c = Smtp(host, port[name])
        c.reply()
        c.cmd("EHLO client.example.org")
        noverify = ssl.create_default_context()
        noverify.check_hostname = False
        noverify.verify_mode = ssl.CERT_NONE
        c.starttls(noverify)
        code, lines = c.cmd("EHLO client.example.org")
        check(f"{name} works without verification", code == 250, show(lines[:1]))
        c.close()

    # --- client certificate required ----------------------------------------------
    c = Smtp(host, port["CLIENTCERT"])
    c.reply()
    c.cmd("EHLO client.example.org")
    c.starttls(ctx)
    try:
        code, lines = c.cmd("EHLO client.example.org")
    except (ConnectionError, ssl.SSLError) as e:
        code, lines = 0, [repr(e)]
    check("CLIENTCERT without client cert refused 421 4.7.1", code == 421, show(lines))
    c.sock.close()
    cctx = ctx_with_ca(ca, env["SMTP_PLAN_POSTFIX_CLIENT_CERT"], env["SMTP_PLAN_POSTFIX_CLIENT_KEY"])
    c = Smtp(host, port["CLIENTCERT"])
    c.reply()
    code, lines = c.cmd("EHLO client.example.org")
    check("CLIENTCERT EHLO before TLS: STARTTLS", "250-STARTTLS" in lines, show(lines))
    c.starttls(cctx)
    code, lines = c.cmd("EHLO client.example.org")
    check("CLIENTCERT with client cert: EHLO 250", code == 250, show(lines))
    c.close()

    # --- delivery into the Maildir, dot-stuffing undone ---------------------------
    token = uuid.uuid4().hex
    maildir = env["SMTP_PLAN_POSTFIX_USER_MAILDIR"]
    c = Smtp(host, port["SUBMISSION"])
    c.reply()
    c.cmd("EHLO client.example.org")
    c.starttls(ctx)
    c.cmd("EHLO client.example.org")
    auth_plain(c, user, pw)
    c.cmd("MAIL FROM:<bob@example.test>")
    code, lines = c.cmd("RCPT TO:<alice@example.test>")
    code, lines = c.cmd("DATA")
    check("DATA 354", code == 354, show(lines))
    body = [
        "From: bob@example.test", "To: alice@example.test", f"Subject: smoke {token}",
        f"Message-ID: <{token}@example.test>", "",
        "first line", "..hidden", "...two dots", "..", "last line", ".",
    ]
    for line in body:
        c.send(line)
    code, lines = c.reply()
    check("message queued 250 2.0.0", code == 250 and lines[0].startswith("250 2.0.0 Ok: queued as "), show(lines))
    c.close()
    found = None
    deadline = time.time() + 10
    while time.time() < deadline and found is None:
        newdir = os.path.join(maildir, "new")
        if os.path.isdir(newdir):
            for fn in os.listdir(newdir):
                path = os.path.join(newdir, fn)
                with open(path, "rb") as f:
                    data = f.read()
                if token.encode() in data:
                    found = (path, data)
        if found is None:
            time.sleep(0.05)
    check("message delivered to alice's Maildir/new", found is not None, found[0] if found else maildir)
    if found:
        text = found[1].decode()
        lines_in = text.split("\n")
        check("dot-stuffing undone: '.hidden', '..two dots', '.' lines",
              ".hidden" in lines_in and "..two dots" in lines_in and "." in lines_in, repr(text[-80:]))

    # --- relay after AUTH: policy allows it, but the error: transport makes
    # smtpd refuse the recipient right away - nothing is ever queued for it --
    c = Smtp(host, port["SMTP"])
    c.reply()
    c.cmd("EHLO client.example.org")
    c.starttls(ctx)
    c.cmd("EHLO client.example.org")
    auth_plain(c, user, pw)
    c.cmd("MAIL FROM:<alice@example.test>")
    code, lines = c.cmd("RCPT TO:<someone@example.net>")
    check("relay after AUTH refused by the error: transport 550 5.7.1",
          code == 550 and lines[0].startswith("550 5.7.1") and "outbound delivery is disabled" in lines[0], show(lines))
    c.close()
    with open(env["SMTP_PLAN_POSTFIX_LOG"], encoding="utf-8", errors="replace") as f:
        log = f.read()
    check("no SMTP/LMTP client ever ran (nothing left the machine)",
          not re.search(r"postfix/(smtp|lmtp|relay)\[", log), "")

    print(f"{len(PASSED)} passed, {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
