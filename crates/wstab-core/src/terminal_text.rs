//! Making untrusted text inert before it reaches a terminal: control characters, escape
//! sequences and bidi overrides are shown escaped, never interpreted.

/// `text` with every character a terminal could interpret replaced by a visible escape:
/// C0/C1 controls and DEL as `\\xNN` (tab kept), bidi controls as `\\u{NNNN}`.
/// Newlines are kept only when `keep_newlines` is true.
pub fn escape_for_terminal(text: &str) -> String {
    escape(text, true)
}

/// Like [`escape_for_terminal`] but newlines become `\\n` too, for one-line previews.
pub fn escape_one_line(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, keep_newlines: bool) -> String {
    if !text.chars().any(|c| needs_escape(c, keep_newlines)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !needs_escape(c, keep_newlines) {
            out.push(c);
        } else if c == '\n' {
            out.push_str("\\n");
        } else if c == '\r' {
            out.push_str("\\r");
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        }
    }
    out
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' => !keep_newlines,
        '\t' => false,
        c if c.is_control() => true,
        // Bidi embeddings, overrides and isolates can make text display in a misleading order.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_escape_sequences_are_inert() {
        assert_eq!(escape_for_terminal("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(escape_for_terminal("ok\ttab\nline"), "ok\ttab\nline");
        assert_eq!(escape_one_line("a\r\nb"), "a\\r\\nb");
        assert_eq!(escape_for_terminal("x\u{202e}y\u{9b}"), "x\\u{202e}y\\x9b");
    }
}
