//! Profiles in the console: saving the request as a profile (asking before overwriting),
//! renaming, duplicating and deleting saved ones, importing APIM APIs, and keeping the **APIs**
//! pane in step with the store. The store itself is only touched by the loop, through
//! [`Effect::Profiles`].

use std::collections::BTreeMap;

use super::request::{RequestDraft, Row};
use super::{App, Effect, ImportReport, Pane, PromptFor, ViewKind};
use wstab_core::catalog::EntryId;
use wstab_core::profile::{Profile, ProfileError, sanitize_name, validate_name};
use wstab_core::request::Endpoint;

/// One change to the profile store, carried out by the loop.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileOp {
    /// Write `profile` as `name`; with `overwrite` false an existing profile is left alone.
    Save {
        /// The profile's name (its file name).
        name: String,
        /// The profile.
        profile: Box<Profile>,
        /// Replace an existing profile (the user said yes).
        overwrite: bool,
    },
    /// Rename `from` to `to`.
    Rename {
        /// The current name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Copy `from` to a new profile `to`.
    Duplicate {
        /// The profile copied.
        from: String,
        /// The copy's name.
        to: String,
    },
    /// Delete `name` (the user said yes).
    Delete {
        /// The profile.
        name: String,
    },
}

impl ProfileOp {
    /// The profile the operation writes (or deletes).
    pub fn name(&self) -> &str {
        match self {
            ProfileOp::Save { name, .. } | ProfileOp::Delete { name } => name,
            ProfileOp::Rename { to, .. } | ProfileOp::Duplicate { to, .. } => to,
        }
    }
}

/// What one [`ProfileOp`] did, as the loop reports it.
#[derive(Debug)]
pub struct ProfileOutcome {
    /// The profile.
    pub name: String,
    /// What was done (`saved profile x to /path`), or the error, with file:line:col when a file
    /// does not parse.
    pub result: Result<String, ProfileError>,
}

/// What a yes/no question does on yes.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// Connect although a token has expired.
    Connect,
    /// Overwrite the existing profile `name` with the request.
    Overwrite {
        /// The profile.
        name: String,
        /// The request, as a profile.
        profile: Box<Profile>,
    },
    /// Delete the profile `name`.
    Delete {
        /// The profile.
        name: String,
    },
    /// Quit, closing the connections still open.
    Quit,
    /// Close the shown tab, losing its draft or its connection.
    CloseTab,
    /// Save imported profiles; on yes the existing ones are overwritten, on no they are kept.
    Import {
        /// Profiles whose names are free.
        new: Vec<(String, Profile)>,
        /// Profiles whose names are taken.
        existing: Vec<(String, Profile)>,
    },
}

impl Pending {
    /// What Enter answers: yes only where yes loses nothing (connecting with an expired token);
    /// a question before deleting, overwriting, quitting or closing takes no by default.
    pub fn enter_means_yes(&self) -> bool {
        matches!(self, Pending::Connect)
    }

    /// What yes and no do, in a word each, for the question's key line.
    pub fn answers(&self) -> (&'static str, &'static str) {
        match self {
            Pending::Connect => ("connect", "cancel"),
            Pending::Overwrite { .. } | Pending::Import { .. } => ("overwrite", "keep"),
            Pending::Delete { .. } => ("delete", "keep"),
            Pending::Quit => ("quit", "stay"),
            Pending::CloseTab => ("close", "keep"),
        }
    }
}

impl App {
    /// The profile the selected APIs entry is saved as, if any.
    pub fn selected_profile(&self) -> Option<&str> {
        self.selected_entry().and_then(|e| e.profile_name())
    }

    pub(super) fn selected_profile_or_say(&mut self) -> Option<String> {
        let name = self.selected_profile().map(str::to_string);
        if name.is_none() {
            self.notice("this API is not a saved profile: P saves its request as one", true);
        }
        name
    }

    /// True when a profile file of that name exists (loaded or broken).
    fn profile_exists(&self, name: &str) -> bool {
        self.profiles.contains_key(name) || self.broken_profiles.contains_key(name)
    }

