//! A session or a request in another tool's format: HAR, a k6 script, an Artillery script, a
//! command line.

pub mod artillery;
pub mod command_line;
pub mod har;
pub mod k6;
