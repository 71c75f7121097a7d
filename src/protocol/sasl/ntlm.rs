//! NTLMv2 (MS-NLMP) as Exchange offers it for SMTP AUTH (MS-SMTPNTLM): NEGOTIATE (type 1),
//! CHALLENGE (type 2), AUTHENTICATE (type 3). Authentication only: no signing or sealing, so no
//! session key is exchanged and no MIC is sent.
//!
//! Written here on RustCrypto's `md4` + `hmac`/`md-5`: no maintained Rust crate does NTLM for
//! SASL: rsasl has no NTLM; `sspi` (Devolutions) does NTLM as part of a whole SSPI/Kerberos
//! stack, far heavier than these ~400 lines for the one exchange SMTP needs, and the built-in
//! server needs the server side too. Checked with the MS-NLMP §4.2.4 vectors.

use super::crypto::{hmac_md5, md4, random_bytes, same};
use super::error::SaslError;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
const REQUEST_TARGET: u32 = 0x0000_0004;
const NEGOTIATE_NTLM: u32 = 0x0000_0200;
const ALWAYS_SIGN: u32 = 0x0000_8000;
const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
const EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
const NEGOTIATE_128: u32 = 0x2000_0000;
const NEGOTIATE_56: u32 = 0x8000_0000;
const CLIENT_FLAGS: u32 = NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | ALWAYS_SIGN
    | EXTENDED_SESSIONSECURITY
    | NEGOTIATE_128
    | NEGOTIATE_56;
const AV_EOL: u16 = 0;
const AV_NB_COMPUTER_NAME: u16 = 1;
const AV_NB_DOMAIN_NAME: u16 = 2;
const AV_TIMESTAMP: u16 = 7;
/// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
const FILETIME_UNIX_OFFSET: u64 = 11_644_473_600;

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn from_utf16le(bytes: &[u8]) -> Option<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| {
            u16::from_le_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ])
        })
        .collect();
    bytes
        .len()
        .is_multiple_of(2)
        .then(|| String::from_utf16(&units).ok())?
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The bytes a (len, maxlen, offset) field header at `at` points to.
fn field(b: &[u8], at: usize) -> Option<&[u8]> {
    let len = usize::from(u16_at(b, at)?);
    let offset = usize::try_from(u32_at(b, at + 4)?).ok()?;
    b.get(offset..offset.checked_add(len)?)
}

/// Writes a message: fixed header fields first, the variable payload after them.
struct Writer {
    head: Vec<u8>,
    payload: Vec<u8>,
    payload_start: usize,
}

impl Writer {
    fn new(kind: u32, header_len: usize) -> Self {
        let mut head = SIGNATURE.to_vec();
        head.extend_from_slice(&kind.to_le_bytes());
        Self {
            head,
            payload: Vec::new(),
            payload_start: header_len,
        }
    }

    fn field(&mut self, data: &[u8]) {
        let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
        let offset = u32::try_from(self.payload_start + self.payload.len()).unwrap_or(u32::MAX);
        self.head.extend_from_slice(&len.to_le_bytes());
        self.head.extend_from_slice(&len.to_le_bytes());
        self.head.extend_from_slice(&offset.to_le_bytes());
        self.payload.extend_from_slice(data);
    }

    fn raw(&mut self, data: &[u8]) {
        self.head.extend_from_slice(data);
    }

    fn finish(mut self) -> Vec<u8> {
        self.head.append(&mut self.payload);
        self.head
    }
}

/// The NEGOTIATE message (type 1): flags only, no domain or workstation.
pub fn ntlm_negotiate() -> Vec<u8> {
    let mut w = Writer::new(1, 32);
    w.raw(&CLIENT_FLAGS.to_le_bytes());
    w.field(&[]);
    w.field(&[]);
    w.finish()
}

/// What the client takes from the server's CHALLENGE message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtlmChallenge {
    pub flags: u32,
    pub server_challenge: [u8; 8],
    pub target_info: Vec<u8>,
    /// The server's MsvAvTimestamp, if it sent one (then the client must use it).
    pub timestamp: Option<[u8; 8]>,
}

pub fn parse_ntlm_challenge(b: &[u8]) -> Result<NtlmChallenge, SaslError> {
    let bad = |what: &str| SaslError::new(format!("malformed NTLM challenge: {what}"));
    if b.get(..8) != Some(SIGNATURE.as_slice()) || u32_at(b, 8) != Some(2) {
        return Err(bad("not an NTLMSSP type 2 message"));
    }
    let flags = u32_at(b, 20).ok_or_else(|| bad("too short"))?;
    let server_challenge: [u8; 8] = b
        .get(24..32)
        .and_then(|c| c.try_into().ok())
        .ok_or_else(|| bad("too short"))?;
    let target_info = if b.len() >= 48 {
        field(b, 40)
            .ok_or_else(|| bad("target info out of bounds"))?
            .to_vec()
    } else {
        Vec::new()
    };
    let mut timestamp = None;
    let mut at = 0usize;
    while let (Some(id), Some(len)) = (u16_at(&target_info, at), u16_at(&target_info, at + 2)) {
        let value = target_info
            .get(at + 4..at + 4 + usize::from(len))
            .ok_or_else(|| bad("target info pair out of bounds"))?;
        if id == AV_EOL {
            break;
        }
        if id == AV_TIMESTAMP {
            timestamp = value.try_into().ok();
        }
        at += 4 + usize::from(len);
    }
    Ok(NtlmChallenge {
        flags,
        server_challenge,
        target_info,
        timestamp,
    })
}

