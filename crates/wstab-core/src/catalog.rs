//! The catalog: every request the user can pick — the workspace's APIs, the saved profiles and
//! URLs opened ad hoc — as one list of entries, each with a stable [`EntryId`].
//!
//! Front ends refer to entries by id, never by list position: reloading the profiles rebuilds
//! the order (the pinned profile first, then the workspace's APIs and ad-hoc URLs, then the
//! profiles by name) but keeps the id of every profile that still exists, so a tab's selection
//! or a session's entry survives a rename of something else, a save or an import.

use std::collections::BTreeMap;

use crate::profile::{MessageFormat, Profile, SavedMessage};
use crate::request::Request;
use crate::workspace::Workspace;

/// A catalog entry's identity: stable for the entry's life, never reused within a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(u64);

/// Where an entry comes from: what it is to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// One of the workspace's APIs, behind its gateway.
    Workspace {
        /// The API's id (APIM's `name`).
        name: String,
        /// The API URL suffix, as the APIs pane shows it.
        url_suffix: String,
    },
    /// A saved profile.
    Profile {
        /// The profile's name (its file name).
        name: String,
    },
    /// A URL opened without a workspace API or a profile behind it.
    Adhoc,
}

/// One request the user can pick.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its stable identity.
    pub id: EntryId,
    /// What it is: a workspace API, a profile or an ad-hoc URL.
    pub source: Source,
    /// The name shown in lists (a display name, else the id or the URL).
    pub title: String,
    /// The request as saved (references unresolved).
    pub request: Request,
    /// Messages offered for the composer: a profile's saved messages, or a workspace API's
    /// sample message (named `sample`).
    pub messages: Vec<SavedMessage>,
}

impl Entry {
    /// The entry's name: the API's id, the profile's name, or the URL.
    pub fn name(&self) -> String {
        match &self.source {
            Source::Workspace { name, .. } | Source::Profile { name } => name.clone(),
            Source::Adhoc => self.request.endpoint.url(),
        }
    }

    /// The profile this entry is, if it is one.
    pub fn profile_name(&self) -> Option<&str> {
        match &self.source {
            Source::Profile { name } => Some(name),
            _ => None,
        }
    }

    /// The message put in an empty composer when the entry is selected.
    pub fn sample_message(&self) -> Option<&str> {
        self.messages.first().map(|m| m.body.as_str())
    }
}

/// The entries, in the order they are listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    entries: Vec<Entry>,
    next_id: u64,
    // The profile listed first (`--profile NAME`), as of the last reload.
    pinned: Option<String>,
}

impl Catalog {
    /// The workspace's APIs, in the workspace's order.
    pub fn from_workspace(workspace: &Workspace) -> Self {
        let mut catalog = Self::default();
        for api in &workspace.apis {
            let messages = api.sample_message.iter().map(|body| sample(body)).collect();
            let source = Source::Workspace { name: api.name.clone(), url_suffix: api.url_suffix.clone() };
            let request = api.request(&workspace.gateway);
            catalog.push(source, api.title().to_string(), request, messages);
        }
        catalog
    }

    fn push(&mut self, source: Source, title: String, request: Request, messages: Vec<SavedMessage>) -> EntryId {
        let id = EntryId(self.next_id);
        self.next_id += 1;
        self.entries.push(Entry { id, source, title, request, messages });
        id
    }

    /// Adds a URL as an entry of its own (listed after the workspace's APIs and earlier ad-hoc
    /// URLs, before the profiles but after the pinned one) and returns its id.
    pub fn add_adhoc(&mut self, url: &str) -> EntryId {
        self.add_adhoc_request(Request::to_url(url))
    }

