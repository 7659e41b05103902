//! Marks tests that need an external tool as ignored when that tool is missing, so a local
//! `cargo test` shows them as "ignored" with the reason instead of passing them silently.
//! Under CI (`CI` set) nothing is marked: such a test runs and fails, naming the install command.

include!("tests/common/tool_table.rs");

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=tests/common/tool_table.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    for tool in ALL_TOOLS {
        println!("cargo::rustc-check-cfg=cfg(missing_{})", tool.name);
        if !ci && !tool.is_installed() {
            println!("cargo::rustc-cfg=missing_{}", tool.name);
            println!(
                "cargo::warning=`{}` is not installed: the tests that need it are ignored ({})",
                tool.name, tool.install
            );
        }
    }
}
