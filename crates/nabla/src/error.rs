//! Errors that point into the input: a byte span, a one-line reason, an optional hint, and a
//! renderer that shows the input with a caret under the spot.

use std::fmt;
use std::ops::Range;

/// An error located in an input string.
///
/// ```
/// use nabla::parse;
/// let mut store = nabla::Store::new();
/// let err = parse(&mut store, "sinn(x)").unwrap_err();
/// assert_eq!(err.span, 0..4);
/// assert!(err.render("sinn(x)").contains("^^^^"));
/// assert_eq!(err.help.as_deref(), Some("did you mean `sin`?"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanError {
    pub message: String,
    /// Byte offsets into the input.
    pub span: Range<usize>,
    pub help: Option<String>,
}

impl SpanError {
    pub fn new(message: impl Into<String>, span: Range<usize>) -> SpanError {
        SpanError {
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> SpanError {
        self.help = Some(help.into());
        self
    }

    /// The error with the input line and a caret under the span. Long inputs are shown as a window
    /// around the span, so a 50 MB expression gives a short report.
    pub fn render(&self, input: &str) -> String {
        const CONTEXT: usize = 40;
        let start = floor_char_boundary(input, self.span.start.min(input.len()));
        let end = floor_char_boundary(input, self.span.end.clamp(start, input.len()));
        let line_start = input[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = input[end..].find('\n').map_or(input.len(), |i| end + i);
        let from = floor_char_boundary(input, start.saturating_sub(CONTEXT).max(line_start));
        let to = floor_char_boundary(input, (end + CONTEXT).min(line_end).max(end));
        let (lead, tail) = (
            if from > line_start { "…" } else { "" },
            if to < line_end { "…" } else { "" },
        );
        let shown = printable(&input[from..to]);
        let before = printable(&input[from..start]).chars().count() + lead.chars().count();
        let width = printable(&input[start..end]).chars().count().max(1);
        let mut out = format!(
            "error: {}\n  | {lead}{shown}{tail}\n  | {}{}",
            self.message,
            " ".repeat(before),
            "^".repeat(width)
        );
        if let Some(help) = &self.help {
            out.push_str(&format!("\n  = help: {help}"));
        }
        out
    }
}

/// Control characters (a NUL byte, tabs) shown as visible one-column placeholders.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            n @ 0..0x20 => char::from_u32(0x2400 + n).unwrap_or('?'),
            _ if c.is_control() => '?',
            _ => c,
        })
        .collect()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for SpanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.span.start)?;
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpanError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_span() {
        let e = SpanError::new("unexpected `*`", 2..3);
        assert_eq!(e.render("x+*y"), "error: unexpected `*`\n  | x+*y\n  |   ^");
    }

    #[test]
    fn long_inputs_are_windowed() {
        let input = format!("{}$ {}", "x+".repeat(10_000), "y+".repeat(10_000));
        let e = SpanError::new("unexpected `$`", 20_000..20_001);
        let shown = e.render(&input);
        assert!(shown.len() < 300, "{shown}");
        let lines: Vec<&str> = shown.lines().collect();
        let caret = lines[2].find('^').unwrap();
        assert_eq!(lines[1].chars().nth(caret), Some('$'));
    }

    #[test]
    fn control_characters_keep_columns() {
        let e = SpanError::new("unexpected character", 1..2);
        let shown = e.render("x\0y");
        assert!(shown.ends_with("  |  ^"), "{shown}");
    }
}