/// `DOMAIN\user` -> (user, DOMAIN); anything else (`user@domain` too) is the user, domain empty.
fn split_user(username: &str) -> (&str, &str) {
    match username.split_once('\\') {
        Some((domain, user)) => (user, domain),
        None => (username, ""),
    }
}

/// NTOWFv2: HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) + domain)).
fn ntowf_v2(password: &str, user: &str, domain: &str) -> Vec<u8> {
    let nt_hash = md4(&utf16le(password));
    hmac_md5(
        &nt_hash,
        &[&utf16le(&format!("{}{domain}", user.to_uppercase()))],
    )
}

/// NTLMv2 (NtChallengeResponse, LmChallengeResponse) — MS-NLMP §3.3.2.
fn responses(
    key: &[u8],
    server_challenge: &[u8],
    client_challenge: &[u8; 8],
    timestamp: &[u8; 8],
    target_info: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let mut temp = vec![1u8, 1, 0, 0, 0, 0, 0, 0];
    temp.extend_from_slice(timestamp);
    temp.extend_from_slice(client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(target_info);
    temp.extend_from_slice(&[0; 4]);
    let mut nt = hmac_md5(key, &[server_challenge, &temp]);
    nt.extend_from_slice(&temp);
    let mut lm = hmac_md5(key, &[server_challenge, client_challenge]);
    lm.extend_from_slice(client_challenge);
    (nt, lm)
}

fn filetime_now() -> [u8; 8] {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    ((secs + FILETIME_UNIX_OFFSET) * 10_000_000).to_le_bytes()
}

/// The AUTHENTICATE message (type 3) for `username` (`DOMAIN\user` or `user@domain`).
pub fn ntlm_authenticate(
    challenge: &NtlmChallenge,
    username: &str,
    password: &str,
) -> Result<Vec<u8>, SaslError> {
    let mut client_challenge = [0u8; 8];
    client_challenge.copy_from_slice(&random_bytes(8)?);
    let timestamp = challenge.timestamp.unwrap_or_else(filetime_now);
    Ok(authenticate_with(
        challenge,
        username,
        password,
        &client_challenge,
        &timestamp,
    ))
}

fn authenticate_with(
    challenge: &NtlmChallenge,
    username: &str,
    password: &str,
    client_challenge: &[u8; 8],
    timestamp: &[u8; 8],
) -> Vec<u8> {
    let (user, domain) = split_user(username);
    let key = ntowf_v2(password, user, domain);
    let (nt, lm) = responses(
        &key,
        &challenge.server_challenge,
        client_challenge,
        timestamp,
        &challenge.target_info,
    );
    let mut w = Writer::new(3, 64);
    w.field(&lm);
    w.field(&nt);
    w.field(&utf16le(domain));
    w.field(&utf16le(user));
    w.field(&[]);
    w.field(&[]);
    w.raw(&(CLIENT_FLAGS & challenge.flags | NEGOTIATE_UNICODE).to_le_bytes());
    w.finish()
}

/// (user, domain) as sent -> (account name, password).
pub type AccountLookup<'a> = dyn Fn(&str, &str) -> Option<(String, String)> + 'a;

/// The built-in server's side of one exchange.
#[derive(Debug)]
pub struct NtlmServer {
    server_challenge: [u8; 8],
}

impl NtlmServer {
    pub fn new() -> Result<Self, SaslError> {
        let mut server_challenge = [0u8; 8];
        server_challenge.copy_from_slice(&random_bytes(8)?);
        Ok(Self { server_challenge })
    }

    /// The CHALLENGE message for a NEGOTIATE message.
    pub fn challenge(
        &self,
        negotiate: &[u8],
        domain: &str,
        computer: &str,
    ) -> Result<Vec<u8>, SaslError> {
        if negotiate.get(..8) != Some(SIGNATURE.as_slice()) || u32_at(negotiate, 8) != Some(1) {
            return Err(SaslError::new("not an NTLMSSP type 1 message"));
        }
        let mut info = Vec::new();
        for (id, value) in [
            (AV_NB_DOMAIN_NAME, utf16le(domain)),
            (AV_NB_COMPUTER_NAME, utf16le(computer)),
            (AV_TIMESTAMP, filetime_now().to_vec()),
        ] {
            info.extend_from_slice(&id.to_le_bytes());
            info.extend_from_slice(&u16::try_from(value.len()).unwrap_or(0).to_le_bytes());
            info.extend_from_slice(&value);
        }
        info.extend_from_slice(&[0; 4]);
        let flags = CLIENT_FLAGS | TARGET_TYPE_DOMAIN | NEGOTIATE_TARGET_INFO;
        let mut w = Writer::new(2, 48);
        w.field(&utf16le(domain));
        w.raw(&flags.to_le_bytes());
        w.raw(&self.server_challenge);
        w.raw(&[0; 8]);
        w.field(&info);
        Ok(w.finish())
    }

    /// Check an AUTHENTICATE message. `password_of` maps the user as sent (`user`, or
    /// `DOMAIN\user` when a domain was sent) to the account name and its password. Returns
    /// the account that logged in.
    pub fn verify(&self, authenticate: &[u8], password_of: &AccountLookup<'_>) -> Option<String> {
        if authenticate.get(..8) != Some(SIGNATURE.as_slice()) || u32_at(authenticate, 8) != Some(3)
        {
            return None;
        }
        let nt = field(authenticate, 20)?;
        let domain = from_utf16le(field(authenticate, 28)?)?;
        let user = from_utf16le(field(authenticate, 36)?)?;
        let (proof, temp) = (nt.get(..16)?, nt.get(16..)?);
        if temp.len() < 28 {
            return None;
        }
        let (account, password) = password_of(&user, &domain)?;
        let key = ntowf_v2(&password, &user, &domain);
        let want = hmac_md5(&key, &[&self.server_challenge, temp]);
        same(&want, proof).then_some(account)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::crypto::hex;
    use super::*;

    /// MS-NLMP §4.2.4: User "User", domain "Domain", password "Password", server challenge
    /// 0123456789abcdef, client challenge aa*8, time 0, AV pairs NbDomainName "Domain" and
    /// NbComputerName "Server".
    #[test]
    fn ms_nlmp_4_2_4_vectors() {
        assert_eq!(
            hex(&md4(&utf16le("Password"))),
            "a4f49c406510bdcab6824ee7c30fd852"
        );
        let key = ntowf_v2("Password", "User", "Domain");
        assert_eq!(hex(&key), "0c868a403bfd7a93a3001ef22ef02e3f");
        let mut target_info = Vec::new();
        for (id, name) in [(2u16, "Domain"), (1u16, "Server")] {
            target_info.extend_from_slice(&id.to_le_bytes());
            target_info.extend_from_slice(&12u16.to_le_bytes());
            target_info.extend_from_slice(&utf16le(name));
        }
        target_info.extend_from_slice(&[0; 4]);
        let server_challenge = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
        let (nt, lm) = responses(&key, &server_challenge, &[0xaa; 8], &[0; 8], &target_info);
        assert_eq!(hex(&nt[..16]), "68cd0ab851e51c96aabc927bebef6a1c");
        assert_eq!(hex(&lm), "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
        // SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr)
        assert_eq!(
            hex(&hmac_md5(&key, &[&nt[..16]])),
            "8de40ccadbc14a82f15cb0ad0de95ca3"
        );

        // The whole type 3 message carries those responses, the domain and the user.
        let challenge = NtlmChallenge {
            flags: CLIENT_FLAGS,
            server_challenge,
            target_info,
            timestamp: None,
        };
        let msg = authenticate_with(&challenge, "Domain\\User", "Password", &[0xaa; 8], &[0; 8]);
        assert_eq!(field(&msg, 12).unwrap(), lm.as_slice());
        assert_eq!(field(&msg, 20).unwrap(), nt.as_slice());
        assert_eq!(from_utf16le(field(&msg, 28).unwrap()).unwrap(), "Domain");
        assert_eq!(from_utf16le(field(&msg, 36).unwrap()).unwrap(), "User");
    }

    #[test]
    fn client_and_server_agree() {
        let server = NtlmServer::new().unwrap();
        let negotiate = ntlm_negotiate();
        let challenge =
            parse_ntlm_challenge(&server.challenge(&negotiate, "CONTOSO", "MAIL").unwrap())
                .unwrap();
        assert!(challenge.timestamp.is_some());
        let lookup = |user: &str, domain: &str| {
            let name = if domain.is_empty() {
                user.to_owned()
            } else {
                format!("{domain}\\{user}")
            };
            name.eq_ignore_ascii_case("user1@contoso.com")
                .then(|| ("user1@contoso.com".to_owned(), "Pw!".to_owned()))
        };
        let good = ntlm_authenticate(&challenge, "user1@contoso.com", "Pw!").unwrap();
        assert_eq!(
            server.verify(&good, &lookup).as_deref(),
            Some("user1@contoso.com")
        );
        let bad = ntlm_authenticate(&challenge, "user1@contoso.com", "nope").unwrap();
        assert_eq!(server.verify(&bad, &lookup), None);
        assert_eq!(server.verify(b"NTLMSSP\0\x03\0\0\0", &lookup), None);
    }

    #[test]
    fn hostile_challenges_are_errors() {
        assert!(parse_ntlm_challenge(b"").is_err());
        assert!(parse_ntlm_challenge(b"NTLMSSP\0\x02\0\0\0").is_err());
        let mut msg = b"NTLMSSP\0\x02\0\0\0".to_vec();
        msg.resize(48, 0);
        msg[40] = 0xff; // target info length 255 ...
        msg[44] = 0x30; // ... at offset 48: past the end
        assert!(parse_ntlm_challenge(&msg).is_err());
    }
}