    /// P: asks for the name, offering the selected profile's own name or the API's.
    pub(super) fn ask_profile_name(&mut self) {
        let Some(entry) = self.selected_entry() else {
            self.notice("no API selected: nothing to save", true);
            return;
        };
        let name = self.selected_profile().map(str::to_string).unwrap_or_else(|| sanitize_name(&entry.name()));
        self.start_prompt(PromptFor::SaveProfile, &name);
    }

    /// The selected API's request as a profile. Values are taken from the draft as typed, so a
    /// `${env:NAME}` reference is saved as the reference, never as the secret it resolves to.
    /// A request that came from a profile keeps what the Request pane does not edit (TLS,
    /// limits, saved messages).
    pub fn request_as_profile(&self, name: &str) -> Option<Profile> {
        let draft = self.draft()?;
        let entry = self.selected_entry()?;
        let base = self.selected_profile().and_then(|n| self.profiles.get(n));
        let mut p = draft_to_profile(draft, base, entry.sample_message());
        if self.selected_profile() != Some(name) {
            // A new name is what the APIs pane should show for the new profile.
            p.display_name.clear();
        }
        Some(p)
    }

    pub(super) fn save_profile_as(&mut self, name: &str) -> Option<Effect> {
        if let Err(e) = validate_name(name) {
            self.notice(format!("not saved: {e}"), true);
            return None;
        }
        if let Some(err) = self.broken_profiles.get(name) {
            // The file is kept byte for byte: the user fixes or removes it first.
            self.notice(format!("not saved: {err} (the file was left untouched; fix or remove it first)"), true);
            return None;
        }
        let profile = Box::new(self.request_as_profile(name)?);
        self.save_with_secrets(name, profile)
    }

    /// Saves `profile` as `name`, asking first when a profile of that name exists.
    pub(super) fn save_or_ask_overwrite(&mut self, name: &str, profile: Box<Profile>) -> Option<Effect> {
        if self.profile_exists(name) {
            let question = format!("A profile named {name:?} exists. Overwrite it with this request?");
            self.ask(question, Pending::Overwrite { name: name.to_string(), profile });
            return None;
        }
        let name = name.to_string();
        Some(Effect::Profiles {
            ops: vec![ProfileOp::Save { name: name.clone(), profile, overwrite: false }],
            select: Some(name),
        })
    }

    pub(super) fn rename_profile(&mut self, from: &str, to: &str) -> Option<Effect> {
        if from == to {
            return None;
        }
        if let Err(e) = validate_name(to) {
            self.notice(format!("not renamed: {e}"), true);
            return None;
        }
        if self.profile_exists(to) {
            self.notice(format!("not renamed: a profile named {to:?} exists"), true);
            return None;
        }
        let op = ProfileOp::Rename { from: from.to_string(), to: to.to_string() };
        Some(Effect::Profiles { ops: vec![op], select: Some(to.to_string()) })
    }

    pub(super) fn duplicate_profile(&mut self, from: &str, to: &str) -> Option<Effect> {
        if let Err(e) = validate_name(to) {
            self.notice(format!("not copied: {e}"), true);
            return None;
        }
        if self.profile_exists(to) {
            self.notice(format!("not copied: a profile named {to:?} exists"), true);
            return None;
        }
        let op = ProfileOp::Duplicate { from: from.to_string(), to: to.to_string() };
        Some(Effect::Profiles { ops: vec![op], select: Some(to.to_string()) })
    }

    pub(super) fn profile_confirmed(&mut self, pending: Pending) -> Option<Effect> {
        match pending {
            Pending::Connect | Pending::Quit | Pending::CloseTab => None,
            Pending::Overwrite { name, profile } => Some(Effect::Profiles {
                ops: vec![ProfileOp::Save { name: name.clone(), profile, overwrite: true }],
                select: Some(name),
            }),
            Pending::Delete { name } => Some(Effect::Profiles { ops: vec![ProfileOp::Delete { name }], select: None }),
            Pending::Import { new, existing } => Some(self.import_saves(new, existing, true)),
        }
    }

