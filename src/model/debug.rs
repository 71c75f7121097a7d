//! `Debug` of the plan model that shows no secret: a plan file's text shows as its size (it may
//! hold a password written literally), and a plan's whole `Debug` text is masked by its own
//! redactor (a secret written literally in a `send:`, a name or a regex).

use super::plan::Plan;
use super::span::Origin;

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields = PlanFields(self);
        let shown = if f.alternate() {
            format!("{fields:#?}")
        } else {
            format!("{fields:?}")
        };
        f.write_str(&self.redactor.redact(&shown))
    }
}

/// A plan's fields as `Debug` shows them, before the plan's redactor masks what is left.
struct PlanFields<'a>(&'a Plan);

impl std::fmt::Debug for PlanFields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.0;
        f.debug_struct("Plan")
            .field("path", &p.path)
            .field("source", &SourceSize(&p.source))
            .field("name", &p.name)
            .field("vars", &p.vars)
            .field("secret_values", &p.secret_values)
            .field("secret_names", &p.secret_names)
            .field("scenarios", &p.scenarios)
            .finish()
    }
}

/// A file's text in `Debug`: its size only (it may hold a password written literally).
struct SourceSize<'a>(&'a str);

impl std::fmt::Debug for SourceSize<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Origin")
            .field("path", &self.path)
            .field("source", &SourceSize(&self.source))
            .finish()
    }
}
