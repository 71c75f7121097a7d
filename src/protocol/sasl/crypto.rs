//! The few primitives the mechanisms share: HMAC, hashes, PBKDF2, MD4, randomness.

use hmac::{Hmac, Mac as _};
use sha1::Digest as _;

use super::error::SaslError;

pub(crate) fn hmac_md5(key: &[u8], data: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length: new_from_slice cannot fail for it.
    let Ok(mut mac) = Hmac::<md5::Md5>::new_from_slice(key) else {
        return Vec::new();
    };
    for d in data {
        mac.update(d);
    }
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn sha1(data: &[u8]) -> Vec<u8> {
    sha1::Sha1::digest(data).to_vec()
}

pub(crate) fn sha256(data: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(data).to_vec()
}

pub(crate) fn md4(data: &[u8]) -> Vec<u8> {
    md4::Md4::digest(data).to_vec()
}

pub(crate) fn pbkdf2_sha1(password: &[u8], salt: &[u8], rounds: u32) -> Vec<u8> {
    pbkdf2::pbkdf2_hmac_array::<sha1::Sha1, 20>(password, salt, rounds).to_vec()
}

pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], rounds: u32) -> Vec<u8> {
    pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(password, salt, rounds).to_vec()
}

/// `n` bytes from the operating system's random source (nonces, challenges, salts).
pub fn random_bytes(n: usize) -> Result<Vec<u8>, SaslError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|e| SaslError::new(format!("no random numbers from the system: {e}")))?;
    Ok(buf)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compare without an early exit (the server checks proofs with it).
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
