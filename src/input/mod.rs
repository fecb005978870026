//! Inputs: finding files ([`discover`]) and getting their bytes ([`source`]).

pub mod discover;
pub mod source;
