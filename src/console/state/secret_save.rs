//! Saving a profile whose secret values were typed asks where each secret goes: an
//! `${env:NAME}` reference (the default: the file holds the name, and the `export NAME=…` line to
//! set it is shown to copy) or the file as typed (written with mode 0600, as every profile is).
//! The status bar says which was done; a value never reaches a notice, a log or a file other
//! than the profile the user chose to write it to.
//!
//! Values that are not secrets to keep (a `${env:…}` reference already, the demo's well-known
//! public key on a `gateway = "demo"` profile) are not asked about.

use wstab_core::connection::Param;
use wstab_core::profile::Profile;
use wstab_core::secret::{MASK, is_secret_name};

use super::copy::CopyContent;
use super::modal::{Ask, AskFor, AskOption};
use super::*;

/// Which table of the profile a secret row is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretIn {
    /// `[[query]]`.
    Query,
    /// `[[headers]]`.
    Header,
}

/// One typed secret of the profile being saved, and the variable it would be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedSecret {
    /// Its table.
    pub table: SecretIn,
    /// Its row in the table.
    pub row: usize,
    /// The row's name (`subscription-key`).
    pub name: String,
    /// The environment variable suggested for it (`WSTAB_MY_ECHO_SUBSCRIPTION_KEY`).
    pub env: String,
}

/// A profile save waiting for the answers about its typed secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretSave {
    /// The profile's name.
    pub name: String,
    /// The profile; rows answered "reference" already hold `${env:NAME}`.
    pub profile: Box<Profile>,
    /// The secrets still to ask about, the current one first.
    pub left: Vec<TypedSecret>,
    /// Variables to export (name, value), for the export lines.
    pub exports: Vec<(String, String)>,
    /// Secrets written as typed, by row name.
    pub kept: Vec<String>,
}

/// The export lines of secrets saved as references, shown to copy.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportLines {
    /// (variable, value) pairs.
    pub vars: Vec<(String, String)>,
    /// The values are shown (`r`); masked otherwise.
    pub revealed: bool,
    /// The profile saved once the lines are closed (name, profile), so the status bar's
    /// "saved" is read after them.
    pub then_save: Option<(String, Box<Profile>)>,
}

impl ExportLines {
    /// `export NAME='value'` lines, single-quoted for a POSIX shell.
    pub fn text(&self) -> String {
        self.vars.iter().map(|(n, v)| format!("export {n}={}\n", shell_quote(v))).collect()
    }

    fn shown(&self) -> Vec<String> {
        self.vars
            .iter()
            .map(
                |(n, v)| {
                    if self.revealed { format!("export {n}={}", shell_quote(v)) } else { format!("export {n}={MASK}") }
                },
            )
            .collect()
    }
}

fn shell_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

/// `WSTAB_<PROFILE>_<NAME>`: upper case, anything but letters and digits as `_`.
pub fn env_name(profile: &str, row: &str) -> String {
    let clean = |s: &str| {
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect::<String>()
    };
    format!("WSTAB_{}_{}", clean(profile), clean(row))
}

/// The profile's secret values typed as they are (not `${env:…}` references), in file order.
/// A value the file being overwritten (`existing`) already holds as it is was placed there
/// before: it is not asked about again.
pub fn typed_secrets(name: &str, p: &Profile, existing: Option<&Profile>) -> Vec<TypedSecret> {
    let demo_key = |param: &Param| p.endpoint().is_demo() && param.value == wstab_core::request::DEMO_SUBSCRIPTION_KEY;
    let typed = |param: &Param| {
        (param.secret || is_secret_name(&param.name, &p.secret_names))
            && !param.value.trim().is_empty()
            && !param.value.contains("${env:")
            && !demo_key(param)
    };
    let kept_before = |table: SecretIn, param: &Param| {
        existing.is_some_and(|e| {
            let rows = if table == SecretIn::Query { &e.query } else { &e.headers };
            rows.iter().any(|r| r.name == param.name && r.value == param.value)
        })
    };
    let rows = |table: SecretIn, params: &[Param]| {
        params
            .iter()
            .enumerate()
            .filter(|(_, param)| typed(param) && !kept_before(table, param))
            .map(|(row, param)| TypedSecret { table, row, name: param.name.clone(), env: env_name(name, &param.name) })
            .collect::<Vec<_>>()
    };
    let mut all = rows(SecretIn::Query, &p.query);
    all.extend(rows(SecretIn::Header, &p.headers));
    all
}

impl App {
    /// Before a profile is written: asks about its typed secrets one by one, then saves (asking
    /// before an overwrite). With none, saves at once.
    pub(super) fn save_with_secrets(&mut self, name: &str, profile: Box<Profile>) -> Option<Effect> {
        let left = typed_secrets(name, &profile, self.profiles.get(name));
        if left.is_empty() {
            return self.save_or_ask_overwrite(name, profile);
        }
        let save = SecretSave { name: name.to_string(), profile, left, exports: Vec::new(), kept: Vec::new() };
        self.ask_secret_place(save);
        None
    }

