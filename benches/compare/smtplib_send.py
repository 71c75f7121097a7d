#!/usr/bin/env python3
"""N TLS conversations in one Python process, the same ones smtp-plan and swaks have:
EHLO, STARTTLS (certificate verified against CA), EHLO, AUTH LOGIN, MAIL, RCPT, DATA, QUIT.

usage: smtplib_send.py N HOST PORT CA USER PASSWORD RCPT
"""
import smtplib
import ssl
import sys

n, host, port, ca, user, password, rcpt = sys.argv[1:8]
context = ssl.create_default_context(cafile=ca)
message = "Subject: compare\r\n\r\nsmtplib\r\n"
for _ in range(int(n)):
    with smtplib.SMTP(host, int(port), local_hostname="client.example.test") as s:
        s.ehlo()
        s.starttls(context=context)
        s.ehlo()
        s.user, s.password = user, password
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        assert code == 235, code
        s.sendmail(user, [rcpt], message)
