//! RFC 5802 SCRAM-SHA-1 and RFC 7677 SCRAM-SHA-256, without channel binding (`n,,`).
//! The client verifies the server signature; the server verifies the client proof. User name
//! and password go through SASLprep first (saslprep.rs), as RFC 5802 §2.2 and §5.1 ask.
//!
//! Written here rather than taken from the rsasl crate (evaluated for issue #12): the RFC
//! 5802/7677 vectors, Dovecot and the built-in server pass either way, but rsasl is a
//! callback-driven framework (a `SessionCallback` answering property requests) around what is
//! a 150-line state machine here, it would add rand 0.8 and getrandom 0.2 (which the project
//! moves off), its errors would replace the specific reasons a plan's author sees (which
//! attribute is missing, that the server signature is wrong or absent), and the built-in
//! server needs the server side with its own password store anyway. The part that needed a
//! library — the RFC 3454 tables of SASLprep — comes from the `stringprep` crate, as in rsasl.

use super::crypto::{
    hmac_sha1, hmac_sha256, pbkdf2_sha1, pbkdf2_sha256, random_bytes, same, sha1, sha256,
};
use super::error::SaslError;
use super::mechanism::{b64_decode, b64_encode};
use super::saslprep::saslprep;

/// Iterations the built-in server asks for (RFC 7677's minimum recommendation).
const SERVER_ITERATIONS: u32 = 4096;
/// A server asking for more than this is refused (a hostile count would stall the run).
const MAX_ITERATIONS: u32 = 1_000_000;
const GS2_HEADER: &str = "n,,";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramHash {
    Sha1,
    Sha256,
}

impl ScramHash {
    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => hmac_sha1(key, data),
            ScramHash::Sha256 => hmac_sha256(key, data),
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => sha1(data),
            ScramHash::Sha256 => sha256(data),
        }
    }

    /// SaltedPassword: Hi(Normalize(password), salt, i); `password` is already SASLprep'd.
    fn salted(self, password: &str, salt: &[u8], rounds: u32) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => pbkdf2_sha1(password.as_bytes(), salt, rounds),
            ScramHash::Sha256 => pbkdf2_sha256(password.as_bytes(), salt, rounds),
        }
    }

    /// (ClientKey, StoredKey, ServerKey) of a salted password.
    fn keys(self, salted: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let client_key = self.hmac(salted, b"Client Key");
        let stored_key = self.hash(&client_key);
        let server_key = self.hmac(salted, b"Server Key");
        (client_key, stored_key, server_key)
    }
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// `=` and `,` in a user name are written `=3D` and `=2C` (RFC 5802 §5.1).
fn escape_name(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

fn unescape_name(name: &str) -> String {
    name.replace("=2C", ",").replace("=3D", "=")
}

/// The value of `key=` among comma-separated attributes.
fn attr(message: &str, key: char) -> Option<&str> {
    message.split(',').find_map(|a| {
        let mut chars = a.chars();
        (chars.next() == Some(key) && chars.next() == Some('=')).then(|| a.get(2..))?
    })
}

/// Normalize(password) of RFC 5802 §2.2: SASLprep, and an empty result is refused.
fn prepare_password(password: &str) -> Result<std::borrow::Cow<'_, str>, SaslError> {
    let prepared = saslprep(password).map_err(|e| SaslError::new(format!("the password: {e}")))?;
    if prepared.is_empty() {
        return Err(SaslError::new(
            "the password is empty after SASLprep (RFC 4013): SCRAM cannot use it",
        ));
    }
    Ok(prepared)
}

fn nonce() -> Result<String, SaslError> {
    // Printable, without ',' : base64 of random bytes qualifies.
    Ok(b64_encode(&random_bytes(18)?))
}

/// The client side of one exchange.
#[derive(Debug)]
pub struct ScramClient {
    hash: ScramHash,
    client_first_bare: String,
    nonce: String,
    expected_server_signature: Option<Vec<u8>>,
}

impl ScramClient {
    /// A client for `username` (SASLprep'd: an error if SASLprep refuses it).
    pub fn new(hash: ScramHash, username: &str) -> Result<Self, SaslError> {
        Self::with_nonce(hash, username, &nonce()?)
    }

    /// With a given nonce (for the RFC test vectors).
    pub fn with_nonce(hash: ScramHash, username: &str, nonce: &str) -> Result<Self, SaslError> {
        let username =
            saslprep(username).map_err(|e| SaslError::new(format!("the user name: {e}")))?;
        Ok(Self {
            hash,
            client_first_bare: format!("n={},r={nonce}", escape_name(&username)),
            nonce: nonce.to_owned(),
            expected_server_signature: None,
        })
    }

    /// Whether SASLprep accepts `password`: checked before anything is sent, so that a
    /// password SCRAM cannot use fails the step without a half-done exchange.
    pub fn check_password(password: &str) -> Result<(), SaslError> {
        prepare_password(password).map(|_| ())
    }

    /// The client-first message (not secret: the user name and a nonce).
    pub fn client_first(&self) -> String {
        format!("{GS2_HEADER}{}", self.client_first_bare)
    }