    fn ask_secret_place(&mut self, save: SecretSave) {
        let Some(s) = save.left.first() else { return };
        let what = match s.table {
            SecretIn::Query => "query parameter",
            SecretIn::Header => "header",
        };
        let n = save.left.len();
        let more = if n > 1 { format!(" ({n} secrets to place)") } else { String::new() };
        self.ask_options(Ask {
            title: "Where does this secret go?".into(),
            text: vec![format!("Profile {}: the value typed for the {what} {}{more}.", save.name, s.name)],
            options: vec![
                AskOption::new('e', format!("${{env:{}}} in the file; you export the value (default)", s.env)),
                AskOption::new('f', "in the file as typed (readable only by you: mode 0600)"),
            ],
            selected: 0,
            on: AskFor::SecretPlace(save),
        });
    }

    /// `e` (a reference) or `f` (as typed) for the current secret; the next is asked, or the
    /// profile saved.
    pub(super) fn secret_place_picked(&mut self, mut save: SecretSave, key: char) -> Option<Effect> {
        if save.left.is_empty() {
            return None;
        }
        let s = save.left.remove(0);
        let rows = match s.table {
            SecretIn::Query => &mut save.profile.query,
            SecretIn::Header => &mut save.profile.headers,
        };
        let row = rows.get_mut(s.row)?;
        if key == 'f' {
            save.kept.push(s.name);
        } else {
            let value = std::mem::replace(&mut row.value, format!("${{env:{}}}", s.env));
            row.secret = true;
            save.exports.push((s.env, value));
        }
        if !save.left.is_empty() {
            self.ask_secret_place(save);
            return None;
        }
        let SecretSave { name, profile, exports, kept, .. } = save;
        let mut said = Vec::new();
        if !exports.is_empty() {
            let names: Vec<&str> = exports.iter().map(|(n, _)| n.as_str()).collect();
            said.push(format!("as ${{env:}} references ({}; export them before connecting)", names.join(", ")));
        }
        if !kept.is_empty() {
            said.push(format!("{} written as typed (file mode 0600)", kept.join(", ")));
        }
        self.save_note = Some(format!("secrets: {}", said.join("; ")));
        if exports.is_empty() {
            return self.save_or_ask_overwrite(&name, profile);
        }
        self.show_export_lines(ExportLines { vars: exports, revealed: false, then_save: Some((name, profile)) });
        None
    }

    pub(super) fn secret_save_cancelled(&mut self, save: SecretSave) {
        self.notice(format!("not saved: profile {} (nothing was written)", save.name), false);
    }

    fn show_export_lines(&mut self, lines: ExportLines) {
        let mut text =
            vec!["Set these in your shell before connecting (the profile reads them at connect time):".into()];
        text.extend(lines.shown());
        let reveal = if lines.revealed { "mask the values again" } else { "show the values (to copy by hand)" };
        self.ask_options(Ask {
            title: "Export the secrets".into(),
            text,
            options: vec![
                AskOption::new('c', "copy the export lines (the values included)"),
                AskOption::new('r', reveal),
                AskOption::new('o', "done: save the profile"),
            ],
            selected: 0,
            on: AskFor::ExportLines(lines),
        });
    }

