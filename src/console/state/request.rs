//! The request being prepared for one API: URL, subprotocols and the **Query parameters** and
//! **Headers** tables, edited in the Request pane, over the [`Request`] it came from (whose TLS
//! options, limits, secret names and session options the pane does not edit but keeps).

use wstab_core::connection::{Param, Target};
use wstab_core::request::{Endpoint, Request};
use wstab_core::secret::is_secret_name;
use wstab_core::workspace::Api;

/// Which of the two tables a row is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// **Query parameters**.
    Query,
    /// **Headers**.
    Headers,
}

/// One editable row: the parameter, and whether its secret value is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Name, value, enabled, secret, required.
    pub param: Param,
    /// The user asked to see the secret value.
    pub revealed: bool,
}

impl Row {
    /// Is the value secret: by flag, by a well-known name, or by one of the request's
    /// `secret_names`?
    pub fn is_secret(&self, secret_names: &[String]) -> bool {
        self.param.secret || is_secret_name(&self.param.name, secret_names)
    }

    /// The value as the table shows it: masked when secret (see [`Row::is_secret`]) and not
    /// revealed.
    pub fn shown_value(&self, secret_names: &[String]) -> String {
        if self.is_secret(secret_names) && !self.revealed && !self.param.value.is_empty() {
            wstab_core::secret::MASK.to_string()
        } else {
            self.param.value.clone()
        }
    }

    /// Required but not sent (disabled) or sent empty: flagged before connecting, since the
    /// gateway would refuse the handshake either way.
    pub fn is_missing(&self) -> bool {
        self.param.required && (!self.param.enabled || self.param.value.trim().is_empty())
    }

    /// Required and disabled: it would not be sent.
    pub fn is_disabled_required(&self) -> bool {
        self.param.required && !self.param.enabled
    }
}

/// The Request pane's model for one API.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDraft {
    /// Gateway URL + the API's URL suffix, without the query parameters.
    pub base_url: String,
    /// **Query parameters** rows.
    pub query: Vec<Row>,
    /// **Headers** rows.
    pub headers: Vec<Row>,
    /// Subprotocols to request.
    pub subprotocols: Vec<String>,
    /// The selected row, counting both tables with an "add" row at the end of each.
    pub selected: usize,
    /// The URL row is selected (above the tables; `selected` is kept for when the cursor
    /// comes back down).
    pub url_selected: bool,
    /// The request the draft started from: its endpoint, TLS options, limits, secret names and
    /// session options, which the pane does not edit.
    pub base: Request,
}

impl RequestDraft {
    /// The draft for `api` behind `gateway`, as the workspace describes it.
    pub fn from_api(api: &Api, gateway: &str) -> Self {
        Self::from_request(api.request(gateway))
    }

    /// The draft for a request (a saved profile's, or a workspace API's).
    pub fn from_request(base: Request) -> Self {
        let rows = |ps: &[Param]| ps.iter().map(|p| Row { param: p.clone(), revealed: false }).collect();
        let mut draft = Self {
            base_url: base.endpoint.url(),
            query: rows(&base.query),
            headers: rows(&base.headers),
            subprotocols: base.subprotocols.clone(),
            selected: 0,
            url_selected: false,
            base,
        };
        draft.collapse_key_rows();
        draft
    }

    /// The request as edited: the pane's URL, tables and subprotocols over the request the
    /// draft started from. An edited URL is a full URL; an unchanged one keeps its endpoint.
    pub fn request(&self) -> Request {
        let params = |rows: &[Row]| rows.iter().map(|r| r.param.clone()).collect();
        let endpoint = if self.base.endpoint.url() == self.base_url {
            self.base.endpoint.clone()
        } else {
            Endpoint::Url(self.base_url.clone())
        };
        Request {
            endpoint,
            query: params(&self.query),
            headers: params(&self.headers),
            subprotocols: self.subprotocols.clone(),
            ..self.base.clone()
        }
    }

    /// The request as the pane shows it (references in place): every option carried.
    pub fn target(&self) -> Target {
        self.request().shown_target()
    }

    /// Names, beyond the well-known ones, whose values the pane masks.
    pub fn secret_names(&self) -> &[String] {
        &self.base.secret_names
    }

    /// Rows in the two tables, counting each table's "add" row.
    pub fn row_count(&self) -> usize {
        self.query.len() + 1 + self.headers.len() + 1
    }

    /// Which table and row a flat index is: `None` for a table's "add" row.
    pub fn locate(&self, flat: usize) -> (Table, Option<usize>) {
        if flat < self.query.len() {
            (Table::Query, Some(flat))
        } else if flat == self.query.len() {
            (Table::Query, None)
        } else {
            let i = flat - self.query.len() - 1;
            (Table::Headers, (i < self.headers.len()).then_some(i))
        }
    }

    /// The flat index of `row` in `table` (`None`: the table's "add" row).
    pub fn flat(&self, table: Table, row: Option<usize>) -> usize {
        match table {
            Table::Query => row.unwrap_or(self.query.len()),
            Table::Headers => self.query.len() + 1 + row.unwrap_or(self.headers.len()),
        }
    }

    /// The rows of a table.
    pub fn rows(&self, table: Table) -> &[Row] {
        match table {
            Table::Query => &self.query,
            Table::Headers => &self.headers,
        }
    }

    /// The rows of a table, to edit.
    pub fn rows_mut(&mut self, table: Table) -> &mut Vec<Row> {
        match table {
            Table::Query => &mut self.query,
            Table::Headers => &mut self.headers,
        }
    }

    /// The selected row, if it is a real row (not an "add" row).
    pub fn selected_row(&mut self) -> Option<&mut Row> {
        let (table, i) = self.locate(self.selected);
        i.and_then(move |i| self.rows_mut(table).get_mut(i))
    }

    /// Appends an empty row to `table`, selects it, and returns its index.
    pub fn add_row(&mut self, table: Table) -> usize {
        let rows = self.rows_mut(table);
        rows.push(Row { param: Param::new("", ""), revealed: true });
        let i = rows.len() - 1;
        self.selected = self.flat(table, Some(i));
        self.url_selected = false;
        i
    }

    /// Deletes the selected row, if any.
    pub fn delete_selected(&mut self) -> bool {
        let (table, i) = self.locate(self.selected);
        match i {
            Some(i) => {
                self.rows_mut(table).remove(i);
                true
            }
            None => false,
        }
    }

    /// The first required row left empty: its table and the row.
    pub fn first_missing(&self) -> Option<(Table, usize, &Row)> {
        let q = self.query.iter().enumerate().map(|(i, r)| (Table::Query, i, r));
        let h = self.headers.iter().enumerate().map(|(i, r)| (Table::Headers, i, r));
        q.chain(h).find(|(_, _, r)| r.is_missing())
    }
}
