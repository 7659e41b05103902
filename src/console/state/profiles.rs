//! Profiles in the console: saving the request as a profile (asking before overwriting),
//! renaming, duplicating and deleting saved ones, importing APIM APIs, and keeping the **APIs**
//! pane in step with the store. The store itself is only touched by the loop, through
//! [`Effect::Profiles`].

use std::collections::BTreeMap;

use super::request::{RequestDraft, Row};
use super::{App, Confirm, Effect, ImportReport, Overlay, Pane, PromptFor};
use wstab_core::profile::{Profile, sanitize_name, validate_name};
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileOutcome {
    /// The profile.
    pub name: String,
    /// What was done (`saved profile x to /path`), or the error, with file:line:col when a file
    /// does not parse.
    pub result: Result<String, String>,
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
    /// Save imported profiles; on yes the existing ones are overwritten, on no they are kept.
    Import {
        /// Profiles whose names are free.
        new: Vec<(String, Profile)>,
        /// Profiles whose names are taken.
        existing: Vec<(String, Profile)>,
    },
}

impl App {
    /// The profile the selected APIs entry is saved as, if any.
    pub fn selected_profile(&self) -> Option<&str> {
        self.saved_as.get(self.tab.selected_api).and_then(|p| p.as_deref())
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
        let Some(api) = self.workspace.apis.get(self.tab.selected_api) else {
            self.notice("no API selected: nothing to save", true);
            return;
        };
        let name = self.selected_profile().map(str::to_string).unwrap_or_else(|| sanitize_name(&api.name));
        self.start_prompt(PromptFor::SaveProfile, &name);
    }

    /// The selected API's request as a profile. Values are taken from the draft as typed, so a
    /// `${env:NAME}` reference is saved as the reference, never as the secret it resolves to.
    /// A request that came from a profile keeps what the Request pane does not edit (TLS,
    /// limits, saved messages).
    pub fn request_as_profile(&self, name: &str) -> Option<Profile> {
        let draft = self.draft()?;
        let api = self.workspace.apis.get(self.tab.selected_api)?;
        let base = self.selected_profile().and_then(|n| self.profiles.get(n));
        let mut p = draft_to_profile(draft, base, api.sample_message.as_deref());
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
        if self.profile_exists(name) {
            let question =
                format!("A profile named {name:?} exists. Overwrite it with this request? y overwrite · n keep");
            self.confirm = Some(Confirm { question, on_yes: Pending::Overwrite { name: name.to_string(), profile } });
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
            Pending::Connect => None,
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
            Pending::Import { new, existing } => return Some(self.import_saves(new, existing, false)),
        }
        None
    }

