// The external tools some tests need, how to probe each, and how to install it. This file is
// `include!`d both by `build.rs` (which marks tests `#[ignore]` when a tool is missing at build
// time and `CI` is unset) and by `tests/common/tools.rs` (which checks again at run time and fails
// with the install command), so the two can never disagree on a name. No inner doc comments here:
// `include!` cannot take them.

/// A program (or library) from outside the project that some tests drive.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// What the user would call it; also the suffix of the `missing_*` cfg set by `build.rs`.
    pub name: &'static str,
    /// A command that exits 0 exactly when the tool is usable.
    pub probe: &'static [&'static str],
    /// How to install it on Debian (what `.ci/run` does).
    pub install: &'static str,
}

/// tmux drives the console in a real terminal.
pub const TMUX: Tool = Tool { name: "tmux", probe: &["tmux", "-V"], install: "apt-get install tmux" };
/// Xvfb gives the clipboard test a real X server.
pub const XVFB: Tool = Tool { name: "xvfb", probe: &["sh", "-c", "command -v Xvfb"], install: "apt-get install xvfb" };
/// xclip reads and writes the X clipboard independently of wstab.
pub const XCLIP: Tool =
    Tool { name: "xclip", probe: &["sh", "-c", "command -v xclip"], install: "apt-get install xclip" };
/// Python's `websockets`: an independent WebSocket implementation.
pub const PYTHON_WEBSOCKETS: Tool = Tool {
    name: "python_websockets",
    probe: &["python3", "-c", "import websockets"],
    install: "pip install websockets",
};
/// Node.js checks exported JavaScript (k6 scripts) and runs the official SDKs.
pub const NODE: Tool = Tool { name: "node", probe: &["node", "--version"], install: "apt-get install nodejs" };

/// Artillery, pinned in `tests/artillery/package-lock.json`, runs exported load tests for real.
/// Probed from the package root (where both `build.rs` and the tests run).
pub const ARTILLERY: Tool = Tool {
    name: "artillery",
    probe: &["node", "tests/artillery/node_modules/artillery/bin/run", "--version"],
    install: "npm ci (in tests/artillery)",
};

/// Every tool above, for `build.rs`.
pub const ALL_TOOLS: &[Tool] = &[TMUX, XVFB, XCLIP, PYTHON_WEBSOCKETS, NODE, ARTILLERY];

impl Tool {
    /// Whether the probe command runs and exits 0 (its output is discarded).
    pub fn is_installed(&self) -> bool {
        std::process::Command::new(self.probe[0])
            .args(&self.probe[1..])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}
