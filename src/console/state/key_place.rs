//! The APIM subscription key in the Request pane: one row, in the place it is sent from (the
//! **Query parameters** or the **Headers** table), moved between the two with `K`. The core's
//! [`SubscriptionKeyNames`] knows the two places' names and how to move the key; here the draft's
//! rows follow it, so the URL, copy-as-command, a saved profile and its k6/Artillery export all
//! carry the key where the pane shows it.

use wstab_core::request::{KeyPlace, SubscriptionKeyNames};

use super::request::{RequestDraft, Row, Table};

impl RequestDraft {
    fn key_names(&self) -> &SubscriptionKeyNames {
        &self.base.subscription_key
    }

    /// The table and row of the subscription key's row in `table`, if it has one.
    fn key_row(&self, table: Table) -> Option<usize> {
        let names = self.key_names();
        self.rows(table).iter().position(|r| names.is_key_row(&r.param, table == Table::Query))
    }

    /// Where the key is sent from: the place the core picks, else the one table holding a key
    /// row; `None` when neither table has one.
    pub fn key_place(&self) -> Option<KeyPlace> {
        let params = |t| self.rows(t).iter().map(|r: &Row| r.param.clone()).collect::<Vec<_>>();
        let (q, h) = (params(Table::Query), params(Table::Headers));
        self.key_names().place(&q, &h).or(match (self.key_row(Table::Query), self.key_row(Table::Headers)) {
            (Some(_), _) => Some(KeyPlace::Query),
            (None, Some(_)) => Some(KeyPlace::Header),
            (None, None) => None,
        })
    }

    /// One credential, one row: the other place's row, disabled and empty (an imported
    /// profile's placeholder), is left out of the pane.
    pub(super) fn collapse_key_rows(&mut self) {
        let Some(place) = self.key_place() else { return };
        let other = match place {
            KeyPlace::Query => Table::Headers,
            KeyPlace::Header => Table::Query,
        };
        if let Some(i) = self.key_row(other) {
            let p = &self.rows(other)[i].param;
            if !p.enabled && p.value.trim().is_empty() {
                self.rows_mut(other).remove(i);
            }
        }
    }

    /// `K`: moves the key to its other place (the row keeps its value, secrecy and "required",
    /// and is sent from there), selects it and says where it went; `None` when there is no key
    /// row to move.
    pub fn toggle_key_place(&mut self) -> Option<KeyPlace> {
        let from = self.key_place()?;
        let to = match from {
            KeyPlace::Query => KeyPlace::Header,
            KeyPlace::Header => KeyPlace::Query,
        };
        let names = self.key_names().clone();
        let params = |rows: &[Row]| rows.iter().map(|r| r.param.clone()).collect::<Vec<_>>();
        let (mut q, mut h) = (params(&self.query), params(&self.headers));
        names.move_to(to, &mut q, &mut h);
        let revealed = self.key_row(table_of(from)).is_some_and(|i| self.rows(table_of(from))[i].revealed);
        let rows = |ps: Vec<_>| ps.into_iter().map(|param| Row { param, revealed }).collect::<Vec<Row>>();
        // Every other row is kept as it was (with whether it is revealed).
        let keep = |old: &[Row], new: Vec<_>, key_table: bool| -> Vec<Row> {
            let mut out = Vec::new();
            let mut old_rest = old.iter().filter(|r| !names.is_key_row(&r.param, key_table));
            for p in new {
                if names.is_key_row(&p, key_table) {
                    out.extend(rows(vec![p]));
                } else if let Some(r) = old_rest.next() {
                    out.push(Row { param: p, revealed: r.revealed });
                }
            }
            out
        };
        self.query = keep(&self.query, q, true);
        self.headers = keep(&self.headers, h, false);
        // Moved, not copied: the place it left keeps no second row.
        if let Some(i) = self.key_row(table_of(from)) {
            self.rows_mut(table_of(from)).remove(i);
        }
        if let Some(i) = self.key_row(table_of(to)) {
            self.selected = self.flat(table_of(to), Some(i));
            self.url_selected = false;
        }
        Some(to)
    }
}