    /// The file was parsed: save the new profiles, asking first about names already taken.
    pub(super) fn import_read(&mut self, source: &str, result: Result<ImportReport, String>) -> Option<Effect> {
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
            self.overlay = Some(Overlay::Report { scroll: 0 });
            return None;
        }
        self.import_pending = Some(lines);
        let (existing, new): (Vec<_>, Vec<_>) = report.profiles.into_iter().partition(|(n, _)| self.profile_exists(n));
        if existing.is_empty() {
            return Some(self.import_saves(new, existing, false));
        }
        let names: Vec<&str> = existing.iter().map(|(n, _)| n.as_str()).collect();
        let question = format!(
            "{} of {} imported APIs have saved profiles already ({}). Overwrite them? y overwrite · n keep them",
            existing.len(),
            existing.len() + new.len(),
            names.join(", ")
        );
        self.confirm = Some(Confirm { question, on_yes: Pending::Import { new, existing } });
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
        // Entries are remembered by what they are, not where they were: the list is rebuilt.
        let selected = entry_key(&self.saved_as, self.tab.selected_api);
        let connected = self.tab.connection.as_ref().and_then(|c| entry_key(&self.saved_as, c.api));
        // The hidden tabs' selections and sessions are remembered the same way.
        let parked: Vec<_> = self
            .parked
            .iter()
            .map(|t| {
                let api = entry_key(&self.saved_as, t.selected_api);
                let conn = t.connection.as_ref().and_then(|c| entry_key(&self.saved_as, c.api));
                (api, conn)
            })
            .collect();
        let mut own = Vec::new();
        let mut old: BTreeMap<String, RequestDraft> = BTreeMap::new();
        let apis = std::mem::take(&mut self.workspace.apis);
        let drafts = std::mem::take(&mut self.drafts);
        let saved_as = std::mem::take(&mut self.saved_as);
        for ((api, draft), saved) in apis.into_iter().zip(drafts).zip(saved_as) {
            match saved {
                Some(name) => {
                    old.insert(name, draft);
                }
                None => own.push((api, draft)),
            }
        }
        let new_profiles: BTreeMap<String, Profile> = profiles.into_iter().collect();
        let mut listed = Vec::new();
        for (name, profile) in &new_profiles {
            let api = profile.to_api(name);
            // An unchanged profile keeps the user's unsaved edits.
            let draft = match old.remove(name) {
                Some(d) if self.profiles.get(name) == Some(profile) => d,
                // The whole request: TLS, limits, secret names and session options too.
                _ => RequestDraft::from_request(profile.request()),
            };
            listed.push((name.clone(), api, draft));
        }
        let pinned = self
            .pinned_profile
            .as_ref()
            .and_then(|pin| listed.iter().position(|(n, _, _)| n == pin))
            .map(|i| listed.remove(i));
        let own = own.into_iter().map(|(api, draft)| (None, api, draft));
        let listed = listed.into_iter().map(|(name, api, draft)| (Some(name), api, draft));
        let pinned = pinned.into_iter().map(|(name, api, draft)| (Some(name), api, draft));
        for (saved, api, draft) in pinned.chain(own).chain(listed) {
            self.workspace.apis.push(api);
            self.drafts.push(draft);
            self.saved_as.push(saved);
        }
        self.profiles = new_profiles;
        self.broken_profiles = broken.into_iter().collect();
        let by_select = select.and_then(|n| find_entry(&self.saved_as, &EntryKey::Profile(n)));
        self.tab.selected_api = by_select
            .or_else(|| selected.as_ref().and_then(|k| find_entry(&self.saved_as, k)))
            .unwrap_or(0)
            .min(self.workspace.apis.len().saturating_sub(1));
        if let Some(c) = self.tab.connection.as_mut() {
            // A deleted profile's session is marked on no entry rather than on the wrong one.
            c.api = connected.as_ref().and_then(|k| find_entry(&self.saved_as, k)).unwrap_or(usize::MAX);
        }
        let last = self.workspace.apis.len().saturating_sub(1);
        for (t, (api, conn)) in self.parked.iter_mut().zip(parked) {
            t.selected_api = api.as_ref().and_then(|k| find_entry(&self.saved_as, k)).unwrap_or(0).min(last);
            if let Some(c) = t.connection.as_mut() {
                c.api = conn.as_ref().and_then(|k| find_entry(&self.saved_as, k)).unwrap_or(usize::MAX);
            }
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
            self.overlay = Some(Overlay::Report { scroll: 0 });
            self.focus = Pane::Apis;
            return;
        }
        match outcomes.as_slice() {
            [] => {}
            [one] => match &one.result {
                Ok(done) => self.notice(done.clone(), false),
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

/// An APIs entry by identity: the workspace's n-th own API, or a profile by name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EntryKey {
    Own(usize),
    Profile(String),
}

fn entry_key(saved_as: &[Option<String>], i: usize) -> Option<EntryKey> {
    match saved_as.get(i)? {
        Some(name) => Some(EntryKey::Profile(name.clone())),
        None => Some(EntryKey::Own(saved_as[..i].iter().filter(|s| s.is_none()).count())),
    }
}

fn find_entry(saved_as: &[Option<String>], k: &EntryKey) -> Option<usize> {
    match k {
        EntryKey::Profile(name) => saved_as.iter().position(|s| s.as_deref() == Some(name.as_str())),
        EntryKey::Own(n) => saved_as.iter().enumerate().filter(|(_, s)| s.is_none()).nth(*n).map(|(i, _)| i),
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
    p.subprotocols = draft.subprotocols.clone();
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
