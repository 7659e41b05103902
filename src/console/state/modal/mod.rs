//! Modals: what is drawn over the panes and takes the keys before them — one-line prompts
//! (`prompt.rs`), yes/no questions (`question.rs`), scrolling views (`view.rs`: help, detail,
//! trace, token, report, gateway, waiting requests) and menus (`menu.rs`: copy, saved
//! messages). They sit on a [`ModalStack`]; the top one gets each key, handles it on its own and
//! says what it decided as an [`Outcome`], which `App` applies (`apply`). What a prompt does once
//! accepted is in `commit.rs`.

mod ask;
mod commit;
mod menu;
mod prompt;
mod question;
mod view;

pub use ask::{Ask, AskFor, AskOption};
pub use menu::{Choice, Menu, MenuKind};
pub use prompt::{Prompt, PromptFor};
pub use question::Question;
pub use view::{View, ViewKind};

use super::{App, Effect, Intent, Viewport};

/// One modal on the stack.
#[derive(Debug, Clone)]
pub enum Modal {
    /// A one-line field being edited (a name, a value, a file, a search, the close code).
    Prompt(Prompt),
    /// A yes/no question before something that overwrites, deletes or will likely fail.
    Question(Question),
    /// A window of text that scrolls (help, detail, trace, token, report, gateway, waiting).
    View(View),
    /// A list to pick from, by arrow or by letter (copy menu, saved messages).
    Menu(Menu),
    /// A question with lettered options (disconnect and switch, or a new tab).
    Ask(Ask),
}

/// What a modal decided about a key; `App::apply` carries it out.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The key was used (or ignored): the modal stays open.
    Stay,
    /// The modal is done and nothing else happens.
    Close,
    /// The modal closes and another opens in its place.
    Replace(Modal),
    /// Another modal opens on top (help over a prompt); this one waits beneath it.
    Open(Modal),
    /// The prompt was accepted: it closes and `App` does what it was for (`commit.rs`).
    Accept,
    /// The question was answered, yes (`true`) or no.
    Answer(bool),
    /// The menu's item was chosen: the menu closes and `App` acts on it.
    Choose(Choice),
    /// An option of an [`Ask`] was picked by its letter (`None`: cancelled): it closes and
    /// `App` carries the answer out.
    Pick(Option<char>),
    /// The modal closes and the console handles the intent as if it had never been open (F5
    /// from a view connects or disconnects).
    Then(Intent),
}

/// What a modal may need to know about the screen and the state to handle a key.
#[derive(Debug, Clone, Copy)]
pub struct KeyContext {
    /// The last line a view may scroll to (its text past its end would show an empty box).
    pub scroll_max: usize,
    /// Lines a page key moves.
    pub page: usize,
    /// Items in the menu on top (the saved messages change with the API and the connection).
    pub menu_len: usize,
    /// The tab's last handshake has a policy trace: the copy menu offers it.
    pub policy_trace: bool,
}

impl Modal {
    /// Handles a key; says what happens next.
    pub fn key(&mut self, intent: Intent, cx: &KeyContext) -> Outcome {
        match self {
            Modal::Prompt(p) => p.key(intent),
            Modal::Question(q) => q.key(intent),
            Modal::View(v) => v.key(intent, cx),
            Modal::Menu(m) => m.key(intent, cx),
            Modal::Ask(a) => a.key(intent),
        }
    }

    /// True for the modals whose keys are letters that pick (menus and questions).
    pub fn picks_by_letter(&self) -> bool {
        matches!(self, Modal::Question(_) | Modal::Menu(_) | Modal::Ask(_))
    }

    /// True for views and menus: windows over the panes, closed when the tab changes.
    pub fn is_overlay(&self) -> bool {
        matches!(self, Modal::View(_) | Modal::Menu(_))
    }
}

/// The open modals, bottom first; the top one takes the keys and is drawn last.
#[derive(Debug, Clone, Default)]
pub struct ModalStack {
    modals: Vec<Modal>,
}

impl ModalStack {
    /// Opens `modal` on top.
    pub fn push(&mut self, modal: Modal) {
        self.modals.push(modal);
    }

    /// Closes the top modal, returning it.
    pub fn pop(&mut self) -> Option<Modal> {
        self.modals.pop()
    }

    /// The modal that takes the next key.
    pub fn top(&self) -> Option<&Modal> {
        self.modals.last()
    }

    /// The modal that takes the next key, to change.
    pub fn top_mut(&mut self) -> Option<&mut Modal> {
        self.modals.last_mut()
    }

    /// True when nothing is open.
    pub fn is_empty(&self) -> bool {
        self.modals.is_empty()
    }

    /// The open modals, bottom first (the order they are drawn in).
    pub fn iter(&self) -> impl Iterator<Item = &Modal> {
        self.modals.iter()
    }

    /// Closes every modal `keep` says no to.
    pub fn retain(&mut self, keep: impl FnMut(&Modal) -> bool) {
        self.modals.retain(keep);
    }

    /// Closes the views and menus (they show the tab that was shown); prompts and questions stay.
    pub fn close_overlays(&mut self) {
        self.retain(|m| !m.is_overlay());
    }

    /// Closes the prompts, views and menus and shows `modal` instead, beneath any question (a
    /// question stays on top until it is answered).
    pub fn show_beneath_questions(&mut self, modal: Modal) {
        self.retain(|m| matches!(m, Modal::Question(_)));
        self.modals.insert(0, modal);
    }

    /// Closes every question.
    pub fn close_questions(&mut self) {
        self.retain(|m| !matches!(m, Modal::Question(_)));
    }