fn table_of(place: KeyPlace) -> Table {
    match place {
        KeyPlace::Query => Table::Query,
        KeyPlace::Header => Table::Headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wstab_core::connection::Param;
    use wstab_core::request::{Overrides, Purpose, Request, build_target};

    /// An imported profile's request: the query place required and empty, the header place a
    /// disabled placeholder, and another header.
    fn imported() -> RequestDraft {
        let mut placeholder = Param::new("Ocp-Apim-Subscription-Key", "").secret();
        placeholder.enabled = false;
        let mut r = Request::to_url("wss://gw.example.net/echo");
        r.query = vec![Param::new("a", "1"), Param::new("subscription-key", "").secret().required()];
        r.headers = vec![Param::new("X-Trace", "on"), placeholder];
        RequestDraft::from_request(r)
    }

    #[test]
    fn test_the_key_is_one_row_in_its_place() {
        let d = imported();
        assert_eq!(d.key_place(), Some(KeyPlace::Query));
        let names: Vec<&str> = d.headers.iter().map(|r| r.param.name.as_str()).collect();
        assert_eq!(names, ["X-Trace"], "the disabled, empty header placeholder is not a second row");
    }

    #[test]
    fn test_k_moves_the_key_to_the_header_and_the_target_carries_it_there() {
        let mut d = imported();
        d.query[1].param.value = "${env:APIM_KEY}".into();
        assert_eq!(d.toggle_key_place(), Some(KeyPlace::Header));
        assert_eq!(d.query.iter().map(|r| r.param.name.as_str()).collect::<Vec<_>>(), ["a"]);
        let key = &d.headers[1].param;
        assert_eq!((key.name.as_str(), key.value.as_str()), ("Ocp-Apim-Subscription-Key", "${env:APIM_KEY}"));
        assert!(key.enabled && key.secret && key.required, "{key:?}");
        assert_eq!(d.locate(d.selected), (Table::Headers, Some(1)), "the moved row is selected");
        // SAFETY: a variable only this test reads.
        unsafe { std::env::set_var("APIM_KEY", "k-123") };
        let built = build_target(&d.request(), &Overrides::default(), Purpose::Connect).unwrap();
        let t = built.target;
        assert!(t.headers.iter().any(|p| p.name == "Ocp-Apim-Subscription-Key" && p.value == "k-123"), "{t:?}");
        assert!(!t.request_url().unwrap().as_str().contains("subscription-key"), "{}", t.display_url());
        // And back: the query row again, the header gone.
        assert_eq!(d.toggle_key_place(), Some(KeyPlace::Query));
        assert_eq!(d.headers.len(), 1);
        assert_eq!(d.query[1].param.value, "${env:APIM_KEY}");
        assert!(d.query[1].param.required);
    }

    #[test]
    fn test_no_key_row_nothing_to_move() {
        let mut d = RequestDraft::from_request(Request::to_url("ws://h/x"));
        assert_eq!(d.toggle_key_place(), None);
    }

    #[test]
    fn test_k_in_the_request_pane_moves_the_key_and_copy_and_k6_follow() {
        use crate::console::state::copy::CopyContent;
        use crate::console::state::tests::workspace;
        use crate::console::state::{App, Effect, Intent, Pane};
        let vp = crate::console::state::Viewport::default();
        let mut app = App::new(workspace(), 100);
        app.select_index(1);
        app.draft_at(1).query[0].param.value = "k-1".into();
        app.focus = Pane::Request;
        app.update(Intent::ToggleKeyPlace, &vp);
        let notice = app.notice.clone().unwrap();
        assert!(notice.text.contains("header Ocp-Apim-Subscription-Key") && !notice.error, "{notice:?}");
        app.update(Intent::CopyMenu, &vp);
        let Some(Effect::Copy { content: CopyContent::Text(command), .. }) = app.update(Intent::Char('w'), &vp) else {
            panic!("w copies the wstab command line")
        };
        assert!(command.contains("-H") && command.contains("Ocp-Apim-Subscription-Key"), "{command}");
        assert!(!command.contains("subscription-key="), "{command}");
        let profile = app.request_as_profile("chat-by-header").unwrap();
        let k6 = wstab_core::export::k6::script("chat-by-header", &profile).unwrap();
        assert!(k6.contains("Ocp-Apim-Subscription-Key") && !k6.contains("subscription-key="), "{k6}");
        let artillery = wstab_core::export::artillery::script("chat-by-header", &profile).unwrap();
        assert!(artillery.contains("Ocp-Apim-Subscription-Key"), "{artillery}");
        assert!(!artillery.contains("subscription-key="), "{artillery}");
    }
}
