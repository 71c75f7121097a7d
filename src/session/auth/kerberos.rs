//! The Kerberos side of AUTH GSSAPI: MIT's GSS-API library (libgssapi_krb5) through the
//! `libgssapi` crate, a maintained safe binding (the crate forbids `unsafe` of its own). It
//! is behind the `gssapi` cargo feature because building it needs libkrb5-dev and, for
//! bindgen, libclang-dev; without the feature this module is a stub whose `start` says so.
//!
//! The credentials are the environment's, as for any Kerberos client: the ticket cache in
//! `KRB5CCNAME` (after `kinit`), or a client keytab in `KRB5_CLIENT_KTNAME`, and the realm
//! configuration in `KRB5_CONFIG`. Nothing here prints a token or a ticket.

/// The environment variables that say where the ticket comes from, for error messages.
pub(super) const TICKET_HINT: &str = "get a ticket first (`kinit user@REALM`; KRB5CCNAME names the ticket cache, KRB5_CLIENT_KTNAME a client keytab, KRB5_CONFIG the realm's krb5.conf)";

#[cfg(feature = "gssapi")]
mod imp {
    use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext as _};
    use libgssapi::credential::{Cred, CredUsage};
    use libgssapi::name::Name;
    use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE, GSS_NT_KRB5_PRINCIPAL, OidSet};

    /// One client security context towards one service.
    pub(in crate::session) struct Kerberos {
        ctx: ClientCtx,
    }

    impl Kerberos {
        /// Acquire the environment's credentials for `service` (`smtp@host`, or a principal
        /// `smtp/host@REALM`) and make the first token (this asks the KDC for a service
        /// ticket: it blocks, so call it off the async threads).
        pub(in crate::session) fn start(service: &str) -> Result<(Self, Vec<u8>), String> {
            let mechs = OidSet::singleton(GSS_MECH_KRB5).map_err(|e| e.to_string())?;
            let cred =
                Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs)).map_err(|e| {
                    format!(
                        "no Kerberos credentials: {}",
                        super::describe(&e.to_string())
                    )
                })?;
            let kind = if service.contains('/') {
                GSS_NT_KRB5_PRINCIPAL
            } else {
                GSS_NT_HOSTBASED_SERVICE
            };
            let name = Name::new(service.as_bytes(), Some(kind))
                .map_err(|e| format!("the service name `{service}` is not valid: {e}"))?;
            let flags = CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_INTEG_FLAG;
            let mut ctx = ClientCtx::new(Some(cred), name, flags, Some(GSS_MECH_KRB5));
            let token = ctx.step(None, None).map_err(|e| {
                format!(
                    "no service ticket for `{service}`: {}",
                    super::describe(&e.to_string())
                )
            })?;
            let token = token.map(|t| t.to_vec()).unwrap_or_default();
            Ok((Self { ctx }, token))
        }

        /// Whether the context is established (the server proved who it is).
        pub(in crate::session) fn is_complete(&self) -> bool {
            self.ctx.is_complete()
        }

        /// The next token for the server's token (None: the context is complete).
        pub(in crate::session) fn step(&mut self, token: &[u8]) -> Result<Option<Vec<u8>>, String> {
            self.ctx
                .step(Some(token), None)
                .map(|t| t.map(|t| t.to_vec()))
                .map_err(|e| format!("the server's Kerberos token was refused: {e}"))
        }

        pub(in crate::session) fn unwrap(&mut self, message: &[u8]) -> Result<Vec<u8>, String> {
            self.ctx
                .unwrap(message)
                .map(|m| m.to_vec())
                .map_err(|e| format!("the server's security-layer offer does not verify: {e}"))
        }

        pub(in crate::session) fn wrap(&mut self, message: &[u8]) -> Result<Vec<u8>, String> {
            self.ctx
                .wrap(false, message)
                .map(|m| m.to_vec())
                .map_err(|e| format!("could not wrap the security-layer choice: {e}"))
        }
    }
}

#[cfg(not(feature = "gssapi"))]
mod imp {
    /// This build has no GSS-API: `start` fails before anything is sent.
    pub(in crate::session) struct Kerberos;

    impl Kerberos {
        pub(in crate::session) fn start(_service: &str) -> Result<(Self, Vec<u8>), String> {
            Err("this smtp-plan was built without GSSAPI support (build it with `--features gssapi`, which needs the libkrb5-dev and libclang-dev packages)".to_owned())
        }

        pub(in crate::session) fn is_complete(&self) -> bool {
            false
        }

        pub(in crate::session) fn step(&mut self, _: &[u8]) -> Result<Option<Vec<u8>>, String> {
            Err("no GSSAPI support".to_owned())
        }

        pub(in crate::session) fn unwrap(&mut self, _: &[u8]) -> Result<Vec<u8>, String> {
            Err("no GSSAPI support".to_owned())
        }

        pub(in crate::session) fn wrap(&mut self, _: &[u8]) -> Result<Vec<u8>, String> {
            Err("no GSSAPI support".to_owned())
        }
    }
}

pub(super) use imp::Kerberos;

/// GSS-API's own words, plus where the ticket comes from when the problem is a missing or
/// expired one.
#[cfg_attr(not(feature = "gssapi"), allow(dead_code))]
fn describe(gss: &str) -> String {
    let gss = gss.trim();
    let lower = gss.to_ascii_lowercase();
    let missing = lower.contains("no kerberos credentials")
        || (lower.contains("cache") && lower.contains("not found"))
        || lower.contains("expired");
    if missing {
        format!("{gss}; {TICKET_HINT}")
    } else {
        gss.to_owned()
    }
}
