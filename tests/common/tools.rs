//! "This test needs tool X": one check for every test that drives a program from outside the
//! project (tmux, Xvfb, xclip, Python `websockets`, node).
//!
//! A missing tool never makes a test pass. At build time `build.rs` probes each tool and, unless
//! `CI` is set, sets `cfg(missing_<name>)` for the missing ones; tests carry
//! `#[cfg_attr(missing_tmux, ignore = "…")]`, so a local `cargo test` lists them as *ignored*
//! with the reason. Under `CI=true` nothing is ignored and [`require`] fails the test with the
//! install command.

include!("tool_table.rs");

/// Fails the calling test, naming the tool and its install command, unless `tool` is usable.
#[track_caller]
pub fn require(tool: Tool) {
    if !tool.is_installed() {
        panic!(
            "this test needs {name}, which is not installed or not on PATH (probe: `{probe}`); install it with \
             `{install}` (`.ci/run` does). Locally, without CI set, `cargo test` marks such tests ignored \
             when the tool is missing at build time (touch build.rs after installing or removing one).",
            name = tool.name,
            probe = tool.probe.join(" "),
            install = tool.install,
        );
    }
}
