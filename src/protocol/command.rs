use std::fmt;

/// An SMTP command. `Display` is its exact wire form, CRLF included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    Lhlo(String),
    StartTls,
    /// `AUTH MECH [initial-response]`
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    /// `MAIL FROM:<addr> [params]`; an empty address is the null sender `<>`.
    Mail {
        from: String,
        params: Vec<String>,
    },
    Rcpt {
        to: String,
        params: Vec<String>,
    },
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy(String),
    /// `ETRN domain` (RFC 1985).
    Etrn(String),
    Expn(String),
    Help(Option<String>),
    /// `BDAT size [LAST]` (RFC 3030); the chunk's bytes follow it.
    Bdat {
        size: usize,
        last: bool,
    },
    /// A line sent verbatim (`send:`), also a SASL response line.
    Raw(String),
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = |p: &[String]| -> String { p.iter().map(|x| format!(" {x}")).collect() };
        match self {
            Command::Ehlo(d) => write!(f, "EHLO {d}\r\n"),
            Command::Helo(d) => write!(f, "HELO {d}\r\n"),
            Command::Lhlo(d) => write!(f, "LHLO {d}\r\n"),
            Command::StartTls => f.write_str("STARTTLS\r\n"),
            Command::Auth {
                mechanism,
                initial: None,
            } => write!(f, "AUTH {mechanism}\r\n"),
            Command::Auth {
                mechanism,
                initial: Some(i),
            } => write!(f, "AUTH {mechanism} {i}\r\n"),
            Command::Mail { from, params: p } => write!(f, "MAIL FROM:<{from}>{}\r\n", params(p)),
            Command::Rcpt { to, params: p } => write!(f, "RCPT TO:<{to}>{}\r\n", params(p)),
            Command::Data => f.write_str("DATA\r\n"),
            Command::Rset => f.write_str("RSET\r\n"),
            Command::Noop => f.write_str("NOOP\r\n"),
            Command::Quit => f.write_str("QUIT\r\n"),
            Command::Vrfy(x) => write!(f, "VRFY {x}\r\n"),
            Command::Etrn(x) => write!(f, "ETRN {x}\r\n"),
            Command::Expn(x) => write!(f, "EXPN {x}\r\n"),
            Command::Help(None) => f.write_str("HELP\r\n"),
            Command::Help(Some(x)) => write!(f, "HELP {x}\r\n"),
            Command::Bdat { size, last: false } => write!(f, "BDAT {size}\r\n"),
            Command::Bdat { size, last: true } => write!(f, "BDAT {size} LAST\r\n"),
            Command::Raw(line) => write!(f, "{line}\r\n"),
        }
    }
}

/// RFC 3461 xtext: `+`, `=` and every byte outside `!`..`~` become `+XX`.
pub fn xtext(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("command unrecognized")]
    Unknown,
    #[error("syntax error in parameters or arguments")]
    Syntax,
}

/// Parse one command line (CRLF removed) as a server reads it. Verbs are case-insensitive;
/// `MAIL FROM:` accepts `<addr>` with or without a space after the colon, and a bare address.
pub fn parse_command(line: &str) -> Result<Command, CommandError> {
    let (verb, rest) = match line.split_once(' ') {
        Some((v, r)) => (v, r.trim()),
        None => (line.trim(), ""),
    };
    let arg = |rest: &str| -> Result<String, CommandError> {
        if rest.is_empty() {
            Err(CommandError::Syntax)
        } else {
            Ok(rest.to_owned())
        }
    };
    let no_arg = |cmd: Command| {
        if rest.is_empty() {
            Ok(cmd)
        } else {
            Err(CommandError::Syntax)
        }
    };
    match verb.to_ascii_uppercase().as_str() {
        "EHLO" => Ok(Command::Ehlo(arg(rest)?)),
        "HELO" => Ok(Command::Helo(arg(rest)?)),
        "LHLO" => Ok(Command::Lhlo(arg(rest)?)),
        "STARTTLS" => no_arg(Command::StartTls),
        "AUTH" => {
            let mut words = rest.split_ascii_whitespace();
            let mechanism = words
                .next()
                .ok_or(CommandError::Syntax)?
                .to_ascii_uppercase();
            let initial = words.next().map(str::to_owned);
            if words.next().is_some() {
                return Err(CommandError::Syntax);
            }
            Ok(Command::Auth { mechanism, initial })
        }
        "MAIL" => {
            let (from, params) = parse_path(rest, "FROM:")?;
            Ok(Command::Mail { from, params })
        }
        "RCPT" => {
            let (to, params) = parse_path(rest, "TO:")?;
            if to.is_empty() {
                return Err(CommandError::Syntax);
            }
            Ok(Command::Rcpt { to, params })
        }
        "DATA" => no_arg(Command::Data),
        "RSET" => no_arg(Command::Rset),
        "NOOP" => Ok(Command::Noop),
        "QUIT" => no_arg(Command::Quit),
        "VRFY" => Ok(Command::Vrfy(arg(rest)?)),
        _ => Err(CommandError::Unknown),
    }
}