    /// [`Catalog::add_adhoc`] for a whole request (its query split into parameters, headers,
    /// TLS options…): the entry is titled with its URL, which holds no query, so no secret.
    pub fn add_adhoc_request(&mut self, request: Request) -> EntryId {
        let is_profile = |e: &Entry| matches!(e.source, Source::Profile { .. });
        let at = match self.entries.iter().rposition(|e| !is_profile(e)) {
            Some(last_own) => last_own + 1,
            None => usize::from(
                self.pinned.is_some()
                    && self.entries.first().is_some_and(|e| e.profile_name() == self.pinned.as_deref()),
            ),
        };
        // A password in the URL's userinfo stays off the APIs list.
        let title = crate::secret::mask_url(&request.endpoint.url(), &[]);
        let id = self.push(Source::Adhoc, title, request, Vec::new());
        if let Some(entry) = self.entries.pop() {
            self.entries.insert(at, entry);
        }
        id
    }

    /// The entries in list order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is nothing to pick.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry with this id, if it still exists.
    pub fn get(&self, id: EntryId) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Where the entry is listed now, if it still exists.
    pub fn position(&self, id: EntryId) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// The id of the entry listed at `index`.
    pub fn id_at(&self, index: usize) -> Option<EntryId> {
        self.entries.get(index).map(|e| e.id)
    }

    /// The entry of the saved profile `name`.
    pub fn find_profile(&self, name: &str) -> Option<EntryId> {
        self.entries.iter().find(|e| e.profile_name() == Some(name)).map(|e| e.id)
    }

    /// Replaces the profile entries with the store as it is now: a profile that still exists
    /// keeps its id (its request, title and messages are updated), a new one gets a fresh id.
    /// `pinned` is listed first. Returns the ids of the profiles that are gone.
    pub fn set_profiles(&mut self, profiles: &BTreeMap<String, Profile>, pinned: Option<&str>) -> Vec<EntryId> {
        let (old, own): (Vec<Entry>, Vec<Entry>) =
            std::mem::take(&mut self.entries).into_iter().partition(|e| matches!(e.source, Source::Profile { .. }));
        let mut old: BTreeMap<String, EntryId> =
            old.into_iter().filter_map(|e| Some((e.profile_name()?.to_string(), e.id))).collect();
        let mut listed = Vec::new();
        for (name, profile) in profiles {
            let id = old.remove(name).unwrap_or_else(|| {
                self.next_id += 1;
                EntryId(self.next_id - 1)
            });
            let title = if profile.display_name.is_empty() { name.clone() } else { profile.display_name.clone() };
            listed.push(Entry {
                id,
                source: Source::Profile { name: name.clone() },
                title,
                request: profile.request(),
                messages: profile.messages.clone(),
            });
        }
        let pinned = pinned.and_then(|pin| listed.iter().position(|e| e.profile_name() == Some(pin)));
        let pinned = pinned.map(|i| listed.remove(i));
        self.pinned = pinned.as_ref().and_then(|e| e.profile_name()).map(str::to_string);
        self.entries = pinned.into_iter().chain(own).chain(listed).collect();
        old.into_values().collect()
    }
}

