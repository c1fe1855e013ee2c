//! Rendering an error against the statement text: the line and column of the span, the line
//! itself, and carets under the span. Spans are byte offsets; line and column are worked out
//! only here.

use crate::syntax::Span;

/// Where a statement's text came from: a script file, and the line of the file its first line
/// is. An error in it then names `file:line:column`, as `psql:file.sql:12:` does.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub file: &'a str,
    pub line: usize,
}

/// `error[CODE]: message`, then `--> line L, column C`, the line, and carets.
pub fn render(code: &str, message: &str, source: &str, span: Option<Span>) -> String {
    render_in(code, message, source, span, None)
}

/// As [`render`], with the lines counted in `origin`'s file and named `--> file:L:C`. An error
/// without a span names the statement's first line: `--> file:L`.
pub fn render_in(
    code: &str,
    message: &str,
    source: &str,
    span: Option<Span>,
    origin: Option<Origin<'_>>,
) -> String {
    let mut out = format!("error[{code}]: {message}");
    let Some(span) = span else {
        if let Some(o) = origin {
            // The statement's first line that holds text, not the blank lines before it.
            let blank = source.lines().take_while(|l| l.trim().is_empty()).count();
            out += &format!("\n --> {}:{}", o.file, o.line + blank);
        }
        return out;
    };
    let start = floor_char(source, span.start.min(source.len()));
    let end = floor_char(source, span.end.clamp(start, source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let line_no = source[..start].matches('\n').count() + 1;
    let column = source[line_start..start].chars().count() + 1;
    let (line_no, place) = match origin {
        Some(o) => {
            let line_no = o.line + line_no - 1;
            (line_no, format!("{}:{line_no}:{column}", o.file))
        }
        None => (line_no, format!("line {line_no}, column {column}")),
    };
    let line = &source[line_start..line_end];
    let width = source[start..end.min(line_end)].chars().count().max(1);
    let (shown, column_shown, width) = window(line, column - 1, width);
    let gutter = line_no.to_string().len();
    out += &format!(
        "\n{:gutter$}--> {place}\n{:gutter$} |\n{line_no} | {shown}\n{:gutter$} | {}{}",
        "",
        "",
        "",
        " ".repeat(column_shown),
        "^".repeat(width),
    );
    out
}

/// Characters of a long line shown around the span; a pasted 1 MB line is not echoed whole.
const SHOWN_CHARS: usize = 100;
/// Characters shown before the span when the line is cut.
const SHOWN_BEFORE: usize = 30;

/// The part of `line` to show: the line itself when short, else [`SHOWN_CHARS`] characters
/// from a little before the span, with `…` where it was cut. Returns the text, the span's
/// column in it (0-based) and the carets' width within it.
fn window(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars = line.chars().count();
    if chars <= SHOWN_CHARS {
        return (line.to_string(), column, width);
    }
    let from = column.saturating_sub(SHOWN_BEFORE);
    let to = (from + SHOWN_CHARS).min(chars);
    let mut shown: String = line.chars().skip(from).take(to - from).collect();
    let mut column_shown = column - from;
    if from > 0 {
        shown.insert(0, '…');
        column_shown += 1;
    }
    if to < chars {
        shown.push('…');
    }
    let width = width.min(to.saturating_sub(column)).max(1);
    (shown, column_shown, width)
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_span() {
        let text = "SELECT x\nFROM clinicl";
        let shown = render(
            "E0201",
            "unknown table `clinicl`",
            text,
            Some(Span::new(14, 21)),
        );
        assert_eq!(
            shown,
            "error[E0201]: unknown table `clinicl`\n --> line 2, column 6\n  |\n2 | FROM clinicl\n  |      ^^^^^^^"
        );
    }

    #[test]
    fn a_long_line_is_shown_around_the_span() {
        let text = format!("SELECT {} FROM subjects", "x".repeat(1 << 20));
        let shown = render("E0108", "too long", &text, Some(Span::new(7, 8)));
        assert_eq!(
            shown,
            format!(
                "error[E0108]: too long\n --> line 1, column 8\n  |\n1 | SELECT {}…\n  |        ^",
                "x".repeat(93)
            )
        );
        let far = format!("{} nope", "y".repeat(500));
        let shown = render("E0202", "unknown", &far, Some(Span::new(501, 505)));
        // From 30 characters before the span: 29 `y`, the space, `nope`.
        let expected = format!("1 | …{} nope\n  | {}^^^^", "y".repeat(29), " ".repeat(31));
        assert!(shown.ends_with(&expected), "{shown}");
    }

    #[test]
    fn an_end_of_input_span_gets_one_caret() {
        let shown = render("E0102", "unexpected end", "SELECT", Some(Span::new(6, 6)));
        assert!(shown.ends_with("1 | SELECT\n  |       ^"), "{shown}");
    }
}