    /// No to a question: nothing is changed, except that an import still saves its new profiles.
    pub(super) fn declined(&mut self, pending: Pending) -> Option<Effect> {
        match pending {
            Pending::Connect => self.notice("not connected: the token has expired", false),
            Pending::Overwrite { name, .. } => self.notice(format!("not saved: {name:?} kept as it was"), false),
            Pending::Delete { name } => self.notice(format!("{name:?} kept"), false),
            Pending::Quit => self.notice("not quitting: the connections stay open", false),
            Pending::CloseTab => self.notice("tab kept", false),
            Pending::Import { new, existing } => return Some(self.import_saves(new, existing, false)),
        }
        None
    }

    /// The file was parsed: save the new profiles, asking first about names already taken.
    pub(super) fn import_read(
        &mut self,
        source: &str,
        result: Result<ImportReport, super::ImportFileError>,
    ) -> Option<Effect> {
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                self.notice(format!("nothing imported from {source}: {e}"), true);
                return None;
            }
        };
        let mut lines: Vec<(bool, String)> = vec![(false, format!("Import from {source}"))];
        lines.extend(report.skipped.iter().map(|s| (false, format!("skipped   {:<24} {}", s.name, s.reason))));
        if report.profiles.is_empty() {
            lines.push((true, "no WebSocket API found (only APIs whose apiType is websocket are imported)".into()));
            self.report = lines;
            self.open_view(ViewKind::Report);
            return None;
        }
        self.import_pending = Some(lines);
        let (existing, new): (Vec<_>, Vec<_>) = report.profiles.into_iter().partition(|(n, _)| self.profile_exists(n));
        if existing.is_empty() {
            return Some(self.import_saves(new, existing, false));
        }
        let names: Vec<&str> = existing.iter().map(|(n, _)| n.as_str()).collect();
        let question = format!(
            "{} of {} imported APIs have saved profiles already ({}). Overwrite them?",
            existing.len(),
            existing.len() + new.len(),
            names.join(", ")
        );
        self.ask(question, Pending::Import { new, existing });
        None
    }

    fn import_saves(
        &mut self,
        new: Vec<(String, Profile)>,
        existing: Vec<(String, Profile)>,
        overwrite: bool,
    ) -> Effect {
        let mut ops: Vec<ProfileOp> =
            new.into_iter().map(|(name, p)| ProfileOp::Save { name, profile: Box::new(p), overwrite: false }).collect();
        if overwrite {
            ops.extend(existing.into_iter().map(|(name, p)| ProfileOp::Save {
                name,
                profile: Box::new(p),
                overwrite: true,
            }));
        } else if let Some(lines) = self.import_pending.as_mut() {
            for (name, _) in existing {
                lines.push((false, format!("skipped   {name:<24} a profile of that name exists (kept)")));
            }
        }
        let select = ops.first().map(|op| op.name().to_string());
        Effect::Profiles { ops, select }
    }

    /// The store as it is now: the APIs pane lists its profiles after the workspace's own APIs
    /// (the pinned one first), keeping edits of profiles that did not change.
    pub(super) fn profiles_loaded(
        &mut self,
        profiles: Vec<(String, Profile)>,
        broken: Vec<(String, String)>,
        outcomes: Vec<ProfileOutcome>,
        select: Option<String>,
    ) {
        let new_profiles: BTreeMap<String, Profile> = profiles.into_iter().collect();
        // Tabs and sessions hold entry ids, which a reload keeps for every profile still there.
        for gone in self.catalog.set_profiles(&new_profiles, self.pinned_profile.as_deref()) {
            self.drafts.remove(&gone);
        }
        for entry in self.catalog.entries() {
            let Some(name) = entry.profile_name() else { continue };
            // An unchanged profile keeps the user's unsaved edits; a changed or new one starts
            // over from its whole request (TLS, limits, secret names and session options too).
            let unchanged = self.profiles.get(name) == new_profiles.get(name) && self.drafts.contains_key(&entry.id);
            if !unchanged {
                self.drafts.insert(entry.id, RequestDraft::from_request(entry.request.clone()));
            }
        }
        self.profiles = new_profiles;
        self.broken_profiles = broken.into_iter().collect();
        let first = self.catalog.id_at(0);
        let exists = |id: &EntryId| self.catalog.get(*id).is_some();
        let by_select = select.and_then(|n| self.catalog.find_profile(&n));
        self.tab.selected = by_select.or(self.tab.selected.filter(exists)).or(first);
        for t in &mut self.parked {
            t.selected = t.selected.filter(exists).or(first);
        }
        self.report_outcomes(outcomes);
        self.load_sample_message();
    }

    fn report_outcomes(&mut self, outcomes: Vec<ProfileOutcome>) {
        if let Some(mut lines) = self.import_pending.take() {
            for o in &outcomes {
                match &o.result {
                    Ok(done) => lines.push((false, format!("imported  {:<24} {done}", o.name))),
                    Err(e) => lines.push((true, format!("error     {:<24} {e}", o.name))),
                }
            }
            let imported = outcomes.iter().filter(|o| o.result.is_ok()).count();
            let skipped = lines.iter().filter(|(_, l)| l.starts_with("skipped")).count();
            lines.insert(1, (false, format!("{imported} imported, {skipped} skipped")));
            self.report = lines;
            self.open_view(ViewKind::Report);
            self.focus = Pane::Apis;
            return;
        }
        match outcomes.as_slice() {
            [] => {}
            [one] => match &one.result {
                // Where the typed secrets went, said once the file is written.
                Ok(done) => match self.save_note.take() {
                    Some(note) => self.notice(format!("{done}; {note}"), false),
                    None => self.notice(done.clone(), false),
                },
                Err(e) => self.notice(format!("{}: {e}", one.name), true),
            },
            many => {
                let failed: Vec<&ProfileOutcome> = many.iter().filter(|o| o.result.is_err()).collect();
                match failed.first() {
                    Some(f) => self
                        .notice(format!("{} of {} failed; {}: {:?}", failed.len(), many.len(), f.name, f.result), true),
                    None => self.notice(format!("{} profiles saved", many.len()), false),
                }
            }
        }
    }
}