    /// The topmost prompt, if any.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.modals.iter().rev().find_map(|m| if let Modal::Prompt(p) = m { Some(p) } else { None })
    }

    /// The topmost question, if any.
    pub fn question(&self) -> Option<&Question> {
        self.modals.iter().rev().find_map(|m| if let Modal::Question(q) = m { Some(q) } else { None })
    }

    /// The topmost view, if any.
    pub fn view(&self) -> Option<&View> {
        self.modals.iter().rev().find_map(|m| if let Modal::View(v) = m { Some(v) } else { None })
    }

    /// The topmost question with lettered options, if any.
    pub fn ask(&self) -> Option<&Ask> {
        self.modals.iter().rev().find_map(|m| if let Modal::Ask(a) = m { Some(a) } else { None })
    }

    /// The topmost menu, if any.
    pub fn menu(&self) -> Option<&Menu> {
        self.modals.iter().rev().find_map(|m| if let Modal::Menu(v) = m { Some(v) } else { None })
    }

    /// True when a view of this kind is open (the gateway view redraws on each tick).
    pub fn shows(&self, kind: ViewKind) -> bool {
        self.modals.iter().any(|m| matches!(m, Modal::View(v) if v.kind == kind))
    }

    /// True when a view or a menu is open.
    pub fn has_overlay(&self) -> bool {
        self.modals.iter().any(Modal::is_overlay)
    }
}

impl App {
    /// Opens a one-line prompt for `what`, holding `text`.
    pub(super) fn start_prompt(&mut self, what: PromptFor, text: &str) {
        self.modals.push(Modal::Prompt(Prompt::new(what, text)));
    }

    /// Opens a prompt for a Request row's value, masked when the row is a secret the user has
    /// not revealed (`r`), as the table shows it.
    pub(super) fn value_prompt(&mut self, mut prompt: Prompt) {
        if let PromptFor::ParamValue { table, row } = prompt.what
            && let Some(d) = self.draft()
            && let Some(r) = d.rows(table).get(row)
        {
            prompt.masked = r.is_secret(d.secret_names()) && !r.revealed;
        }
        self.modals.push(Modal::Prompt(prompt));
    }

    /// Opens a view at its top line.
    pub(super) fn open_view(&mut self, kind: ViewKind) {
        self.modals.push(Modal::View(View::new(kind)));
    }

    /// Asks a question with lettered options.
    pub(super) fn ask_options(&mut self, ask: Ask) {
        self.modals.push(Modal::Ask(ask));
    }

    /// Asks a yes/no question; `on_yes` is what yes does.
    pub(super) fn ask(&mut self, question: String, on_yes: super::profiles::Pending) {
        self.modals.push(Modal::Question(Question::new(question, on_yes)));
    }

    /// Hands a key to the top modal (there is one) and applies what it decided.
    pub(super) fn modal_key(&mut self, intent: Intent, viewport: &Viewport) -> Option<Effect> {
        let menu_len = match self.modals.top() {
            Some(Modal::Menu(m)) if m.kind == MenuKind::SavedMessages => self.saved_messages().len(),
            _ => 0,
        };
        // A view pages by the Messages pane's height: about what it shows.
        let cx = KeyContext {
            scroll_max: viewport.view_scroll_max,
            page: viewport.rows().max(5),
            menu_len,
            policy_trace: self.tab.policy_trace.is_some(),
        };
        let outcome = self.modals.top_mut()?.key(intent, &cx);
        self.apply(outcome, viewport)
    }

    /// Carries out what the top modal decided.
    fn apply(&mut self, outcome: Outcome, viewport: &Viewport) -> Option<Effect> {
        match outcome {
            Outcome::Stay => {}
            Outcome::Close => {
                // A row added with `a`/`A` and cancelled before it had a name is not kept: an
                // empty `[x]` row would be one more thing to find and delete.
                if let Some(Modal::Prompt(p)) = self.modals.pop()
                    && let PromptFor::ParamName { table, row, then_value: true } = p.what
                {
                    self.drop_unnamed_row(table, row);
                }
            }
            Outcome::Replace(m) => {
                self.modals.pop();
                self.modals.push(m);
            }
            Outcome::Open(m) => self.modals.push(m),
            Outcome::Accept => {
                if let Some(Modal::Prompt(p)) = self.modals.pop() {
                    let text = p.field.text();
                    return self.commit_prompt(p.what, text, viewport);
                }
            }
            Outcome::Answer(yes) => {
                if let Some(Modal::Question(q)) = self.modals.pop() {
                    return if yes { self.confirmed(q.on_yes) } else { self.declined(q.on_yes) };
                }
            }
            Outcome::Choose(choice) => {
                self.modals.pop();
                return self.chosen(choice);
            }
            Outcome::Pick(key) => {
                if let Some(Modal::Ask(a)) = self.modals.pop() {
                    return self.asked(a.on, key);
                }
            }
            Outcome::Then(intent) => {
                self.modals.pop();
                return self.update(intent, viewport);
            }
        }
        None
    }

    /// Yes to a question.
    pub(super) fn confirmed(&mut self, pending: super::profiles::Pending) -> Option<Effect> {
        match pending {
            super::profiles::Pending::Connect => self.connect(false),
            super::profiles::Pending::Quit => Some(Effect::Quit),
            super::profiles::Pending::CloseTab => self.close_tab_now(),
            other => self.profile_confirmed(other),
        }
    }

    /// An item of a menu was chosen.
    fn chosen(&mut self, choice: Choice) -> Option<Effect> {
        match choice {
            Choice::Copy(item) => self.copy(item),
            Choice::SavedMessage(i) => {
                self.load_saved_message(i);
                None
            }
        }
    }
}
