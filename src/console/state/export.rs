//! The shown tab's session out of the console: as HAR (H), as a `wstab run` script (R), and the
//! correlation pointer its pairing uses (Ctrl-R). The files are rendered here (pure) and written
//! by the loop ([`Effect::WriteFile`]).

use std::path::PathBuf;

use super::{App, Effect, PromptFor};
use wstab_core::connection::EventKind;
use wstab_core::script::ScriptTarget;
use wstab_core::secret::Masker;

impl App {
    /// Asks for the file, unless the tab has no session to export.
    pub(super) fn ask_export(&mut self, what: PromptFor, default: &str) {
        if self.tab.recording.is_empty() {
            let f5 = self.key_for(&crate::console::state::Intent::ToggleConnection);
            self.notice(format!("nothing to export: this tab has no session yet ({f5} connects)"), true);
            return;
        }
        self.start_prompt(what, default);
    }

    /// Renders the tab's session as HAR or as a script for `path`.
    pub(super) fn export(&mut self, what: &PromptFor, path: &str) -> Option<Effect> {
        if path.is_empty() {
            self.notice("not saved: no file name", true);
            return None;
        }
        let events = self.tab.recording.events();
        let masker = self.session_masker();
        let (kind, contents) = match what {
            PromptFor::HarPath => {
                let har = wstab_core::export::har::from_events_masked(&events, &masker);
                ("HAR", serde_json::to_string_pretty(&har).unwrap_or_default())
            }
            _ => ("script", wstab_core::script::from_session(&self.script_target(&events), &events, &masker)),
        };
        let mut what = kind.to_string();
        if self.tab.recording.dropped() > 0 {
            // Bounded like the log: say so rather than pass a partial export off as whole.
            what.push_str(&format!(" (oldest {} messages dropped; s saves all)", self.tab.recording.dropped()));
        }
        Some(Effect::WriteFile { path: PathBuf::from(path), what, contents })
    }

    /// The secrets of the request the tab's session was opened for (names marked secret, the
    /// values sent under secret names, `${env:…}` values), so the exports mask them even if an
    /// event carried one unmasked.
    fn session_masker(&self) -> Masker {
        let entry = self.tab.connection.as_ref().map(|c| c.entry).or(self.tab.selected);
        let Some(draft) = entry.and_then(|id| self.drafts.get(&id)) else { return Masker::default() };
        let mut target = draft.target();
        // An unset variable only means there is no value to remember; names still mask.
        let _ = wstab_core::profile::resolve_target(&mut target);
        target.masker()
    }

    /// The profile the tab's session was opened with, else the URL it connected to (as logged:
    /// secrets masked, so replaying it may need them put back as `${env:NAME}`).
    fn script_target(&self, events: &[wstab_core::connection::Event]) -> ScriptTarget {
        let entry = self.tab.connection.as_ref().map(|c| c.entry).or(self.tab.selected);
        if let Some(name) = entry.and_then(|id| self.catalog.get(id)).and_then(|e| e.profile_name()) {
            return ScriptTarget::Profile(name.to_string());
        }
        let logged = events.iter().find_map(|e| match &e.kind {
            EventKind::Connecting { url } => Some(url.clone()),
            _ => None,
        });
        let url = logged.or_else(|| self.drafts.get(&entry?).map(|d| d.base_url.clone())).unwrap_or_default();
        ScriptTarget::Url(url)
    }

    /// Sets (or, empty, clears) the tab's correlation pointer and restarts its pairing.
    pub(super) fn set_correlation(&mut self, pointer: &str) -> Option<Effect> {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            self.notice(format!("{pointer:?} is not a JSON pointer: it starts with /, e.g. /ackId"), true);
            return None;
        }
        let pointer = Some(pointer.to_string()).filter(|p| !p.is_empty());
        self.tab.correlation_override = Some(pointer.clone());
        self.tab.pairing.restart(pointer.clone());
        let text = match pointer {
            Some(p) => format!("pairing replies by {p} in this tab (stats start over)"),
            None => "correlation cleared: pairing pings and pongs only".to_string(),
        };
        self.notice(text, false);
        None
    }
}
