//! Parsing DESC values that Snowflake prints in its own notation: `[A, B]` lists and
//! `{K=V, K=[...], K={...}}` maps (DESC AUTHENTICATION POLICY), and comma-separated IP lists.

use std::collections::BTreeMap;

/// A value of DESC output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescValue {
    Text(String),
    List(Vec<DescValue>),
    Map(BTreeMap<String, DescValue>),
}

impl DescValue {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            DescValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list as text (a lone text value is a one-item list).
    pub fn texts(&self) -> Vec<String> {
        match self {
            DescValue::List(items) => items
                .iter()
                .filter_map(|i| i.as_text().map(str::to_owned))
                .collect(),
            DescValue::Text(s) if s.is_empty() => Vec::new(),
            DescValue::Text(s) => vec![s.clone()],
            DescValue::Map(_) => Vec::new(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&DescValue> {
        match self {
            DescValue::Map(m) => m.get(key),
            _ => None,
        }
    }
}

/// Parses one DESC value; text that is not a list or map is returned as text.
pub fn parse(text: &str) -> DescValue {
    let mut p = Parser {
        s: text.trim().as_bytes(),
        i: 0,
    };
    match p.value() {
        Some(v) if p.i == p.s.len() => v,
        _ => DescValue::Text(text.trim().to_owned()),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<DescValue> {
        self.skip_ws();
        match self.s.get(self.i)? {
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Some(DescValue::List(items));
                    }
                    items.push(self.value()?);
                    self.skip_ws();
                    match self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {}
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut map = BTreeMap::new();
                loop {
                    self.skip_ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Some(DescValue::Map(map));
                    }
                    let start = self.i;
                    while self.i < self.s.len() && self.s[self.i] != b'=' {
                        self.i += 1;
                    }
                    let key = String::from_utf8_lossy(&self.s[start..self.i])
                        .trim()
                        .to_owned();
                    self.i += 1;
                    let v = self.value()?;
                    map.insert(key, v);
                    self.skip_ws();
                    match self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {}
                        _ => return None,
                    }
                }
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b']' | b'}') {
                    self.i += 1;
                }
                Some(DescValue::Text(
                    String::from_utf8_lossy(&self.s[start..self.i])
                        .trim()
                        .to_owned(),
                ))
            }
        }
    }
}

/// A comma-separated list (`ALLOWED_IP_LIST`, a rule's `value_list`); empty text is empty.
pub fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_formats_desc_prints() {
        assert_eq!(parse("[ALL]").texts(), vec!["ALL"]);
        assert_eq!(parse("[PASSWORD, SAML]").texts(), vec!["PASSWORD", "SAML"]);
        assert_eq!(parse("[]").texts(), Vec::<String>::new());
        let pat = parse(
            "{DEFAULT_EXPIRY_IN_DAYS=15, MAX_EXPIRY_IN_DAYS=365, NETWORK_POLICY_EVALUATION=ENFORCED_REQUIRED, REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS=true, REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS=false, BLOCKED_ROLES_LIST=[ACCOUNTADMIN]}",
        );
        assert_eq!(
            pat.get("MAX_EXPIRY_IN_DAYS").and_then(DescValue::as_text),
            Some("365")
        );
        assert_eq!(
            pat.get("BLOCKED_ROLES_LIST").map(DescValue::texts),
            Some(vec!["ACCOUNTADMIN".to_owned()])
        );
        let cp =
            parse("{JDBC_DRIVER={MINIMUM_VERSION=3.25.0}, GO_DRIVER={MINIMUM_VERSION=1.14.1}}");
        assert_eq!(
            cp.get("GO_DRIVER")
                .and_then(|d| d.get("MINIMUM_VERSION"))
                .and_then(DescValue::as_text),
            Some("1.14.1")
        );
        assert_eq!(parse("{}"), DescValue::Map(BTreeMap::new()));
        assert_eq!(parse("OPTIONAL"), DescValue::Text("OPTIONAL".into()));
        assert_eq!(
            comma_list("1.1.1.1,2.2.2.0/24"),
            vec!["1.1.1.1", "2.2.2.0/24"]
        );
        assert_eq!(comma_list(""), Vec::<String>::new());
    }
}