fn sample(body: &str) -> SavedMessage {
    SavedMessage { name: "sample".into(), body: body.to_string(), format: MessageFormat::Text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Api;

    fn workspace() -> Workspace {
        let api = |name: &str, sample: Option<&str>| Api {
            name: name.into(),
            display_name: String::new(),
            url_suffix: format!("{name}/ws"),
            query: Vec::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            sample_message: sample.map(str::to_string),
        };
        Workspace {
            name: "w".into(),
            gateway: "ws://gw".into(),
            apis: vec![api("echo", Some("hello")), api("chat", None)],
        }
    }

    fn profile(url: &str) -> Profile {
        Profile { url: url.into(), ..Profile::default() }
    }

    fn names(c: &Catalog) -> Vec<String> {
        c.entries().iter().map(Entry::name).collect()
    }

    #[test]
    fn test_workspace_apis_become_entries_with_their_request_and_sample() {
        let c = Catalog::from_workspace(&workspace());
        assert_eq!(names(&c), ["echo", "chat"]);
        let echo = &c.entries()[0];
        assert_eq!(echo.request.endpoint.url(), "ws://gw/echo/ws");
        assert_eq!(echo.sample_message(), Some("hello"));
        assert_eq!(c.entries()[1].sample_message(), None);
        assert_ne!(c.entries()[0].id, c.entries()[1].id);
    }

    #[test]
    fn test_reloading_profiles_keeps_the_ids_of_profiles_that_still_exist() {
        let mut c = Catalog::from_workspace(&workspace());
        let echo = c.id_at(0).unwrap();
        let mut store = BTreeMap::from([("b".to_string(), profile("ws://b")), ("c".to_string(), profile("ws://c"))]);
        assert!(c.set_profiles(&store, None).is_empty());
        assert_eq!(names(&c), ["echo", "chat", "b", "c"]);
        let (b, gone) = (c.find_profile("b").unwrap(), c.find_profile("c").unwrap());

        store.remove("c");
        store.insert("a".into(), profile("ws://a"));
        store.insert("b".into(), profile("ws://b2"));
        assert_eq!(c.set_profiles(&store, None), vec![gone], "c is gone");
        assert_eq!(names(&c), ["echo", "chat", "a", "b"]);
        assert_eq!(c.find_profile("b"), Some(b), "b keeps its id although it moved and changed");
        assert_eq!(c.get(b).unwrap().request.endpoint.url(), "ws://b2");
        assert_eq!(c.id_at(0), Some(echo), "the workspace's entries keep theirs");
        assert!(c.get(gone).is_none());
        assert!(c.find_profile("a").is_some_and(|a| a != gone), "ids are never reused");
    }

    #[test]
    fn test_the_pinned_profile_is_listed_first() {
        let mut c = Catalog::from_workspace(&workspace());
        let store = BTreeMap::from([("a".to_string(), profile("ws://a")), ("z".to_string(), profile("ws://z"))]);
        c.set_profiles(&store, Some("z"));
        assert_eq!(names(&c), ["z", "echo", "chat", "a"]);
    }

    #[test]
    fn test_an_adhoc_url_is_an_entry_after_the_workspace_and_before_the_profiles() {
        let mut c = Catalog::from_workspace(&workspace());
        let store = BTreeMap::from([("a".to_string(), profile("ws://a")), ("z".to_string(), profile("ws://z"))]);
        c.set_profiles(&store, Some("z"));
        let id = c.add_adhoc("wss://example.test/socket");
        assert_eq!(names(&c), ["z", "echo", "chat", "wss://example.test/socket", "a"]);
        let e = c.get(id).unwrap();
        assert_eq!((e.source.clone(), e.request.endpoint.url()), (Source::Adhoc, "wss://example.test/socket".into()));
        assert_eq!(e.profile_name(), None);
        c.set_profiles(&store, Some("z"));
        assert_eq!(c.position(id), Some(3), "a reload keeps ad-hoc entries");
    }

    #[test]
    fn test_an_adhoc_url_among_profiles_only_follows_the_pinned_one() {
        let mut c = Catalog::default();
        let store = BTreeMap::from([("a".to_string(), profile("ws://a")), ("z".to_string(), profile("ws://z"))]);
        c.set_profiles(&store, Some("z"));
        c.add_adhoc("ws://x");
        assert_eq!(names(&c), ["z", "ws://x", "a"]);
    }

    #[test]
    fn test_an_adhoc_urls_password_stays_off_its_title_but_reaches_its_request() {
        let mut c = Catalog::default();
        let id = c.add_adhoc("wss://me:hunter2@gw.example.net/chat");
        let e = c.get(id).expect("the entry");
        assert!(!e.title.contains("hunter2"), "{}", e.title);
        assert!(e.title.starts_with("wss://me:"), "{}", e.title);
        assert!(e.request.endpoint.url().contains("hunter2"), "the request keeps what was typed");
    }

    #[test]
    fn test_an_adhoc_url_in_an_empty_catalog_is_listed() {
        let mut c = Catalog::default();
        let id = c.add_adhoc("ws://localhost:1/x");
        assert_eq!(c.position(id), Some(0));
        assert_eq!(c.len(), 1);
    }
}
