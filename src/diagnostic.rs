//! Rendering an error against the statement text: the line and column of the span, the line
//! itself, and carets under the span. Spans are byte offsets; line and column are worked out
//! only here.

use crate::syntax::Span;

/// `error[CODE]: message`, then `--> line L, column C`, the line, and carets.
pub fn render(code: &str, message: &str, source: &str, span: Option<Span>) -> String {
    let mut out = format!("error[{code}]: {message}");
    let Some(span) = span else {
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
    let line = &source[line_start..line_end];
    let width = source[start..end.min(line_end)].chars().count().max(1);
    let gutter = line_no.to_string().len();
    out += &format!(
        "\n{:gutter$}--> line {line_no}, column {column}\n{:gutter$} |\n{line_no} | {line}\n{:gutter$} | {}{}",
        "",
        "",
        "",
        " ".repeat(column - 1),
        "^".repeat(width),
    );
    out
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
    fn an_end_of_input_span_gets_one_caret() {
        let shown = render("E0102", "unexpected end", "SELECT", Some(Span::new(6, 6)));
        assert!(shown.ends_with("1 | SELECT\n  |       ^"), "{shown}");
    }
}
