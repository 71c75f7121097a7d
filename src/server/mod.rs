//! `smtp-plan serve`: the built-in reference SMTP server (Exchange-like replies).