    /// `c` copies the lines (and keeps them open), `r` shows or masks the values; `o` (or Esc,
    /// `key` `None`) closes them and saves the profile.
    pub(super) fn export_lines_picked(&mut self, mut lines: ExportLines, key: Option<char>) -> Option<Effect> {
        match key {
            Some('c') => {
                let text = lines.text();
                self.show_export_lines(lines);
                Some(Effect::Copy { what: "the export lines".into(), content: CopyContent::Text(text) })
            }
            Some('r') => {
                lines.revealed = !lines.revealed;
                self.show_export_lines(lines);
                None
            }
            _ => {
                let (name, profile) = lines.then_save?;
                self.save_or_ask_overwrite(&name, profile)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::state::profiles::{ProfileOp, ProfileOutcome};
    use crate::console::state::tests::workspace;

    /// Chat selected with its key typed, `P`, the offered name (`chat`) accepted.
    fn saving_chat_with_a_typed_key() -> App {
        let mut app = App::new(workspace(), 100);
        app.select_index(1);
        app.draft_at(1).query[0].param.value = "s3cret-typed".into();
        let vp = Viewport::default();
        app.update(Intent::SaveProfile, &vp);
        assert_eq!(app.update(Intent::Enter, &vp), None, "nothing is written before the answer");
        app
    }

    fn ask_text(app: &App) -> String {
        let a = app.modals.ask().expect("a question is open");
        let options: Vec<String> = a.options.iter().map(|o| format!("{} {}", o.key, o.label)).collect();
        format!("{}\n{}\n{}", a.title, a.text.join("\n"), options.join("\n"))
    }

    fn saved(effect: Option<Effect>) -> Profile {
        let Some(Effect::Profiles { mut ops, .. }) = effect else { panic!("the profile is saved: {effect:?}") };
        let Some(ProfileOp::Save { profile, .. }) = ops.pop() else { panic!("a save") };
        *profile
    }

    #[test]
    fn test_a_typed_secret_becomes_an_env_reference_by_default_with_the_export_line_masked() {
        let mut app = saving_chat_with_a_typed_key();
        let asked = ask_text(&app);
        assert!(asked.contains("query parameter subscription-key"), "{asked}");
        assert!(asked.contains("e ${env:WSTAB_CHAT_SUBSCRIPTION_KEY}") && asked.contains("f in the file"), "{asked}");
        assert!(!asked.contains("s3cret-typed"), "{asked}");
        let vp = Viewport::default();
        assert_eq!(app.update(Intent::Enter, &vp), None, "saved once the export lines are closed");
        // The export line to copy: masked on screen until r, copied whole with c.
        let shown = ask_text(&app);
        assert!(shown.contains("export WSTAB_CHAT_SUBSCRIPTION_KEY=••••••"), "{shown}");
        assert!(!shown.contains("s3cret-typed"), "{shown}");
        assert_eq!(app.update(Intent::Char('r'), &vp), None);
        assert!(ask_text(&app).contains("export WSTAB_CHAT_SUBSCRIPTION_KEY='s3cret-typed'"));
        let Some(Effect::Copy { content: CopyContent::Text(copied), .. }) = app.update(Intent::Char('c'), &vp) else {
            panic!("c copies the lines")
        };
        assert_eq!(copied, "export WSTAB_CHAT_SUBSCRIPTION_KEY='s3cret-typed'\n");
        assert!(app.modals.ask().is_some(), "the lines stay until done");
        let p = saved(app.update(Intent::Char('o'), &vp));
        assert!(app.modals.ask().is_none());
        assert_eq!(p.query[0].value, "${env:WSTAB_CHAT_SUBSCRIPTION_KEY}");
        assert!(p.query[0].secret);
        // The status bar says which was done, never the value.
        let outcome = ProfileOutcome { name: "chat".into(), result: Ok("saved profile chat to /p/chat.toml".into()) };
        app.on_reply(Reply::ProfilesLoaded {
            profiles: Vec::new(),
            broken: Vec::new(),
            outcomes: vec![outcome],
            select: None,
        });
        let notice = app.notice.clone().unwrap().text;
        assert!(notice.contains("saved profile chat") && notice.contains("${env:} references"), "{notice}");
        assert!(notice.contains("WSTAB_CHAT_SUBSCRIPTION_KEY") && !notice.contains("s3cret-typed"), "{notice}");
    }

    #[test]
    fn test_f_writes_the_secret_as_typed_and_says_so() {
        let mut app = saving_chat_with_a_typed_key();
        let vp = Viewport::default();
        let p = saved(app.update(Intent::Char('f'), &vp));
        assert_eq!(p.query[0].value, "s3cret-typed");
        assert!(app.modals.ask().is_none(), "no export line for a secret kept in the file");
        let outcome = ProfileOutcome { name: "chat".into(), result: Ok("saved profile chat to /p/chat.toml".into()) };
        app.on_reply(Reply::ProfilesLoaded {
            profiles: Vec::new(),
            broken: Vec::new(),
            outcomes: vec![outcome],
            select: None,
        });
        let notice = app.notice.clone().unwrap().text;
        assert!(notice.contains("subscription-key written as typed (file mode 0600)"), "{notice}");
    }

    #[test]
    fn test_esc_saves_nothing() {
        let mut app = saving_chat_with_a_typed_key();
        assert_eq!(app.update(Intent::Escape, &Viewport::default()), None);
        assert!(app.notice.clone().unwrap().text.starts_with("not saved"));
    }

    #[test]
    fn test_references_and_the_demos_public_key_are_not_asked_about() {
        let mut p = Profile { gateway: "demo".into(), url_suffix: "echo".into(), ..Profile::default() };
        p.query = vec![Param::new("subscription-key", wstab_core::request::DEMO_SUBSCRIPTION_KEY).secret()];
        p.headers = vec![Param::new("Authorization", "${env:TOKEN}"), Param::new("X-Plain", "v")];
        assert!(typed_secrets("demo-echo", &p, None).is_empty());
        p.gateway = "wss://gw.example.net".into();
        let asked = typed_secrets("my echo", &p, None);
        assert_eq!(asked.len(), 1, "the same key off the demo is a secret");
        assert_eq!(asked[0].env, "WSTAB_MY_ECHO_SUBSCRIPTION_KEY");
        // Overwriting a profile that holds the value as typed already: placed before, not asked.
        assert!(typed_secrets("my echo", &p, Some(&p.clone())).is_empty());
    }
}
