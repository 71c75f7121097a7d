use super::Reply;

/// One EHLO extension line: keyword (uppercased) and its parameters as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    pub keyword: String,
    pub params: Vec<String>,
}

/// The extensions an EHLO reply lists (every line but the first, which is the server's name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    items: Vec<Capability>,
}

impl Capabilities {
    pub fn parse(reply: &Reply) -> Self {
        let items = reply
            .lines
            .iter()
            .skip(1)
            .filter_map(|line| {
                let mut words = line.split_ascii_whitespace();
                let keyword = words.next()?;
                // Some old servers (and Exchange in places) write `AUTH=LOGIN`.
                let (keyword, first_param) = match keyword.split_once('=') {
                    Some((k, p)) => (k, Some(p)),
                    None => (keyword, None),
                };
                Some(Capability {
                    keyword: keyword.to_ascii_uppercase(),
                    params: first_param
                        .into_iter()
                        .filter(|p| !p.is_empty())
                        .chain(words)
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect();
        Self { items }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Capability> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether `keyword` is listed (case-insensitive).
    pub fn has(&self, keyword: &str) -> bool {
        self.items
            .iter()
            .any(|c| c.keyword.eq_ignore_ascii_case(keyword))
    }

    /// Whether `keyword` is listed with `param` among its parameters (case-insensitive), on any
    /// of its lines (servers may list AUTH twice).
    pub fn has_param(&self, keyword: &str, param: &str) -> bool {
        self.items.iter().any(|c| {
            c.keyword.eq_ignore_ascii_case(keyword)
                && c.params.iter().any(|p| p.eq_ignore_ascii_case(param))
        })
    }

    /// The parameters of every line with this keyword (e.g. the AUTH mechanisms).
    pub fn params(&self, keyword: &str) -> Vec<&str> {
        self.items
            .iter()
            .filter(|c| c.keyword.eq_ignore_ascii_case(keyword))
            .flat_map(|c| c.params.iter().map(String::as_str))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_exchange_ehlo() {
        let r = Reply::new(
            250,
            &[
                "mail.contoso.com Hello [10.0.0.1]",
                "SIZE 37748736",
                "STARTTLS",
                "AUTH NTLM LOGIN",
                "auth=login",
                "8BITMIME",
            ],
        )
        .unwrap();
        let caps = Capabilities::parse(&r);
        assert!(caps.has("starttls"));
        assert!(caps.has_param("AUTH", "login"));
        assert!(caps.has_param("AUTH", "NTLM"));
        assert!(!caps.has_param("AUTH", "PLAIN"));
        assert!(!caps.has("mail.contoso.com"));
        assert_eq!(caps.params("SIZE"), vec!["37748736"]);
        assert_eq!(caps.params("AUTH"), vec!["NTLM", "LOGIN", "login"]);
    }
}
