//! Saving a profile whose secret was typed, in a real terminal: `P` asks where the secret goes.
//! By default the file holds an `${env:NAME}` reference and the `export NAME=…` line is shown
//! (masked) to copy; `f` writes the value as typed into a mode 0600 file. The status bar says
//! which; the value never appears on screen, in the file it was not meant for, or in wstab's log.

mod common;

use std::time::Duration;

use common::tmux::Tmux;

const TIMEOUT: Duration = Duration::from_secs(20);
const TYPED: &str = "TYPED-SECRET-eeee5555";

#[test]
#[cfg_attr(missing_tmux, ignore = "needs tmux: apt-get install tmux")]
fn test_p_asks_where_a_typed_secret_goes_env_reference_or_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workspace = dir.path().join("workspace.toml");
    std::fs::write(
        &workspace,
        "name = \"secrets\"\ngateway = \"ws://127.0.0.1:9\"\n\n[[apis]]\nname = \"echo\"\nurl_suffix = \"echo\"\nquery = [{ name = \"subscription-key\", value = \"\", secret = true, required = true }]\n",
    )
    .expect("workspace written");
    let command = format!(
        "WSTAB_LOG=trace WSTAB_CONFIG_DIR='{d}' WSTAB_DATA_DIR='{d}' DISPLAY= WAYLAND_DISPLAY= '{bin}' --workspace '{ws}'; echo WSTAB_EXIT=$?; sleep 30",
        d = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_wstab"),
        ws = workspace.display(),
    );
    let tmux = Tmux::start("test_p_asks_where_a_typed_secret_goes", 140, 40, &command);
    tmux.wait_for("the console", TIMEOUT, |s| s.contains("APIs") && s.contains("Disconnected"));
    // Type the key into its row (Request pane, first row).
    tmux.keys(&["Tab"]);
    tmux.wait_for("the key row", TIMEOUT, |s| s.contains("subscription-key*"));
    tmux.keys(&["Down", "Up"]);
    let no_secret = |s: &str| !s.contains(TYPED);
    let type_key = || {
        tmux.keys(&["Enter"]);
        tmux.wait_for("the value prompt", TIMEOUT, |s| s.contains("Value"));
        tmux.text(TYPED);
        tmux.keys(&["Enter"]);
        tmux.wait_for("the key filled, masked", TIMEOUT, |s| s.contains("subscription-key=••••••") && no_secret(s));
    };
    type_key();

    // P, the offered name: the question, then the default (a reference) and the export line.
    tmux.keys(&["P"]);
    tmux.wait_for("the name prompt", TIMEOUT, |s| s.contains("Save the request as profile"));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the question", TIMEOUT, |s| s.contains("Where does this secret go?"));
    assert!(screen.contains("${env:WSTAB_ECHO_SUBSCRIPTION_KEY} in the file"), "{screen}");
    assert!(screen.contains("in the file as typed") && no_secret(&screen), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the export line", TIMEOUT, |s| s.contains("export WSTAB_ECHO_SUBSCRIPTION_KEY=••••••"));
    assert!(no_secret(&screen) && screen.contains("copy the export lines"), "{screen}");
    // c copies them (no display here: the terminal's clipboard), and the window stays.
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("the copy notice", TIMEOUT, |s| s.contains("export lines") && s.contains("OSC 52"));
    assert!(no_secret(&screen) && screen.contains("export WSTAB_ECHO_SUBSCRIPTION_KEY=••••••"), "{screen}");
    tmux.keys(&["o"]);
    let screen = tmux.wait_for("the save notice", TIMEOUT, |s| s.contains("saved profile echo"));
    assert!(screen.contains("references") && no_secret(&screen), "the status bar says which:\n{screen}");
    let file = dir.path().join("profiles").join("echo.toml");
    let text = std::fs::read_to_string(&file).expect("echo.toml");
    assert!(text.contains("${env:WSTAB_ECHO_SUBSCRIPTION_KEY}") && !text.contains(TYPED), "{text}");

    // The workspace API again (its draft still holds the typed key), saved as typed with f.
    tmux.keys(&["BTab", "Home"]);
    tmux.keys(&["P"]);
    tmux.wait_for("the name prompt", TIMEOUT, |s| s.contains("Save the request as profile"));
    tmux.keys(&["End", "BSpace", "BSpace", "BSpace", "BSpace"]);
    tmux.text("echo-kept");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the question", TIMEOUT, |s| s.contains("Where does this secret go?"));
    tmux.keys(&["f"]);
    let screen = tmux.wait_for("the save notice", TIMEOUT, |s| s.contains("saved profile echo-kept"));
    assert!(screen.contains("written as typed (file mode 0600)") && no_secret(&screen), "{screen}");
    let kept = dir.path().join("profiles").join("echo-kept.toml");
    let text = std::fs::read_to_string(&kept).expect("echo-kept.toml");
    assert!(text.contains(TYPED), "the value as typed:\n{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&kept).expect("metadata").permissions().mode() & 0o777, 0o600);

    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("wstab to exit", TIMEOUT, |s| s.contains("WSTAB_EXIT="));
    assert!(screen.contains("WSTAB_EXIT=0"), "{screen}");
    let log = std::fs::read_to_string(dir.path().join("wstab.log")).unwrap_or_default();
    assert!(!log.contains(TYPED), "the typed secret reached wstab's log:\n{log}");
}