fn parse_path(rest: &str, prefix: &str) -> Result<(String, Vec<String>), CommandError> {
    let head = rest.get(..prefix.len()).ok_or(CommandError::Syntax)?;
    if !head.eq_ignore_ascii_case(prefix) {
        return Err(CommandError::Syntax);
    }
    let after = rest.get(prefix.len()..).unwrap_or_default().trim_start();
    let (addr, tail) = if let Some(inner) = after.strip_prefix('<') {
        let end = inner.find('>').ok_or(CommandError::Syntax)?;
        (
            inner.get(..end).unwrap_or_default(),
            inner.get(end + 1..).unwrap_or_default(),
        )
    } else {
        match after.split_once(' ') {
            Some((a, t)) => (a, t),
            None => (after, ""),
        }
    };
    let params = tail.split_ascii_whitespace().map(str::to_owned).collect();
    Ok((addr.to_owned(), params))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn xtext_encodes_plus_equals_and_non_printables() {
        assert_eq!(xtext("a+b=c d"), "a+2Bb+3Dc+20d");
        assert_eq!(xtext("user@example.com"), "user@example.com");
        assert_eq!(xtext("é"), "+C3+A9");
    }

    #[test]
    fn wire_forms() {
        assert_eq!(
            Command::Ehlo("smtp.contoso.com".into()).to_string(),
            "EHLO smtp.contoso.com\r\n"
        );
        assert_eq!(
            Command::Mail {
                from: String::new(),
                params: vec!["SIZE=10".into()]
            }
            .to_string(),
            "MAIL FROM:<> SIZE=10\r\n"
        );
        assert_eq!(
            Command::Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGEAYg==".into())
            }
            .to_string(),
            "AUTH PLAIN AGEAYg==\r\n"
        );
    }

    #[test]
    fn parses_what_it_writes_and_what_people_type() {
        for cmd in [
            Command::Ehlo("x".into()),
            Command::Mail {
                from: "a@b".into(),
                params: vec!["BODY=8BITMIME".into()],
            },
            Command::Rcpt {
                to: "c@d".into(),
                params: vec![],
            },
            Command::Data,
            Command::Quit,
            Command::Auth {
                mechanism: "LOGIN".into(),
                initial: None,
            },
        ] {
            let wire = cmd.to_string();
            assert_eq!(parse_command(wire.trim_end()).unwrap(), cmd);
        }
        // the seed's hand-typed forms
        assert_eq!(
            parse_command("mail from:user1@contoso.com").unwrap(),
            Command::Mail {
                from: "user1@contoso.com".into(),
                params: vec![]
            }
        );
        assert_eq!(
            parse_command("rcpt to: <user2@contoso.com>").unwrap(),
            Command::Rcpt {
                to: "user2@contoso.com".into(),
                params: vec![]
            }
        );
        assert_eq!(parse_command("FOO"), Err(CommandError::Unknown));
        assert_eq!(parse_command("MAIL TO:<x>"), Err(CommandError::Syntax));
        assert_eq!(parse_command("EHLO"), Err(CommandError::Syntax));
    }
}
