//! Inputs: finding files ([`discover`]) and getting their bytes ([`source`]).

pub mod decode;
pub mod discover;
pub mod guard;
pub mod source;