/// A draft as a profile. `base` is the profile being overwritten with its own request, whose
/// other settings are kept. The URL is kept as gateway + URL suffix when that is what it is.
pub fn draft_to_profile(draft: &RequestDraft, base: Option<&Profile>, sample: Option<&str>) -> Profile {
    let params = |rows: &[Row]| rows.iter().map(|r| r.param.clone()).collect();
    let mut p = base.cloned().unwrap_or_default();
    if base.is_none_or(|b| b.base_url() != draft.base_url) {
        (p.url, p.gateway, p.url_suffix) = match draft.request().endpoint {
            // A workspace may hold a full URL as a suffix; a profile keeps it as the URL it is.
            Endpoint::Gateway { gateway, url_suffix } if !gateway.is_empty() && !url_suffix.contains("://") => {
                // On the demo, the name, not this run's address, so the profile works after a
                // restart (its key is the demo's fixed, well-known one).
                let on_demo = wstab_core::request::running_demo_gateway().is_some_and(|d| d == gateway);
                let gateway = if on_demo { wstab_core::request::DEMO_GATEWAY.to_string() } else { gateway };
                (String::new(), gateway, url_suffix)
            }
            _ => (draft.base_url.clone(), String::new(), String::new()),
        };
    }
    p.query = params(&draft.query);
    p.headers = params(&draft.headers);
    // On the demo chat, the token source is saved, not the one-hour token: the profile mints a
    // fresh one at every connect and keeps working after the hour and a restart.
    if p.webpubsub.is_none()
        && let Some(auth) = crate::console::state::demo_chat::demo_chat_auth(&draft.request())
    {
        p.query.retain(|q| q.name != "access_token");
        p.webpubsub = Some(auth);
    }
    p.subprotocols = draft.subprotocols.clone();
    if base.is_none() {
        // What the Request pane does not show but the request holds (`wstab URL --insecure
        // --ca FILE --connect-timeout S --secret NAME`) is saved with it.
        let r = &draft.base;
        p.tls = r.tls.clone();
        p.connect_timeout_secs = r.connect_timeout.map(|d| d.as_secs_f64());
        p.max_message_size = r.max_message_size;
        p.secret_names = r.secret_names.clone();
    }
    if base.is_none()
        && let Some(body) = sample.filter(|s| !s.is_empty())
    {
        // The workspace's sample message becomes the profile's first saved message.
        p.messages.push(wstab_core::profile::SavedMessage {
            name: "sample".into(),
            body: body.to_string(),
            format: wstab_core::profile::MessageFormat::Text,
        });
    }
    p
}
