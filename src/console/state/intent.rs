//! What the user asks for: terminal input (keys through the keymap, mouse events through the
//! layout, a bracketed paste) mapped to [`Intent`]s. The results of IO come back separately, as
//! [`Reply`](super::Reply)s.

use super::Pane;

/// Something the user asked for. Sent by the runtime for each terminal event the keymap (or the
/// mouse hit test) maps; handled by [`App::update`](super::App::update), which hands it to the
/// modal on top, else to the focused pane.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Tab: focus the next pane (input; handled by `App`).
    FocusNext,
    /// Shift-Tab: focus the previous pane.
    FocusPrev,
    /// Up / k: move up in a list, scroll an overlay, recall an older message at the composer's top.
    Up,
    /// Down / j: move down, scroll, recall a newer message at the composer's bottom.
    Down,
    /// Page Up: move a page up.
    PageUp,
    /// Page Down: move a page down.
    PageDown,
    /// Home / g: go to the first row (the line start in a field).
    First,
    /// End / G: go to the last row and follow (the line end in a field).
    Last,
    /// Left: cursor left in a field.
    Left,
    /// Right: cursor right in a field.
    Right,
    /// Enter: select or edit; in the composer, send; in a prompt, accept.
    Enter,
    /// Esc: leave an editor, a prompt or an overlay.
    Escape,
    /// Backspace in a field.
    Backspace,
    /// Delete in a field; on a Request row, delete the row.
    Delete,
    /// A typed character, for the focused field.
    Char(char),
    /// Alt-Enter: a newline in the composer.
    Newline,
    /// Bracketed paste, for the focused field (or a Request row's value).
    Paste(String),
    /// F5: connect, or disconnect when connected or connecting.
    ToggleConnection,
    /// F1 / ?: open (or close) the help overlay.
    Help,
    /// Ctrl-L: clear the Messages log (the saved session keeps everything).
    ClearLog,
    /// Ctrl-C: quit now, closing every connection without asking.
    Quit,
    /// q: quit, asking first while a connection is open (handled by `App`).
    AskQuit,
    /// Ctrl-U in a text field: delete from the cursor to the start of the line, as shells do.
    DeleteToLineStart,
    /// s / Ctrl-S: ask for a file name and save the whole session as NDJSON.
    Save,
    /// /: search the log.
    Search,
    /// n: the next (older) search match.
    SearchOlder,
    /// N: the previous (newer) search match.
    SearchNewer,
    /// f: cycle the Messages filter (all, sent, received, connection, errors, no chatter).
    CycleFilter,
    /// t: show the last handshake trace.
    ShowTrace,
    /// a: add a query parameter.
    AddQueryParam,
    /// A: add a header.
    AddHeader,
    /// T in Request: add the `Ocp-Apim-Trace: true` header row, or turn it on / off.
    ToggleApimTrace,
    /// e: rename the selected row.
    RenameRow,
    /// Space: enable or disable the selected row.
    ToggleRow,
    /// r: reveal or mask the selected row's secret value.
    RevealRow,
    /// K in Request: move the APIM subscription key between its two places (query parameter and
    /// header).
    ToggleKeyPlace,
    /// p: edit the subprotocols.
    EditSubprotocols,
    /// F2: send as text, binary typed as hex, or binary typed as base64.
    ToggleMessageMode,
    /// F3: send a ping.
    Ping,
    /// F4: close with a code and reason.
    Close,
    /// A mouse click on a pane (sent by the loop, which knows the layout): focus it and select
    /// `row` (the item under the pointer, as the drawing code counted it), if any.
    Click {
        /// The pane.
        pane: Pane,
        /// The item clicked.
        row: Option<usize>,
    },
    /// The mouse wheel over a pane (sent by the loop): `lines` up (negative) or down.
    Scroll {
        /// The pane.
        pane: Pane,
        /// Lines to scroll.
        lines: isize,
    },
    /// P: ask for a name and save the selected API's request as a profile (handled by `App`,
    /// which asks before overwriting and returns [`Effect::Profiles`](super::Effect::Profiles)).
    SaveProfile,
    /// e in APIs: rename the selected saved profile.
    RenameProfile,
    /// D in APIs: duplicate the selected saved profile under a new name.
    DuplicateProfile,
    /// d / Del in APIs: delete the selected saved profile (asks first).
    DeleteProfile,
    /// n in APIs and Request: ask for a URL (typed or pasted) and open it as a new ad-hoc entry,
    /// selected, its query split into rows.
    OpenUrl,
    /// u (or Enter on the URL row) in Request: edit the URL, query included; the query is split
    /// into rows again on accept.
    EditUrl,
    /// I: ask for an `az apim api list` JSON file and import its WebSocket APIs as profiles.
    ImportApim,
    /// W: ask for a Web PubSub connection string and hub, and set the request's `access_token`.
    TokenFromConnectionString,
    /// i in Request: show the decoded claims of the selected (or first) JWT value.
    ShowToken,
    /// y: open the copy menu.
    CopyMenu,
    /// Ctrl-V: paste the system clipboard into the focused field (the loop reads it and sends
    /// [`Reply::Pasted`](super::Reply::Pasted)).
    PasteFromClipboard,
    /// `a` in Messages: the console's own Web PubSub `sequenceAck`s on or off.
    ToggleSequenceAck,
    /// Ctrl-O in the composer: pick one of the API's saved messages.
    PickSavedMessage,
    /// Ctrl-K in the composer: add an `ackId` to the JSON message (numbered when sent).
    AddAckId,
    /// Ctrl-T: open a new tab (its own session, log and composer) and show it.
    NewTab,
    /// Ctrl-W: close the shown tab, disconnecting its session.
    CloseTab,
    /// Alt-→ / Ctrl-PgDn: show the next tab.
    NextTab,
    /// Alt-← / Ctrl-PgUp: show the previous tab.
    PrevTab,
    /// F6: open (or close) the gateway's side view for the selected API.
    GatewayView,
    /// Ctrl-R: ask for the correlation JSON pointer of the shown tab (handled by `App`, which
    /// restarts the tab's pairing with it).
    SetCorrelation,
    /// w: open (or close) the list of requests still waiting for a reply in the shown tab.
    ShowWaiting,
    /// H: ask for a file name and export the shown tab's session as HAR (`App` answers with
    /// [`Effect::WriteFile`](super::Effect::WriteFile)).
    ExportHar,
    /// R: ask for a file name and save the shown tab's session as a `wstab run` script (`App`
    /// answers with [`Effect::WriteFile`](super::Effect::WriteFile)).
    SaveScript,
}
