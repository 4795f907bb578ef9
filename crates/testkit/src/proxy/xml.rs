//! Just enough XML for the rules: read leaf texts by path, rewrite them in place, and escape
//! text for error bodies. Rewriting by byte range leaves the rest of moto's answer untouched.

use std::ops::Range;

/// One leaf element's text: its path from the root (`Distribution/Status`), the byte range of
/// the text in the document, and the index of its parent element (siblings share it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub path: String,
    pub range: Range<usize>,
    pub parent: usize,
}

/// Every element that holds text, in document order. Whitespace between elements is skipped.
/// A malformed document gives the leaves read before the error.
pub(crate) fn leaves(xml: &str) -> Vec<Leaf> {
    let mut out = Vec::new();
    // Stack of (element name, element index).
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut next_index = 0;
    for token in xmlparser::Tokenizer::from(xml) {
        let Ok(token) = token else { break };
        match token {
            xmlparser::Token::ElementStart { local, .. } => {
                stack.push((local.as_str().to_owned(), next_index));
                next_index += 1;
            }
            xmlparser::Token::ElementEnd { end, .. } => match end {
                xmlparser::ElementEnd::Open => {}
                xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty => {
                    stack.pop();
                }
            },
            xmlparser::Token::Text { text } | xmlparser::Token::Cdata { text, .. } => {
                if text.as_str().trim().is_empty() || stack.is_empty() {
                    continue;
                }
                let path = stack
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>();
                let parent = if stack.len() >= 2 {
                    stack[stack.len() - 2].1
                } else {
                    usize::MAX
                };
                out.push(Leaf {
                    path: path.join("/"),
                    range: text.range(),
                    parent,
                });
            }
            _ => {}
        }
    }
    out
}

/// The (unescaped) text of the first leaf at `path`.
pub(crate) fn text_at(xml: &str, path: &str) -> Option<String> {
    leaves(xml)
        .into_iter()
        .find(|leaf| leaf.path == path)
        .map(|leaf| unescape(&xml[leaf.range]))
}

/// The (unescaped) texts of every leaf at `path`.
pub(crate) fn texts_at(xml: &str, path: &str) -> Vec<String> {
    leaves(xml)
        .into_iter()
        .filter(|leaf| leaf.path == path)
        .map(|leaf| unescape(&xml[leaf.range]))
        .collect()
}

/// One element: its local name, its path from the root, the byte range of the whole element
/// (`<a>...</a>`), the byte range of its content (empty, at the end of the tag, for `<a/>`),
/// and the index of its parent in the same list (`usize::MAX` for the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    pub path: String,
    pub outer: Range<usize>,
    pub inner: Range<usize>,
    pub parent: usize,
}

/// Every element, in document order (an element's index is its position). A malformed
/// document gives the elements read before the error; elements left open there have an
/// `outer`/`inner` end of the document's end.
pub(crate) fn elements(xml: &str) -> Vec<Element> {
    let mut out: Vec<Element> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for token in xmlparser::Tokenizer::from(xml) {
        let Ok(token) = token else { break };
        match token {
            xmlparser::Token::ElementStart { local, span, .. } => {
                let parent = stack.last().copied().unwrap_or(usize::MAX);
                let path = match out.get(parent) {
                    Some(p) => format!("{}/{}", p.path, local.as_str()),
                    None => local.as_str().to_owned(),
                };
                stack.push(out.len());
                out.push(Element {
                    name: local.as_str().to_owned(),
                    path,
                    outer: span.start()..xml.len(),
                    inner: xml.len()..xml.len(),
                    parent,
                });
            }
            xmlparser::Token::ElementEnd { end, span } => {
                let Some(&top) = stack.last() else { continue };
                match end {
                    xmlparser::ElementEnd::Open => out[top].inner.start = span.end(),
                    xmlparser::ElementEnd::Close(..) => {
                        out[top].inner.end = span.start();
                        out[top].outer.end = span.end();
                        stack.pop();
                    }
                    xmlparser::ElementEnd::Empty => {
                        out[top].inner = span.start()..span.start();
                        out[top].outer.end = span.end();
                        stack.pop();
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The children of element `index`, with their indices.
pub(crate) fn children(
    elements: &[Element],
    index: usize,
) -> impl Iterator<Item = (usize, &Element)> {
    elements
        .iter()
        .enumerate()
        .filter(move |(_, e)| e.parent == index)
}

/// The first child of element `index` named `name`.
pub(crate) fn child<'a>(
    elements: &'a [Element],
    index: usize,
    name: &str,
) -> Option<(usize, &'a Element)> {
    children(elements, index).find(|(_, e)| e.name == name)
}

/// The (unescaped, trimmed) text of the first child of element `index` named `name`.
pub(crate) fn child_text(
    xml: &str,
    elements: &[Element],
    index: usize,
    name: &str,
) -> Option<String> {
    child(elements, index, name).map(|(_, e)| unescape(xml[e.inner.clone()].trim()))
}

/// Replace byte ranges (which must not overlap) with new texts.
pub(crate) fn replace(xml: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(xml.len());
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(&xml[at..range.start]);
        out.push_str(&text);
        at = range.end;
    }
    out.push_str(&xml[at..]);
    out
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"<?xml version="1.0"?>
<DistributionList><Items>
  <DistributionSummary><Id>A</Id><Status>Deployed</Status><Enabled>true</Enabled></DistributionSummary>
  <DistributionSummary><Id>B</Id><Status>Deployed</Status></DistributionSummary>
</Items></DistributionList>"#;

    #[test]
    fn reads_leaves_with_parents() {
        let leaves = leaves(LIST);
        let ids: Vec<_> = leaves.iter().filter(|l| l.path.ends_with("/Id")).collect();
        let statuses: Vec<_> = leaves
            .iter()
            .filter(|l| l.path.ends_with("/Status"))
            .collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0].parent, statuses[0].parent);
        assert_ne!(ids[0].parent, ids[1].parent);
        assert_eq!(
            text_at(LIST, "DistributionList/Items/DistributionSummary/Id").as_deref(),
            Some("A")
        );
    }

    #[test]
    fn rewrites_in_place() {
        let leaf = leaves(LIST)
            .into_iter()
            .find(|l| l.path.ends_with("/Status"))
            .expect("status");
        let out = replace(LIST, vec![(leaf.range, "InProgress".to_owned())]);
        assert_eq!(
            texts_at(&out, "DistributionList/Items/DistributionSummary/Status"),
            vec!["InProgress", "Deployed"]
        );
    }

    #[test]
    fn elements_have_outer_and_inner_ranges() {
        let xml = "<a x=\"1\"><b>t</b><c/><b>u&amp;v</b></a>";
        let els = elements(xml);
        assert_eq!(els.len(), 4);
        assert_eq!(&xml[els[0].outer.clone()], xml);
        assert_eq!(&xml[els[0].inner.clone()], "<b>t</b><c/><b>u&amp;v</b>");
        assert_eq!(els[1].path, "a/b");
        assert_eq!(&xml[els[2].outer.clone()], "<c/>");
        assert!(els[2].inner.is_empty());
        assert_eq!(children(&els, 0).count(), 3);
        assert_eq!(child_text(xml, &els, 0, "b").as_deref(), Some("t"));
        let (last, _) = children(&els, 0).last().expect("a child");
        assert_eq!(unescape(&xml[els[last].inner.clone()]), "u&v");
    }

    #[test]
    fn escapes_round_trip() {
        let text = "a<b & 'c'";
        assert_eq!(unescape(&escape(text)), text);
    }
}