    /// The client-final message for the server-first message (secret: it holds the proof).
    pub fn client_final(
        &mut self,
        server_first: &str,
        password: &str,
    ) -> Result<String, SaslError> {
        if let Some(e) = attr(server_first, 'e') {
            return Err(SaslError::new(format!("the server refused: e={e}")));
        }
        let combined = attr(server_first, 'r')
            .ok_or_else(|| SaslError::new("the server-first message has no nonce (r=)"))?;
        if !combined.starts_with(&self.nonce) || combined.len() <= self.nonce.len() {
            return Err(SaslError::new(
                "the server nonce does not extend the client nonce",
            ));
        }
        let salt = attr(server_first, 's')
            .and_then(b64_decode)
            .ok_or_else(|| SaslError::new("the server-first message has no valid salt (s=)"))?;
        let rounds: u32 = attr(server_first, 'i')
            .and_then(|i| i.parse().ok())
            .filter(|i| *i > 0)
            .ok_or_else(|| {
                SaslError::new("the server-first message has no valid iteration count (i=)")
            })?;
        if rounds > MAX_ITERATIONS {
            return Err(SaslError::new(format!(
                "the server asks for {rounds} iterations (at most {MAX_ITERATIONS} are done)"
            )));
        }
        let without_proof = format!("c={},r={combined}", b64_encode(GS2_HEADER.as_bytes()));
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let password = prepare_password(password)?;
        let salted = self.hash.salted(&password, &salt, rounds);
        let (client_key, stored_key, server_key) = self.hash.keys(&salted);
        let signature = self.hash.hmac(&stored_key, auth_message.as_bytes());
        let proof = xor(&client_key, &signature);
        self.expected_server_signature = Some(self.hash.hmac(&server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", b64_encode(&proof)))
    }

    /// Check the server-final message: a wrong or missing server signature is an error.
    pub fn verify_server_final(&self, server_final: &str) -> Result<(), SaslError> {
        if let Some(e) = attr(server_final, 'e') {
            return Err(SaslError::new(format!("the server refused: e={e}")));
        }
        let got = attr(server_final, 'v')
            .and_then(b64_decode)
            .ok_or_else(|| SaslError::new("the server-final message has no signature (v=)"))?;
        match &self.expected_server_signature {
            Some(want) if same(want, &got) => Ok(()),
            Some(_) => Err(SaslError::new(
                "the server signature is wrong: this server does not know the password (or is not the server it claims to be)",
            )),
            None => Err(SaslError::new("server-final before client-final")),
        }
    }
}

/// The server side of one exchange (the built-in server), from a plaintext password.
#[derive(Debug)]
pub struct ScramServer {
    hash: ScramHash,
    user: String,
    client_first_bare: String,
    server_first: String,
    combined_nonce: String,
    salt: Vec<u8>,
    rounds: u32,
}

impl ScramServer {
    /// Read the client-first message; the caller then calls [`ScramServer::server_first`].
    pub fn start(hash: ScramHash, client_first: &str) -> Result<Self, SaslError> {
        let bad = || SaslError::new("malformed client-first message");
        let rest = client_first
            .strip_prefix("n,")
            .ok_or_else(|| SaslError::new("only `n,` (no channel binding) is supported"))?;
        let (authzid, bare) = rest.split_once(',').ok_or_else(bad)?;
        if !authzid.is_empty() && !authzid.starts_with("a=") {
            return Err(bad());
        }
        let user = attr(bare, 'n').map(unescape_name).ok_or_else(bad)?;
        let client_nonce = attr(bare, 'r').filter(|r| !r.is_empty()).ok_or_else(bad)?;
        let combined_nonce = format!("{client_nonce}{}", nonce()?);
        let salt = random_bytes(16)?;
        let server_first = format!(
            "r={combined_nonce},s={},i={SERVER_ITERATIONS}",
            b64_encode(&salt)
        );
        Ok(Self {
            hash,
            user,
            client_first_bare: bare.to_owned(),
            server_first,
            combined_nonce,
            salt,
            rounds: SERVER_ITERATIONS,
        })
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn server_first(&self) -> &str {
        &self.server_first
    }

    /// Check the client-final message against `password` (None: unknown user); the
    /// server-final message to send if the proof holds.
    pub fn finish(&self, client_final: &str, password: Option<&str>) -> Result<String, SaslError> {
        let wrong = || SaslError::new("authentication failed");
        let (without_proof, proof) = client_final
            .rsplit_once(",p=")
            .ok_or_else(|| SaslError::new("malformed client-final message"))?;
        if attr(without_proof, 'r') != Some(self.combined_nonce.as_str())
            || attr(without_proof, 'c') != Some(b64_encode(GS2_HEADER.as_bytes()).as_str())
        {
            return Err(wrong());
        }
        let proof = b64_decode(proof).ok_or_else(wrong)?;
        // The stored password is prepared as the client prepares the one it was given.
        let password = password
            .and_then(|p| prepare_password(p).ok())
            .ok_or_else(wrong)?;
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        let salted = self.hash.salted(&password, &self.salt, self.rounds);
        let (_, stored_key, server_key) = self.hash.keys(&salted);
        let signature = self.hash.hmac(&stored_key, auth_message.as_bytes());
        let client_key = xor(&proof, &signature);
        if proof.len() != signature.len() || !same(&self.hash.hash(&client_key), &stored_key) {
            return Err(wrong());
        }
        let server_signature = self.hash.hmac(&server_key, auth_message.as_bytes());
        Ok(format!("v={}", b64_encode(&server_signature)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc5802_sha1_vector() {
        let mut c =
            ScramClient::with_nonce(ScramHash::Sha1, "user", "fyko+d2lbbFgONRv9qkxdawL").unwrap();
        assert_eq!(c.client_first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
        let fin = c
            .client_final(
                "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                "pencil",
            )
            .unwrap();
        assert_eq!(
            fin,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        c.verify_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")
            .unwrap();
        assert!(
            c.verify_server_final("v=AAF9pqV8S7suAoZWja4dJRkFsKQ=")
                .is_err()
        );
        assert!(c.verify_server_final("e=invalid-proof").is_err());
    }

    #[test]
    fn rfc7677_sha256_vector() {
        let mut c =
            ScramClient::with_nonce(ScramHash::Sha256, "user", "rOprNGfwEbeRWgbNEkqO").unwrap();
        let fin = c
            .client_final(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                "pencil",
            )
            .unwrap();
        assert_eq!(
            fin,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        c.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(
            c.verify_server_final("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
                .is_err()
        );
    }

    #[test]
    fn client_refuses_bad_server_first() {
        let mut c = ScramClient::with_nonce(ScramHash::Sha1, "u", "abc").unwrap();
        assert!(
            c.client_final("r=xyz,s=QSXCR+Q6sek8bf92,i=4096", "p")
                .is_err()
        );
        assert!(
            c.client_final("r=abcd,s=QSXCR+Q6sek8bf92,i=0", "p")
                .is_err()
        );
        assert!(
            c.client_final("r=abcd,s=QSXCR+Q6sek8bf92,i=99999999", "p")
                .is_err()
        );
        assert!(c.client_final("r=abcd,i=4096", "p").is_err());
    }

    #[test]
    fn client_and_server_agree() {
        for hash in [ScramHash::Sha1, ScramHash::Sha256] {
            let mut c = ScramClient::new(hash, "a,b=c").unwrap();
            let s = ScramServer::start(hash, &c.client_first()).unwrap();
            assert_eq!(s.user(), "a,b=c");
            let fin = c.client_final(s.server_first(), "pw").unwrap();
            let server_final = s.finish(&fin, Some("pw")).unwrap();
            c.verify_server_final(&server_final).unwrap();
            assert!(s.finish(&fin, Some("other")).is_err());
            assert!(s.finish(&fin, None).is_err());
        }
    }

    /// The RFC 7677 exchange with a password that SASLprep changes: a decomposed `a` + U+0308
    /// and a no-break space. The expected messages were computed independently (Python's
    /// hashlib) from the prepared password "P\u{e4}ss w\u{f6}rd".
    #[test]
    fn sha256_vector_with_a_password_saslprep_changes() {
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let want = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=zKQEaGPJNHepHEkSbLSRg/Kr4jSPQUeoU9Z6ItKiCWs=";
        for password in [
            "Pa\u{0308}ss\u{00A0}w\u{00F6}rd",
            "P\u{00E4}ss w\u{00F6}rd\u{00AD}",
        ] {
            let mut c =
                ScramClient::with_nonce(ScramHash::Sha256, "user", "rOprNGfwEbeRWgbNEkqO").unwrap();
            assert_eq!(c.client_final(server_first, password).unwrap(), want);
            c.verify_server_final("v=ArZElQKUeP9mSoQb7ilx1KLV15cRywAcCBSlBHgxTi8=")
                .unwrap();
        }
    }

    #[test]
    fn passwords_saslprep_refuses() {
        assert!(ScramClient::check_password("pw\u{0007}x").is_err());
        assert!(ScramClient::check_password("\u{00AD}").is_err()); // empty once prepared
        assert!(ScramClient::check_password("P\u{00E4}ss").is_ok());
        let mut c = ScramClient::with_nonce(ScramHash::Sha1, "u", "abc").unwrap();
        let e = c
            .client_final("r=abcd,s=QSXCR+Q6sek8bf92,i=1", "pw\u{E000}")
            .unwrap_err();
        assert!(e.to_string().contains("U+E000"), "{e}");
        assert!(ScramClient::new(ScramHash::Sha1, "us\u{0007}er").is_err());
    }

    #[test]
    fn server_prepares_its_stored_password() {
        let mut c = ScramClient::new(ScramHash::Sha256, "u").unwrap();
        let s = ScramServer::start(ScramHash::Sha256, &c.client_first()).unwrap();
        let fin = c.client_final(s.server_first(), "Pa\u{0308}ss").unwrap();
        let server_final = s.finish(&fin, Some("P\u{00E4}ss\u{00AD}")).unwrap();
        c.verify_server_final(&server_final).unwrap();
    }
}
