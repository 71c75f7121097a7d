//! Secret values are replaced by `***` in every output, including their wire forms.
