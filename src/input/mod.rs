//! Inputs: finding files ([`discover`]) getting their bytes ([`source`]),
//! and where an earlier run stopped ([`resume`]).

pub mod decode;
pub mod discover;
pub mod guard;
pub mod resume;
pub mod source;
