//! A recursive-descent parser for the statements in [`super::ast`], written from the grammar
//! blocks of `reference/snowflake-sql.md` (§2–§6) and sharing nothing with the product's
//! statement builder, so that it judges the SQL pat-reconcile emits independently.
//!
//! Every departure from the grammar is Snowflake's syntax error (001003) at the first token that
//! does not fit, so `DAYS_TO_EXPIRY` misspelt as `EXPIRES_IN` fails at `EXPIRES_IN`, and
//! `ADD PAT NAME = 'x'` fails at `=` (the token name is positional). Options may appear in any
//! order; an option given twice is a syntax error at its second occurrence.

use super::ast::*;
use super::lexer::{Symbol, Token, TokenKind, tokenize};
use crate::sandbox::error::StatementError;
use crate::sandbox::name::Name;

type Result<T> = std::result::Result<T, StatementError>;

/// Snowflake's reserved keywords: they cannot be unquoted identifiers.
const RESERVED: &[&str] = &[
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CHECK",
    "COLUMN",
    "CONNECT",
    "CONNECTION",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DATABASE",
    "DELETE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "EXISTS",
    "FALSE",
    "FOLLOWING",
    "FOR",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "GSCLUSTER",
    "HAVING",
    "ILIKE",
    "IN",
    "INCREMENT",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "ISSUE",
    "JOIN",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "MINUS",
    "NATURAL",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "OR",
    "ORDER",
    "ORGANIZATION",
    "QUALIFY",
    "REGEXP",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROW",
    "ROWS",
    "SAMPLE",
    "SCHEMA",
    "SELECT",
    "SET",
    "SOME",
    "START",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TO",
    "TRIGGER",
    "TRUE",
    "TRY_CAST",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WITH",
];

/// Parses one statement from its tokens (ending with EOF; one trailing `;` is allowed).
pub fn parse(tokens: &[Token]) -> Result<Statement> {
    let mut parser = Parser::new(tokens);
    let statement = parser.statement()?;
    parser.finish()?;
    Ok(statement)
}

/// Reads an identifier written inside a string constant (`ROLE_RESTRICTION = 'my_role'`,
/// `POLICY_NAME => '"Mixed"'`): folded like an identifier when it reads as one, kept verbatim
/// otherwise.
pub fn name_from_string(text: &str) -> Name {
    match object_name_from_string(text).parts.as_slice() {
        [single] => single.clone(),
        _ => Name::new(text),
    }
}

/// Reads a possibly qualified name written inside a string constant (`'DB.SCHEMA.RULE'`).
pub fn object_name_from_string(text: &str) -> ObjectName {
    let parsed = tokenize(text).ok().and_then(|tokens| {
        let mut parser = Parser::new(&tokens);
        let name = parser.object_name().ok()?;
        parser.peek().kind.eq(&TokenKind::Eof).then_some(name)
    });
    parsed.unwrap_or_else(|| ObjectName::single(Name::new(text)))
}

struct Parser<'t> {
    tokens: &'t [Token],
    index: usize,
    eof: Token,
}

/// The aggregate functions a view query may use.
fn is_aggregate(word: &str) -> bool {
    ["COUNT", "MAX", "MIN"]
        .iter()
        .any(|name| name.eq_ignore_ascii_case(word))
}

fn is_reserved(word: &str) -> bool {
    RESERVED
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(word))
}

impl<'t> Parser<'t> {
    fn new(tokens: &'t [Token]) -> Self {
        let eof = tokens.last().cloned().unwrap_or(Token {
            kind: TokenKind::Eof,
            text: String::new(),
            line: 1,
            position: 0,
            start: 0,
            end: 0,
        });
        Self {
            tokens,
            index: 0,
            eof,
        }
    }

    fn peek(&self) -> &Token {
        self.peek_nth(0)
    }

    fn peek_nth(&self, ahead: usize) -> &Token {
        self.tokens.get(self.index + ahead).unwrap_or(&self.eof)
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.index += 1;
        }
        token
    }

    fn error(&self) -> StatementError {
        self.peek().unexpected()
    }

    fn at(&self, keyword: &str) -> bool {
        self.peek().is_keyword(keyword)
    }

    fn at_nth(&self, ahead: usize, keyword: &str) -> bool {
        self.peek_nth(ahead).is_keyword(keyword)
    }

    fn eat(&mut self, keyword: &str) -> bool {
        let found = self.at(keyword);
        if found {
            self.index += 1;
        }
        found
    }

    fn expect(&mut self, keyword: &str) -> Result<()> {
        if self.eat(keyword) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn expect_all(&mut self, keywords: &[&str]) -> Result<()> {
        keywords.iter().try_for_each(|keyword| self.expect(keyword))
    }

    fn at_symbol(&self, symbol: Symbol) -> bool {
        self.peek().is_symbol(symbol)
    }

    fn eat_symbol(&mut self, symbol: Symbol) -> bool {
        let found = self.at_symbol(symbol);
        if found {
            self.index += 1;
        }
        found
    }

    fn expect_symbol(&mut self, symbol: Symbol) -> Result<()> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn at_end(&self) -> bool {
        matches!(self.peek().kind, TokenKind::Eof) || self.at_symbol(Symbol::Semicolon)
    }

    fn finish(&mut self) -> Result<()> {
        self.eat_symbol(Symbol::Semicolon);
        if matches!(self.peek().kind, TokenKind::Eof) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// `IF EXISTS`, when present.
    fn if_exists(&mut self) -> Result<bool> {
        if self.at("IF") {
            self.advance();
            self.expect("EXISTS")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `IF NOT EXISTS`, when present.
    fn if_not_exists(&mut self) -> Result<bool> {
        if self.at("IF") {
            self.advance();
            self.expect_all(&["NOT", "EXISTS"])?;
            return Ok(true);
        }
        Ok(false)
    }

    fn identifier(&mut self) -> Result<Name> {
        match &self.peek().kind {
            TokenKind::Word(word) if !is_reserved(word) => {
                let name = Name::new(word.to_ascii_uppercase());
                self.advance();
                Ok(name)
            }
            TokenKind::QuotedIdent(value) if !value.is_empty() && value.chars().count() <= 255 => {
                let name = Name::new(value.clone());
                self.advance();
                Ok(name)
            }
            _ => Err(self.error()),
        }
    }

    fn object_name(&mut self) -> Result<ObjectName> {
        let mut parts = vec![self.identifier()?];
        while parts.len() < 3 && self.at_symbol(Symbol::Dot) {
            self.advance();
            parts.push(self.identifier()?);
        }
        Ok(ObjectName { parts })
    }

    fn string(&mut self) -> Result<String> {
        match &self.peek().kind {
            TokenKind::Str(value) => {
                let value = value.clone();
                self.advance();
                Ok(value)
            }
            _ => Err(self.error()),
        }
    }

    fn integer(&mut self) -> Result<i64> {
        let negative = if self.eat_symbol(Symbol::Minus) {
            true
        } else {
            self.eat_symbol(Symbol::Plus);
            false
        };
        match &self.peek().kind {
            TokenKind::Number(text) if text.chars().all(|c| c.is_ascii_digit()) => {
                let value: i64 = text.parse().map_err(|_| self.error())?;
                self.advance();
                Ok(if negative { -value } else { value })
            }
            _ => Err(self.error()),
        }
    }

    fn boolean(&mut self) -> Result<bool> {
        if self.eat("TRUE") {
            Ok(true)
        } else if self.eat("FALSE") {
            Ok(false)
        } else {
            Err(self.error())
        }
    }

    /// `= ` before a value.
    fn equals(&mut self) -> Result<()> {
        self.expect_symbol(Symbol::Equals)
    }

    /// An identifier, or a string constant holding one.
    fn name_or_string(&mut self) -> Result<Name> {
        if let TokenKind::Str(value) = &self.peek().kind {
            let name = name_from_string(value);
            self.advance();
            return Ok(name);
        }
        self.identifier()
    }

    /// A word (keyword-like value such as `IPV4`) or a string constant, upper-cased.
    fn word_or_string(&mut self) -> Result<String> {
        match &self.peek().kind {
            TokenKind::Word(word) => {
                let value = word.to_ascii_uppercase();
                self.advance();
                Ok(value)
            }
            TokenKind::Str(value) => {
                let value = value.to_ascii_uppercase();
                self.advance();
                Ok(value)
            }
            _ => Err(self.error()),
        }
    }

    /// `( item, item )`, possibly empty, items separated by commas.
    fn parenthesised<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        self.expect_symbol(Symbol::LeftParen)?;
        let mut values = Vec::new();
        if self.eat_symbol(Symbol::RightParen) {
            return Ok(values);
        }
        loop {
            values.push(item(self)?);
            if self.eat_symbol(Symbol::RightParen) {
                return Ok(values);
            }
            self.expect_symbol(Symbol::Comma)?;
        }
    }

    /// `( 'a', 'b' )`, possibly empty.
    fn string_list(&mut self) -> Result<Vec<String>> {
        self.parenthesised(Self::string)
    }

    /// `( 'analyst', "Analyst" )`: role names as string constants (read like unquoted
    /// identifiers, Corrections 3) or identifiers.
    fn name_list(&mut self) -> Result<Vec<Name>> {
        self.parenthesised(Self::name_or_string)
    }

    /// `( A, 'B' )`: words or string constants, upper-cased.
    fn word_list(&mut self) -> Result<Vec<String>> {
        self.expect_symbol(Symbol::LeftParen)?;
        let mut values = Vec::new();
        if self.eat_symbol(Symbol::RightParen) {
            return Ok(values);
        }
        loop {
            values.push(self.word_or_string()?);
            if self.eat_symbol(Symbol::RightParen) {
                return Ok(values);
            }
            self.expect_symbol(Symbol::Comma)?;
        }
    }

    /// `( 'DB.S.R', "DB"."S"."R" )`: rule names as string constants or identifiers.
    fn rule_list(&mut self) -> Result<Vec<ObjectName>> {
        self.expect_symbol(Symbol::LeftParen)?;
        let mut values = Vec::new();
        if self.eat_symbol(Symbol::RightParen) {
            return Ok(values);
        }
        loop {
            if let TokenKind::Str(value) = &self.peek().kind {
                values.push(object_name_from_string(value));
                self.advance();
            } else {
                values.push(self.object_name()?);
            }
            if self.eat_symbol(Symbol::RightParen) {
                return Ok(values);
            }
            self.expect_symbol(Symbol::Comma)?;
        }
    }

    /// The one-word property name at the cursor, when it is one of `known`.
    fn property_keyword<T: Copy>(&self, lookup: impl Fn(&str) -> Option<T>) -> Option<T> {
        match &self.peek().kind {
            TokenKind::Word(word) => lookup(word),
            _ => None,
        }
    }

    /// Refuses a property given twice, at its second occurrence.
    fn once<T>(&self, slot: &Option<T>) -> Result<()> {
        if slot.is_some() {
            Err(self.error())
        } else {
            Ok(())
        }
    }

    fn statement(&mut self) -> Result<Statement> {
        if self.at("CREATE") {
            self.create()
        } else if self.at("ALTER") {
            self.alter()
        } else if self.at("DROP") {
            self.drop()
        } else if self.at("DESC") || self.at("DESCRIBE") {
            self.describe()
        } else if self.at("SHOW") {
            self.show()
        } else if self.at("GRANT") || self.at("REVOKE") {
            self.grant()
        } else if self.at("SELECT") {
            self.select()
        } else {
            Err(self.error())
        }
    }

    // ----- CREATE -----

    fn create(&mut self) -> Result<Statement> {
        self.expect("CREATE")?;
        let kind = if self.eat("OR") {
            if self.eat("REPLACE") {
                CreateKind::OrReplace
            } else if self.eat("ALTER") {
                CreateKind::OrAlter
            } else {
                return Err(self.error());
            }
        } else {
            CreateKind::Create
        };
        let mut mode = CreateMode {
            kind,
            if_not_exists: false,
        };
        let if_not_exists = |parser: &mut Self, mode: &mut CreateMode| -> Result<()> {
            if parser.at("IF") && mode.kind != CreateKind::Create {
                return Err(parser.error());
            }
            mode.if_not_exists = parser.if_not_exists()?;
            Ok(())
        };
        if self.eat("USER") {
            if_not_exists(self, &mut mode)?;
            let name = self.identifier()?;
            let properties = self.user_properties(false)?;
            Ok(Statement::CreateUser(CreateUser {
                mode,
                name,
                properties,
            }))
        } else if self.eat("ROLE") {
            if_not_exists(self, &mut mode)?;
            let name = self.identifier()?;
            let comment = self.optional_comment()?;
            Ok(Statement::CreateRole {
                mode,
                name,
                comment,
            })
        } else if self.eat("DATABASE") {
            if_not_exists(self, &mut mode)?;
            let name = self.identifier()?;
            let comment = self.optional_comment()?;
            Ok(Statement::CreateDatabase {
                mode,
                name,
                comment,
            })
        } else if self.eat("SCHEMA") {
            if_not_exists(self, &mut mode)?;
            let name = self.object_name()?;
            if name.parts.len() > 2 {
                return Err(self.error());
            }
            let comment = self.optional_comment()?;
            Ok(Statement::CreateSchema {
                mode,
                name,
                comment,
            })
        } else if self.at("NETWORK") && self.at_nth(1, "RULE") {
            self.expect_all(&["NETWORK", "RULE"])?;
            if_not_exists(self, &mut mode)?;
            self.create_network_rule(mode)
        } else if self.at("NETWORK") && self.at_nth(1, "POLICY") {
            self.expect_all(&["NETWORK", "POLICY"])?;
            if_not_exists(self, &mut mode)?;
            let name = self.identifier()?;
            let properties = self.network_policy_properties(false)?;
            Ok(Statement::CreateNetworkPolicy(CreateNetworkPolicy {
                mode,
                name,
                properties,
            }))
        } else if self.eat("WAREHOUSE") {
            if_not_exists(self, &mut mode)?;
            let name = self.identifier()?;
            let properties = self.warehouse_properties()?;
            Ok(Statement::CreateWarehouse {
                mode,
                name,
                properties,
            })
        } else if self.at("AUTHENTICATION") {
            self.expect_all(&["AUTHENTICATION", "POLICY"])?;
            if_not_exists(self, &mut mode)?;
            let name = self.object_name()?;
            let properties = self.authentication_policy_properties(false)?;
            Ok(Statement::CreateAuthenticationPolicy(
                CreateAuthenticationPolicy {
                    mode,
                    name,
                    properties,
                },
            ))
        } else {
            Err(self.error())
        }
    }

    /// `[WITH] WAREHOUSE_SIZE = … AUTO_SUSPEND = … …`, separated by spaces or commas.
    fn warehouse_properties(&mut self) -> Result<WarehouseProperties> {
        self.eat("WITH");
        let mut properties = WarehouseProperties::default();
        loop {
            if self.at("WAREHOUSE_SIZE") {
                self.once(&properties.size)?;
                self.advance();
                self.equals()?;
                properties.size = Some(self.warehouse_word()?);
            } else if self.at("WAREHOUSE_TYPE") {
                self.once(&properties.warehouse_type)?;
                self.advance();
                self.equals()?;
                properties.warehouse_type = Some(self.warehouse_word()?);
            } else if self.at("AUTO_SUSPEND") {
                self.once(&properties.auto_suspend)?;
                self.advance();
                self.equals()?;
                properties.auto_suspend = Some(if self.eat("NULL") {
                    None
                } else {
                    Some(self.integer()?)
                });
            } else if self.at("AUTO_RESUME") {
                self.once(&properties.auto_resume)?;
                self.advance();
                self.equals()?;
                properties.auto_resume = Some(self.boolean()?);
            } else if self.at("INITIALLY_SUSPENDED") {
                self.once(&properties.initially_suspended)?;
                self.advance();
                self.equals()?;
                properties.initially_suspended = Some(self.boolean()?);
            } else if self.at("COMMENT") {
                self.once(&properties.comment)?;
                self.advance();
                self.equals()?;
                properties.comment = Some(self.string()?);
            } else {
                break;
            }
            self.eat_symbol(Symbol::Comma);
        }
        if !self.at_end() {
            return Err(self.error());
        }
        Ok(properties)
    }

    /// A size or type: a string constant or a word, with `X-SMALL` / `SNOWPARK-OPTIMIZED`
    /// written unquoted read as one word.
    fn warehouse_word(&mut self) -> Result<String> {
        let mut text = self.word_or_string()?;
        while self.at_symbol(Symbol::Minus) {
            self.advance();
            match &self.peek().kind {
                TokenKind::Word(word) => {
                    text.push('-');
                    text.push_str(&word.to_ascii_uppercase());
                    self.advance();
                }
                _ => return Err(self.error()),
            }
        }
        Ok(text)
    }

    fn optional_comment(&mut self) -> Result<Option<String>> {
        if self.eat("COMMENT") {
            self.equals()?;
            return Ok(Some(self.string()?));
        }
        Ok(None)
    }

    /// User properties of CREATE USER / ALTER USER SET: separated by spaces or commas.
    fn user_properties(&mut self, at_least_one: bool) -> Result<Vec<(UserProperty, Value)>> {
        let mut properties: Vec<(UserProperty, Value)> = Vec::new();
        loop {
            if !properties.is_empty() {
                self.eat_symbol(Symbol::Comma);
            }
            let Some(property) = self.property_keyword(UserProperty::from_keyword) else {
                break;
            };
            if properties.iter().any(|(seen, _)| *seen == property) {
                return Err(self.error());
            }
            self.advance();
            self.equals()?;
            let value = self.user_value(property.shape())?;
            properties.push((property, value));
        }
        if (at_least_one && properties.is_empty()) || !self.at_end() {
            return Err(self.error());
        }
        Ok(properties)
    }

    fn user_value(&mut self, shape: ValueShape) -> Result<Value> {
        Ok(match shape {
            ValueShape::Text => match &self.peek().kind {
                TokenKind::Str(value) => {
                    let value = value.clone();
                    self.advance();
                    Value::Text(value)
                }
                _ => Value::Text(self.identifier()?.as_str().to_owned()),
            },
            ValueShape::Identifier => Value::Identifier(self.name_or_string()?),
            ValueShape::Boolean => Value::Boolean(self.boolean()?),
            ValueShape::Integer => Value::Integer(self.integer()?),
            ValueShape::UserType => {
                if self.eat("NULL") {
                    Value::UserType(None)
                } else {
                    let token = self.peek().clone();
                    let text = self.word_or_string()?;
                    match UserType::parse(&text) {
                        Some(user_type) => Value::UserType(Some(user_type)),
                        None => return Err(token.unexpected()),
                    }
                }
            }
            ValueShape::StringList => Value::StringList(self.string_list()?),
            ValueShape::Parameter => match &self.peek().kind {
                TokenKind::Str(value) => {
                    let value = value.clone();
                    self.advance();
                    Value::Text(value)
                }
                TokenKind::Number(_) | TokenKind::Symbol(Symbol::Minus) => {
                    Value::Integer(self.integer()?)
                }
                _ if self.at("TRUE") || self.at("FALSE") => Value::Boolean(self.boolean()?),
                _ => Value::Text(self.identifier()?.as_str().to_owned()),
            },
        })
    }

    fn create_network_rule(&mut self, mode: CreateMode) -> Result<Statement> {
        let name = self.object_name()?;
        let mut rule_type = None;
        let mut value_list = None;
        let mut rule_mode = None;
        let mut comment = None;
        loop {
            if self.at("TYPE") {
                self.once(&rule_type)?;
                self.advance();
                self.equals()?;
                let token = self.peek().clone();
                let text = self.word_or_string()?;
                rule_type = Some(NetworkRuleType::parse(&text).ok_or_else(|| token.unexpected())?);
            } else if self.at("VALUE_LIST") {
                self.once(&value_list)?;
                self.advance();
                self.equals()?;
                value_list = Some(self.string_list()?);
            } else if self.at("MODE") {
                self.once(&rule_mode)?;
                self.advance();
                self.equals()?;
                let token = self.peek().clone();
                let text = self.word_or_string()?;
                rule_mode = Some(NetworkRuleMode::parse(&text).ok_or_else(|| token.unexpected())?);
            } else if self.at("COMMENT") {
                self.once(&comment)?;
                self.advance();
                self.equals()?;
                comment = Some(self.string()?);
            } else {
                break;
            }
            self.eat_symbol(Symbol::Comma);
        }
        // VALUE_LIST may be omitted: the rule starts empty (Corrections 6).
        let Some(rule_type) = rule_type else {
            return Err(self.error());
        };
        let value_list = value_list.unwrap_or_default();
        Ok(Statement::CreateNetworkRule(CreateNetworkRule {
            mode,
            name,
            rule_type,
            value_list,
            rule_mode: rule_mode.unwrap_or(NetworkRuleMode::Ingress),
            comment,
        }))
    }

    fn network_policy_properties(&mut self, at_least_one: bool) -> Result<NetworkPolicyProperties> {
        let mut properties = NetworkPolicyProperties::default();
        loop {
            if let Some(list) = self.property_keyword(PolicyList::from_keyword) {
                if properties.lists.iter().any(|(seen, _)| *seen == list) {
                    return Err(self.error());
                }
                self.advance();
                self.equals()?;
                let value = if list.holds_rules() {
                    PolicyListValue::Rules(self.rule_list()?)
                } else {
                    PolicyListValue::Ips(self.string_list()?)
                };
                properties.lists.push((list, value));
            } else if self.at("COMMENT") {
                self.once(&properties.comment)?;
                self.advance();
                self.equals()?;
                properties.comment = Some(self.string()?);
            } else {
                break;
            }
            self.eat_symbol(Symbol::Comma);
        }
        let empty = properties.lists.is_empty() && properties.comment.is_none();
        if (at_least_one && empty) || !self.at_end() {
            return Err(self.error());
        }
        Ok(properties)
    }

    fn authentication_policy_properties(
        &mut self,
        at_least_one: bool,
    ) -> Result<Vec<AuthenticationPolicyProperty>> {
        let mut seen: Vec<AuthenticationPolicyField> = Vec::new();
        let mut properties = Vec::new();
        loop {
            if self.at("MFA_AUTHENTICATION_METHODS") {
                return Err(StatementError::MfaAuthenticationMethodsDeprecated);
            }
            let Some(field) = self.property_keyword(AuthenticationPolicyField::from_keyword) else {
                break;
            };
            if seen.contains(&field) {
                return Err(self.error());
            }
            seen.push(field);
            self.advance();
            self.equals()?;
            properties.push(match field {
                AuthenticationPolicyField::AuthenticationMethods => {
                    AuthenticationPolicyProperty::AuthenticationMethods(self.word_list()?)
                }
                AuthenticationPolicyField::ClientTypes => {
                    AuthenticationPolicyProperty::ClientTypes(self.word_list()?)
                }
                AuthenticationPolicyField::SecurityIntegrations => {
                    AuthenticationPolicyProperty::SecurityIntegrations(self.word_list()?)
                }
                AuthenticationPolicyField::MfaEnrollment => {
                    AuthenticationPolicyProperty::MfaEnrollment(self.word_or_string()?)
                }
                AuthenticationPolicyField::ClientPolicy => self.client_policy()?,
                AuthenticationPolicyField::MfaPolicy => self.mfa_policy()?,
                AuthenticationPolicyField::PatPolicy => {
                    AuthenticationPolicyProperty::PatPolicy(self.pat_policy()?)
                }
                AuthenticationPolicyField::WorkloadIdentityPolicy => self.workload_policy()?,
                AuthenticationPolicyField::Comment => {
                    AuthenticationPolicyProperty::Comment(self.string()?)
                }
            });
            self.eat_symbol(Symbol::Comma);
        }
        if (at_least_one && properties.is_empty()) || !self.at_end() {
            return Err(self.error());
        }
        Ok(properties)
    }

    /// `( JDBC_DRIVER = ( MINIMUM_VERSION = '3.25.0' ) [ , … ] )`.
    fn client_policy(&mut self) -> Result<AuthenticationPolicyProperty> {
        self.expect_symbol(Symbol::LeftParen)?;
        let mut entries = Vec::new();
        while !self.eat_symbol(Symbol::RightParen) {
            let client = match &self.peek().kind {
                TokenKind::Word(word) => word.to_ascii_uppercase(),
                _ => return Err(self.error()),
            };
            self.advance();
            self.equals()?;
            self.expect_symbol(Symbol::LeftParen)?;
            self.expect("MINIMUM_VERSION")?;
            self.equals()?;
            let version = self.string()?;
            self.expect_symbol(Symbol::RightParen)?;
            entries.push((client, version));
            self.eat_symbol(Symbol::Comma);
        }
        Ok(AuthenticationPolicyProperty::ClientPolicy(entries))
    }

    fn mfa_policy(&mut self) -> Result<AuthenticationPolicyProperty> {
        self.expect_symbol(Symbol::LeftParen)?;
        let mut allowed_methods = None;
        let mut enforce = None;
        while !self.eat_symbol(Symbol::RightParen) {
            if self.at("ALLOWED_METHODS") {
                self.once(&allowed_methods)?;
                self.advance();
                self.equals()?;
                allowed_methods = Some(self.word_list()?);
            } else if self.at("ENFORCE_MFA_ON_EXTERNAL_AUTHENTICATION") {
                self.once(&enforce)?;
                self.advance();
                self.equals()?;
                enforce = Some(self.word_or_string()?);
            } else {
                return Err(self.error());
            }
            self.eat_symbol(Symbol::Comma);
        }
        Ok(AuthenticationPolicyProperty::MfaPolicy {
            allowed_methods,
            enforce_mfa_on_external_authentication: enforce,
        })
    }

    /// `PAT_POLICY = ( … )`: sub-properties separated by spaces or commas.
    fn pat_policy(&mut self) -> Result<PatPolicyOptions> {
        self.expect_symbol(Symbol::LeftParen)?;
        let mut options = PatPolicyOptions::default();
        while !self.eat_symbol(Symbol::RightParen) {
            if self.at("DEFAULT_EXPIRY_IN_DAYS") {
                self.once(&options.default_expiry_in_days)?;
                self.advance();
                self.equals()?;
                options.default_expiry_in_days = Some(self.integer()?);
            } else if self.at("MAX_EXPIRY_IN_DAYS") {
                self.once(&options.max_expiry_in_days)?;
                self.advance();
                self.equals()?;
                options.max_expiry_in_days = Some(self.integer()?);
            } else if self.at("NETWORK_POLICY_EVALUATION") {
                self.once(&options.network_policy_evaluation)?;
                self.advance();
                self.equals()?;
                let token = self.peek().clone();
                let text = self.word_or_string()?;
                options.network_policy_evaluation =
                    Some(NetworkPolicyEvaluation::parse(&text).ok_or_else(|| token.unexpected())?);
            } else if self.at("REQUIRE_ROLE_RESTRICTION_FOR_SERVICE_USERS") {
                self.once(&options.require_role_restriction_for_service_users)?;
                self.advance();
                self.equals()?;
                options.require_role_restriction_for_service_users = Some(self.boolean()?);
            } else if self.at("REQUIRE_ROLE_RESTRICTION_FOR_PERSON_USERS") {
                self.once(&options.require_role_restriction_for_person_users)?;
                self.advance();
                self.equals()?;
                options.require_role_restriction_for_person_users = Some(self.boolean()?);
            } else if self.at("BLOCKED_ROLES_LIST") {
                self.once(&options.blocked_roles_list)?;
                self.advance();
                self.equals()?;
                options.blocked_roles_list = Some(self.name_list()?);
            } else {
                return Err(self.error());
            }
            self.eat_symbol(Symbol::Comma);
        }
        Ok(options)
    }

    fn workload_policy(&mut self) -> Result<AuthenticationPolicyProperty> {
        const KEYS: [&str; 5] = [
            "ALLOWED_PROVIDERS",
            "ALLOWED_AWS_ACCOUNTS",
            "ALLOWED_AWS_PARTITIONS",
            "ALLOWED_AZURE_ISSUERS",
            "ALLOWED_OIDC_ISSUERS",
        ];
        self.expect_symbol(Symbol::LeftParen)?;
        let mut entries: Vec<(String, Vec<String>)> = Vec::new();
        while !self.eat_symbol(Symbol::RightParen) {
            let Some(key) = KEYS.iter().find(|key| self.at(key)) else {
                return Err(self.error());
            };
            if entries.iter().any(|(seen, _)| seen == key) {
                return Err(self.error());
            }
            self.advance();
            self.equals()?;
            let values = if *key == "ALLOWED_PROVIDERS" {
                self.word_list()?
            } else {
                self.string_list()?
            };
            entries.push(((*key).to_owned(), values));
            self.eat_symbol(Symbol::Comma);
        }
        Ok(AuthenticationPolicyProperty::WorkloadIdentityPolicy(
            entries,
        ))
    }

    // ----- ALTER -----

    fn alter(&mut self) -> Result<Statement> {
        self.expect("ALTER")?;
        if self.eat("USER") {
            self.alter_user()
        } else if self.at("NETWORK") && self.at_nth(1, "RULE") {
            self.expect_all(&["NETWORK", "RULE"])?;
            self.alter_network_rule()
        } else if self.at("NETWORK") && self.at_nth(1, "POLICY") {
            self.expect_all(&["NETWORK", "POLICY"])?;
            self.alter_network_policy()
        } else if self.at("AUTHENTICATION") {
            self.expect_all(&["AUTHENTICATION", "POLICY"])?;
            self.alter_authentication_policy()
        } else if self.eat("ACCOUNT") {
            self.alter_account()
        } else {
            Err(self.error())
        }
    }

    fn at_user_action(&self, ahead: usize) -> bool {
        [
            "RENAME", "SET", "UNSET", "ADD", "MODIFY", "ROTATE", "REMOVE",
        ]
        .iter()
        .any(|action| self.at_nth(ahead, action))
    }

    fn alter_user(&mut self) -> Result<Statement> {
        let if_exists = self.if_exists()?;
        // The user name is optional; an action keyword followed by another one is a user name.
        let name = if self.at_user_action(0) && !self.at_user_action(1) {
            None
        } else {
            Some(self.identifier()?)
        };
        let action = if self.eat("RENAME") {
            self.expect("TO")?;
            AlterUserAction::Rename(self.identifier()?)
        } else if self.eat("SET") {
            if self.at("AUTHENTICATION") {
                self.expect_all(&["AUTHENTICATION", "POLICY"])?;
                let policy = self.object_name()?;
                let force = self.eat("FORCE");
                AlterUserAction::SetAuthenticationPolicy { policy, force }
            } else {
                if self.at("PASSWORD") && self.at_nth(1, "POLICY") || self.at("SESSION") {
                    return Err(self.peek_nth(1).unexpected());
                }
                AlterUserAction::Set(self.user_properties(true)?)
            }
        } else if self.eat("UNSET") {
            if self.at("AUTHENTICATION") {
                self.expect_all(&["AUTHENTICATION", "POLICY"])?;
                AlterUserAction::UnsetAuthenticationPolicy
            } else {
                let mut properties = Vec::new();
                loop {
                    let Some(property) = self.property_keyword(UserProperty::from_keyword) else {
                        return Err(self.error());
                    };
                    if properties.contains(&property) {
                        return Err(self.error());
                    }
                    self.advance();
                    properties.push(property);
                    if !self.eat_symbol(Symbol::Comma) {
                        break;
                    }
                }
                AlterUserAction::Unset(properties)
            }
        } else if self.eat("ADD") {
            self.token_keyword()?;
            AlterUserAction::AddToken(self.add_token()?)
        } else if self.eat("MODIFY") {
            self.token_keyword()?;
            AlterUserAction::ModifyToken(self.modify_token()?)
        } else if self.eat("ROTATE") {
            self.token_keyword()?;
            let if_exists = self.if_exists()?;
            let name = self.identifier()?;
            let mut hours = None;
            if self.eat("EXPIRE_ROTATED_TOKEN_AFTER_HOURS") {
                self.equals()?;
                hours = Some(self.integer()?);
            }
            AlterUserAction::RotateToken(RotateToken {
                if_exists,
                name,
                expire_rotated_token_after_hours: hours,
            })
        } else if self.eat("REMOVE") {
            self.token_keyword()?;
            let if_exists = self.if_exists()?;
            let name = self.identifier()?;
            AlterUserAction::RemoveToken { if_exists, name }
        } else {
            return Err(self.error());
        };
        Ok(Statement::AlterUser(AlterUser {
            if_exists,
            name,
            action,
        }))
    }

    /// `PAT` or `PROGRAMMATIC ACCESS TOKEN`.
    fn token_keyword(&mut self) -> Result<()> {
        if self.eat("PAT") {
            return Ok(());
        }
        self.expect_all(&["PROGRAMMATIC", "ACCESS", "TOKEN"])
    }

    fn add_token(&mut self) -> Result<AddToken> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.identifier()?;
        let mut token = AddToken {
            if_not_exists,
            name,
            role_restriction: None,
            days_to_expiry: None,
            mins_to_bypass_network_policy_requirement: None,
            comment: None,
        };
        loop {
            if self.at("ROLE_RESTRICTION") {
                self.once(&token.role_restriction)?;
                self.advance();
                self.equals()?;
                token.role_restriction = Some(self.name_or_string()?);
            } else if self.at("DAYS_TO_EXPIRY") {
                self.once(&token.days_to_expiry)?;
                self.advance();
                self.equals()?;
                token.days_to_expiry = Some(self.integer()?);
            } else if self.at("MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT") {
                self.once(&token.mins_to_bypass_network_policy_requirement)?;
                self.advance();
                self.equals()?;
                token.mins_to_bypass_network_policy_requirement = Some(self.integer()?);
            } else if self.at("COMMENT") {
                self.once(&token.comment)?;
                self.advance();
                self.equals()?;
                token.comment = Some(self.string()?);
            } else {
                return Ok(token);
            }
            self.eat_symbol(Symbol::Comma);
        }
    }

    fn modify_token(&mut self) -> Result<ModifyToken> {
        let if_exists = self.if_exists()?;
        let name = self.identifier()?;
        let change = if self.eat("RENAME") {
            self.expect("TO")?;
            TokenChange::Rename(self.identifier()?)
        } else if self.eat("SET") {
            let mut disabled = None;
            let mut mins = None;
            let mut comment = None;
            loop {
                if self.at("DISABLED") {
                    self.once(&disabled)?;
                    self.advance();
                    self.equals()?;
                    disabled = Some(self.boolean()?);
                } else if self.at("MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT") {
                    self.once(&mins)?;
                    self.advance();
                    self.equals()?;
                    mins = Some(self.integer()?);
                } else if self.at("COMMENT") {
                    self.once(&comment)?;
                    self.advance();
                    self.equals()?;
                    comment = Some(self.string()?);
                } else {
                    break;
                }
                self.eat_symbol(Symbol::Comma);
            }
            if disabled.is_none() && mins.is_none() && comment.is_none() {
                return Err(self.error());
            }
            TokenChange::Set {
                disabled,
                mins_to_bypass_network_policy_requirement: mins,
                comment,
            }
        } else if self.eat("UNSET") {
            let mut properties = Vec::new();
            loop {
                let property = if self.at("DISABLED") {
                    TokenProperty::Disabled
                } else if self.at("MINS_TO_BYPASS_NETWORK_POLICY_REQUIREMENT") {
                    TokenProperty::MinsToBypassNetworkPolicyRequirement
                } else if self.at("COMMENT") {
                    TokenProperty::Comment
                } else {
                    return Err(self.error());
                };
                if properties.contains(&property) {
                    return Err(self.error());
                }
                self.advance();
                properties.push(property);
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
            TokenChange::Unset(properties)
        } else {
            return Err(self.error());
        };
        Ok(ModifyToken {
            if_exists,
            name,
            change,
        })
    }

    fn alter_network_rule(&mut self) -> Result<Statement> {
        let if_exists = self.if_exists()?;
        let name = self.object_name()?;
        let action = if self.eat("SET") {
            let mut value_list = None;
            let mut comment = None;
            loop {
                if self.at("VALUE_LIST") {
                    self.once(&value_list)?;
                    self.advance();
                    self.equals()?;
                    value_list = Some(self.string_list()?);
                } else if self.at("COMMENT") {
                    self.once(&comment)?;
                    self.advance();
                    self.equals()?;
                    comment = Some(self.string()?);
                } else {
                    break;
                }
                self.eat_symbol(Symbol::Comma);
            }
            if value_list.is_none() && comment.is_none() {
                return Err(self.error());
            }
            AlterNetworkRuleAction::Set {
                value_list,
                comment,
            }
        } else if self.eat("UNSET") {
            let mut value_list = false;
            let mut comment = false;
            loop {
                let slot = if self.at("VALUE_LIST") {
                    &mut value_list
                } else if self.at("COMMENT") {
                    &mut comment
                } else {
                    return Err(self.error());
                };
                if *slot {
                    return Err(self.error());
                }
                *slot = true;
                self.advance();
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
            AlterNetworkRuleAction::Unset {
                value_list,
                comment,
            }
        } else {
            return Err(self.error());
        };
        Ok(Statement::AlterNetworkRule(AlterNetworkRule {
            if_exists,
            name,
            action,
        }))
    }

    fn alter_network_policy(&mut self) -> Result<Statement> {
        let if_exists = self.if_exists()?;
        let name = self.identifier()?;
        let action = if self.eat("SET") {
            AlterNetworkPolicyAction::Set(self.network_policy_properties(true)?)
        } else if self.eat("UNSET") {
            let mut fields = Vec::new();
            loop {
                let field = if let Some(list) = self.property_keyword(PolicyList::from_keyword) {
                    NetworkPolicyField::List(list)
                } else if self.at("COMMENT") {
                    NetworkPolicyField::Comment
                } else {
                    return Err(self.error());
                };
                if fields.contains(&field) {
                    return Err(self.error());
                }
                self.advance();
                fields.push(field);
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
            AlterNetworkPolicyAction::Unset(fields)
        } else if self.at("ADD") || self.at("REMOVE") {
            let add = self.eat("ADD");
            if !add {
                self.expect("REMOVE")?;
            }
            let Some(list) = self
                .property_keyword(PolicyList::from_keyword)
                .filter(|list| list.holds_rules())
            else {
                return Err(self.error());
            };
            self.advance();
            self.equals()?;
            let rules = self.rule_list()?;
            if add {
                AlterNetworkPolicyAction::Add(list, rules)
            } else {
                AlterNetworkPolicyAction::Remove(list, rules)
            }
        } else if self.eat("RENAME") {
            self.expect("TO")?;
            AlterNetworkPolicyAction::Rename(self.identifier()?)
        } else {
            return Err(self.error());
        };
        Ok(Statement::AlterNetworkPolicy(AlterNetworkPolicy {
            if_exists,
            name,
            action,
        }))
    }

    fn alter_authentication_policy(&mut self) -> Result<Statement> {
        let if_exists = self.if_exists()?;
        let name = self.object_name()?;
        let action = if self.eat("SET") {
            AlterAuthenticationPolicyAction::Set(self.authentication_policy_properties(true)?)
        } else if self.eat("UNSET") {
            let mut fields = Vec::new();
            loop {
                if self.at("MFA_AUTHENTICATION_METHODS") {
                    return Err(StatementError::MfaAuthenticationMethodsDeprecated);
                }
                let Some(field) = self.property_keyword(AuthenticationPolicyField::from_keyword)
                else {
                    break;
                };
                if fields.contains(&field) {
                    return Err(self.error());
                }
                self.advance();
                fields.push(field);
                self.eat_symbol(Symbol::Comma);
            }
            if fields.is_empty() {
                return Err(self.error());
            }
            AlterAuthenticationPolicyAction::Unset(fields)
        } else if self.eat("RENAME") {
            self.expect("TO")?;
            AlterAuthenticationPolicyAction::Rename(self.object_name()?)
        } else {
            return Err(self.error());
        };
        Ok(Statement::AlterAuthenticationPolicy(
            AlterAuthenticationPolicy {
                if_exists,
                name,
                action,
            },
        ))
    }

    fn policy_scope(&mut self) -> Result<PolicyScope> {
        if !self.eat("FOR") {
            return Ok(PolicyScope::All);
        }
        self.expect("ALL")?;
        let scope = if self.eat("PERSON") {
            PolicyScope::Person
        } else if self.eat("SERVICE") {
            PolicyScope::Service
        } else {
            return Err(self.error());
        };
        self.expect("USERS")?;
        Ok(scope)
    }

    fn alter_account(&mut self) -> Result<Statement> {
        let alter = if self.eat("SET") {
            if self.eat("NETWORK_POLICY") {
                self.equals()?;
                AlterAccount::SetNetworkPolicy(self.name_or_string()?)
            } else if self.eat("AUTHENTICATION") {
                self.expect("POLICY")?;
                let policy = self.object_name()?;
                let scope = self.policy_scope()?;
                let force = self.eat("FORCE");
                AlterAccount::SetAuthenticationPolicy {
                    policy,
                    scope,
                    force,
                }
            } else {
                return Err(self.error());
            }
        } else if self.eat("UNSET") {
            if self.eat("NETWORK_POLICY") {
                AlterAccount::UnsetNetworkPolicy
            } else if self.eat("AUTHENTICATION") {
                self.expect("POLICY")?;
                AlterAccount::UnsetAuthenticationPolicy {
                    scope: self.policy_scope()?,
                }
            } else {
                return Err(self.error());
            }
        } else {
            return Err(self.error());
        };
        Ok(Statement::AlterAccount(alter))
    }

    // ----- DROP / DESCRIBE -----

    fn drop(&mut self) -> Result<Statement> {
        self.expect("DROP")?;
        if self.eat("USER") {
            let if_exists = self.if_exists()?;
            let name = self.identifier()?;
            Ok(Statement::DropUser { if_exists, name })
        } else if self.eat("ROLE") {
            let if_exists = self.if_exists()?;
            let name = self.identifier()?;
            Ok(Statement::DropRole { if_exists, name })
        } else if self.eat("WAREHOUSE") {
            let if_exists = self.if_exists()?;
            let name = self.identifier()?;
            Ok(Statement::DropWarehouse { if_exists, name })
        } else if self.at("NETWORK") && self.at_nth(1, "RULE") {
            self.expect_all(&["NETWORK", "RULE"])?;
            let if_exists = self.if_exists()?;
            let name = self.object_name()?;
            Ok(Statement::DropNetworkRule { if_exists, name })
        } else if self.at("NETWORK") && self.at_nth(1, "POLICY") {
            self.expect_all(&["NETWORK", "POLICY"])?;
            let if_exists = self.if_exists()?;
            let name = self.identifier()?;
            Ok(Statement::DropNetworkPolicy { if_exists, name })
        } else if self.at("AUTHENTICATION") {
            self.expect_all(&["AUTHENTICATION", "POLICY"])?;
            let if_exists = self.if_exists()?;
            let name = self.object_name()?;
            Ok(Statement::DropAuthenticationPolicy { if_exists, name })
        } else {
            Err(self.error())
        }
    }

    fn describe(&mut self) -> Result<Statement> {
        self.advance();
        if self.eat("USER") {
            Ok(Statement::DescribeUser(self.identifier()?))
        } else if self.at("NETWORK") && self.at_nth(1, "RULE") {
            self.expect_all(&["NETWORK", "RULE"])?;
            Ok(Statement::DescribeNetworkRule(self.object_name()?))
        } else if self.at("NETWORK") && self.at_nth(1, "POLICY") {
            self.expect_all(&["NETWORK", "POLICY"])?;
            Ok(Statement::DescribeNetworkPolicy(self.identifier()?))
        } else if self.at("AUTHENTICATION") {
            self.expect_all(&["AUTHENTICATION", "POLICY"])?;
            Ok(Statement::DescribeAuthenticationPolicy(self.object_name()?))
        } else {
            Err(self.error())
        }
    }

    // ----- SHOW -----

    fn show(&mut self) -> Result<Statement> {
        self.expect("SHOW")?;
        if self.eat("TERSE") {
            self.expect("USERS")?;
            return Ok(Statement::ShowUsers {
                terse: true,
                filter: self.show_filter(false)?.0,
            });
        }
        if self.eat("USERS") {
            return Ok(Statement::ShowUsers {
                terse: false,
                filter: self.show_filter(false)?.0,
            });
        }
        if self.eat("ROLES") {
            return Ok(Statement::ShowRoles(self.show_filter(false)?.0));
        }
        if self.eat("WAREHOUSES") {
            return Ok(Statement::ShowWarehouses(self.show_filter(false)?.0));
        }
        if self.eat("GRANTS") {
            if self.eat("TO") {
                self.expect("USER")?;
                return Ok(Statement::ShowGrantsToUser(self.identifier()?));
            }
            self.expect("OF")?;
            self.expect("ROLE")?;
            return Ok(Statement::ShowGrantsOfRole(self.identifier()?));
        }
        if self.at("NETWORK") && self.at_nth(1, "RULES") {
            self.expect_all(&["NETWORK", "RULES"])?;
            let (filter, scope) = self.show_filter(true)?;
            if matches!(scope, Some(ShowScope::OnAccount | ShowScope::OnUser(_))) {
                return Err(self.error());
            }
            return Ok(Statement::ShowNetworkRules { filter, scope });
        }
        if self.at("NETWORK") && self.at_nth(1, "POLICIES") {
            self.expect_all(&["NETWORK", "POLICIES"])?;
            return Ok(Statement::ShowNetworkPolicies(self.show_filter(false)?.0));
        }
        if self.at("AUTHENTICATION") {
            self.expect_all(&["AUTHENTICATION", "POLICIES"])?;
            let (filter, scope) = self.show_filter(true)?;
            return Ok(Statement::ShowAuthenticationPolicies { filter, scope });
        }
        if self.eat("USER") {
            if !self.eat("PATS") {
                self.expect_all(&["PROGRAMMATIC", "ACCESS", "TOKENS"])?;
            }
            let user = if self.eat("FOR") {
                self.expect("USER")?;
                Some(self.identifier()?)
            } else {
                None
            };
            return Ok(Statement::ShowTokens { user });
        }
        if self.eat("PARAMETERS") {
            let like = if self.eat("LIKE") {
                Some(self.string()?)
            } else {
                None
            };
            let target = if self.eat("IN") || self.eat("FOR") {
                if self.eat("ACCOUNT") {
                    ParameterTarget::Account
                } else if self.eat("USER") {
                    if self.at_end() {
                        ParameterTarget::User(None)
                    } else {
                        ParameterTarget::User(Some(self.identifier()?))
                    }
                } else {
                    return Err(self.error());
                }
            } else {
                ParameterTarget::Session
            };
            return Ok(Statement::ShowParameters { like, target });
        }
        Err(self.error())
    }

    /// `[LIKE '…'] [IN …|ON …] [STARTS WITH '…'] [LIMIT n [FROM '…']]`; the scope only where
    /// the command has one.
    fn show_filter(&mut self, scoped: bool) -> Result<(ShowFilter, Option<ShowScope>)> {
        let mut filter = ShowFilter::default();
        if self.eat("LIKE") {
            filter.like = Some(self.string()?);
        }
        let mut scope = None;
        if scoped && self.eat("IN") {
            scope = Some(if self.eat("ACCOUNT") {
                ShowScope::Account
            } else if self.eat("DATABASE") {
                if self.at_scope_end() {
                    ShowScope::Database(None)
                } else {
                    ShowScope::Database(Some(self.identifier()?))
                }
            } else {
                self.eat("SCHEMA");
                if self.at_scope_end() {
                    ShowScope::Schema(None)
                } else {
                    let name = self.object_name()?;
                    if name.parts.len() > 2 {
                        return Err(self.error());
                    }
                    ShowScope::Schema(Some(name))
                }
            });
        } else if scoped && self.eat("ON") {
            scope = Some(if self.eat("ACCOUNT") {
                ShowScope::OnAccount
            } else {
                self.expect("USER")?;
                ShowScope::OnUser(self.identifier()?)
            });
        }
        if self.eat("STARTS") {
            self.expect("WITH")?;
            filter.starts_with = Some(self.string()?);
        }
        if self.eat("LIMIT") {
            let limit = self.integer()?;
            filter.limit = Some(u64::try_from(limit).map_err(|_| self.error())?);
            if self.eat("FROM") {
                filter.from = Some(self.string()?);
            }
        }
        Ok((filter, scope))
    }

    fn at_scope_end(&self) -> bool {
        self.at_end() || self.at("STARTS") || self.at("LIMIT")
    }

    // ----- GRANT / REVOKE -----

    fn grant(&mut self) -> Result<Statement> {
        let grant = self.eat("GRANT");
        if !grant {
            self.expect("REVOKE")?;
        }
        if self.eat("USAGE") {
            self.expect_all(&["ON", "WAREHOUSE"])?;
            let warehouse = self.identifier()?;
            self.expect_all(&[if grant { "TO" } else { "FROM" }, "ROLE"])?;
            let role = self.identifier()?;
            return Ok(Statement::WarehouseUsage {
                grant,
                warehouse,
                role,
            });
        }
        self.expect("ROLE")?;
        let role = self.identifier()?;
        self.expect(if grant { "TO" } else { "FROM" })?;
        let grantee = if self.eat("USER") {
            Grantee::User(self.identifier()?)
        } else {
            self.expect("ROLE")?;
            Grantee::Role(self.identifier()?)
        };
        Ok(if grant {
            Statement::GrantRole { role, grantee }
        } else {
            Statement::RevokeRole { role, grantee }
        })
    }

    // ----- SELECT -----

    fn select(&mut self) -> Result<Statement> {
        self.expect("SELECT")?;
        if self.at_symbol(Symbol::Star) {
            self.advance();
            if self.at_nth(1, "TABLE") {
                return self.policy_references(None);
            }
            return self.view_query(None);
        }
        let mut items = Vec::new();
        let mut view_items = Vec::new();
        loop {
            let token = self.peek().clone();
            match &token.kind {
                TokenKind::Word(word)
                    if is_aggregate(word) && self.at_nth_symbol(1, Symbol::LeftParen) =>
                {
                    view_items.push(self.aggregate()?);
                }
                TokenKind::Word(word)
                    if ContextFunction::parse(word).is_some()
                        || self.at_nth_symbol(1, Symbol::LeftParen) =>
                {
                    let word = word.clone();
                    items.push(self.context_function(&word)?);
                }
                TokenKind::Number(text) => {
                    let text = text.clone();
                    self.advance();
                    let column = self.alias()?.unwrap_or_else(|| text.clone());
                    items.push(SelectItem {
                        expression: SelectExpression::Number(text),
                        column,
                    });
                }
                TokenKind::Str(value) => {
                    let value = value.clone();
                    self.advance();
                    let column = self
                        .alias()?
                        .unwrap_or_else(|| token.text.to_ascii_uppercase());
                    items.push(SelectItem {
                        expression: SelectExpression::Text(value),
                        column,
                    });
                }
                TokenKind::Word(_) | TokenKind::QuotedIdent(_) => {
                    let name = self.identifier()?;
                    let alias = self.alias()?;
                    view_items.push(ViewItem {
                        expression: ViewExpression::Column(ColumnReference {
                            name: name.as_str().to_owned(),
                            line: token.line,
                            position: token.position,
                        }),
                        alias,
                        line: token.line,
                        position: token.position,
                    });
                }
                _ => return Err(self.error()),
            }
            if !self.eat_symbol(Symbol::Comma) {
                break;
            }
        }
        if self.at("FROM") {
            if !items.is_empty() {
                return Err(self.error());
            }
            if !self.at_nth(1, "TABLE") {
                return self.view_query(Some(view_items));
            }
            // POLICY_REFERENCES takes plain columns, without aliases or aggregates.
            let mut columns = Vec::new();
            for item in view_items {
                match item {
                    ViewItem {
                        expression: ViewExpression::Column(column),
                        alias: None,
                        ..
                    } => columns.push(column),
                    ViewItem {
                        line,
                        position,
                        alias,
                        ..
                    } => {
                        return Err(StatementError::syntax(
                            line,
                            position,
                            alias.unwrap_or_default(),
                        ));
                    }
                }
            }
            return self.policy_references(Some(columns));
        }
        match view_items.into_iter().next() {
            Some(ViewItem {
                expression: ViewExpression::Column(column),
                ..
            }) => Err(StatementError::InvalidIdentifier {
                line: column.line,
                position: column.position,
                name: column.name,
            }),
            Some(_) => Err(self.error()),
            None => Ok(Statement::SelectContext(items)),
        }
    }

    /// `COUNT(*)`, `MAX(column)` or `MIN(column)`, with an optional alias.
    fn aggregate(&mut self) -> Result<ViewItem> {
        let start = self.advance();
        let function = start.text.to_ascii_uppercase();
        self.expect_symbol(Symbol::LeftParen)?;
        let expression = if function == "COUNT" {
            self.expect_symbol(Symbol::Star)?;
            ViewExpression::CountStar
        } else {
            let token = self.peek().clone();
            let name = self.identifier()?;
            let column = ColumnReference {
                name: name.as_str().to_owned(),
                line: token.line,
                position: token.position,
            };
            if function == "MAX" {
                ViewExpression::Max(column)
            } else {
                ViewExpression::Min(column)
            }
        };
        self.expect_symbol(Symbol::RightParen)?;
        let alias = self.alias()?;
        Ok(ViewItem {
            expression,
            alias,
            line: start.line,
            position: start.position,
        })
    }

    /// `FROM view [WHERE column = literal [AND …]] [GROUP BY column, …]`.
    fn view_query(&mut self, items: Option<Vec<ViewItem>>) -> Result<Statement> {
        self.expect("FROM")?;
        let view = self.object_name()?;
        let mut filter = Vec::new();
        if self.eat("WHERE") {
            loop {
                let token = self.peek().clone();
                let column = self.identifier()?;
                self.equals()?;
                let literal = match &self.peek().kind {
                    TokenKind::Str(value) => Literal::Text(value.clone()),
                    TokenKind::Number(text) => Literal::Number(text.clone()),
                    _ => return Err(self.error()),
                };
                self.advance();
                filter.push((
                    ColumnReference {
                        name: column.as_str().to_owned(),
                        line: token.line,
                        position: token.position,
                    },
                    literal,
                ));
                if !self.eat("AND") {
                    break;
                }
            }
        }
        let mut group_by = Vec::new();
        if self.eat("GROUP") {
            self.expect("BY")?;
            loop {
                let token = self.peek().clone();
                let column = self.identifier()?;
                group_by.push(ColumnReference {
                    name: column.as_str().to_owned(),
                    line: token.line,
                    position: token.position,
                });
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
        }
        Ok(Statement::SelectView(ViewQuery {
            items,
            view,
            filter,
            group_by,
        }))
    }

    fn at_nth_symbol(&self, ahead: usize, symbol: Symbol) -> bool {
        self.peek_nth(ahead).is_symbol(symbol)
    }

    fn context_function(&mut self, word: &str) -> Result<SelectItem> {
        let Some(function) = ContextFunction::parse(word) else {
            return Err(StatementError::UnknownFunction {
                name: word.to_ascii_uppercase(),
            });
        };
        self.advance();
        let mut column = word.to_ascii_uppercase();
        if self.eat_symbol(Symbol::LeftParen) {
            self.expect_symbol(Symbol::RightParen)?;
            column.push_str("()");
        } else if function != ContextFunction::CurrentTimestamp {
            return Err(self.error());
        }
        let column = self.alias()?.unwrap_or(column);
        Ok(SelectItem {
            expression: SelectExpression::Function(function),
            column,
        })
    }

    fn alias(&mut self) -> Result<Option<String>> {
        if self.eat("AS") {
            return Ok(Some(self.identifier()?.as_str().to_owned()));
        }
        match &self.peek().kind {
            TokenKind::Word(word) if !is_reserved(word) => {
                Ok(Some(self.identifier()?.as_str().to_owned()))
            }
            TokenKind::QuotedIdent(_) => Ok(Some(self.identifier()?.as_str().to_owned())),
            _ => Ok(None),
        }
    }

    /// `FROM TABLE([db.]INFORMATION_SCHEMA.POLICY_REFERENCES(name => 'value', …)) [WHERE …]`.
    fn policy_references(&mut self, columns: Option<Vec<ColumnReference>>) -> Result<Statement> {
        self.expect("FROM")?;
        self.expect("TABLE")?;
        self.expect_symbol(Symbol::LeftParen)?;
        let start = self.peek().clone();
        let function = self.object_name()?;
        let is_policy_references = function
            .last()
            .is_some_and(|last| last.as_str() == "POLICY_REFERENCES");
        let in_information_schema = function.parts.len() >= 2
            && function.parts[function.parts.len() - 2].as_str() == "INFORMATION_SCHEMA";
        if !is_policy_references || !in_information_schema {
            return Err(StatementError::UnknownFunction {
                name: function.to_string(),
            });
        }
        self.expect_symbol(Symbol::LeftParen)?;
        let mut arguments = Vec::new();
        if !self.eat_symbol(Symbol::RightParen) {
            loop {
                let name = match &self.peek().kind {
                    TokenKind::Word(word) => word.to_ascii_uppercase(),
                    _ => return Err(self.error()),
                };
                self.advance();
                self.expect_symbol(Symbol::Arrow)?;
                let value = self.string()?;
                arguments.push(NamedArgument { name, value });
                if self.eat_symbol(Symbol::RightParen) {
                    break;
                }
                self.expect_symbol(Symbol::Comma)?;
            }
        }
        self.expect_symbol(Symbol::RightParen)?;
        let mut filter = Vec::new();
        if self.eat("WHERE") {
            loop {
                let token = self.peek().clone();
                let column = self.identifier()?;
                self.equals()?;
                let value = self.string()?;
                filter.push((
                    ColumnReference {
                        name: column.as_str().to_owned(),
                        line: token.line,
                        position: token.position,
                    },
                    value,
                ));
                if !self.eat("AND") {
                    break;
                }
            }
        }
        Ok(Statement::SelectPolicyReferences(PolicyReferencesQuery {
            columns,
            arguments,
            line: start.line,
            position: start.position,
            filter,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Statement> {
        parse(&tokenize(text)?)
    }

    fn syntax_error_at(text: &str) -> (usize, String) {
        match parse_text(text) {
            Err(StatementError::Syntax {
                position, token, ..
            }) => (position, token),
            other => panic!("expected a syntax error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn add_token_with_every_option() {
        let statement = parse_text(
            "ALTER USER \"THERMAL_STREAMING_USER\" ADD PROGRAMMATIC ACCESS TOKEN \"THERMAL_PAT\" ROLE_RESTRICTION = 'THERMAL_STREAMING_ROLE' DAYS_TO_EXPIRY = 90 COMMENT = 'x'",
        )
        .unwrap();
        let Statement::AlterUser(alter) = statement else {
            panic!("not an ALTER USER")
        };
        assert_eq!(alter.name, Some(Name::new("THERMAL_STREAMING_USER")));
        let AlterUserAction::AddToken(token) = alter.action else {
            panic!("not ADD")
        };
        assert_eq!(token.name, Name::new("THERMAL_PAT"));
        assert_eq!(
            token.role_restriction,
            Some(Name::new("THERMAL_STREAMING_ROLE"))
        );
        assert_eq!(token.days_to_expiry, Some(90));
        assert_eq!(token.comment.as_deref(), Some("x"));
    }

    #[test]
    fn near_misses_fail_where_snowflake_does() {
        assert_eq!(
            syntax_error_at("ALTER USER u ADD PAT t EXPIRES_IN = 90"),
            (23, "EXPIRES_IN".into())
        );
        assert_eq!(
            syntax_error_at("ALTER USER u ADD PAT NAME = 'x'"),
            (26, "=".into())
        );
        assert_eq!(
            syntax_error_at("ALTER USER u ADD PAT"),
            (20, "<EOF>".into())
        );
        assert_eq!(
            syntax_error_at("ALTER USER u MODIFY PAT t UNSET COMMENT = 'x'"),
            (40, "=".into())
        );
        assert_eq!(
            syntax_error_at("ALTER USER u ADD PAT t DAYS_TO_EXPIRY = 1 DAYS_TO_EXPIRY = 2"),
            (42, "DAYS_TO_EXPIRY".into())
        );
        assert_eq!(syntax_error_at("selec 1"), (0, "selec".into()));
    }

    #[test]
    fn user_name_is_optional() {
        let Statement::AlterUser(alter) = parse_text("ALTER USER ADD PAT t").unwrap() else {
            panic!()
        };
        assert_eq!(alter.name, None);
        let Statement::AlterUser(alter) = parse_text("alter user add add pat t").unwrap() else {
            panic!()
        };
        assert_eq!(alter.name, Some(Name::new("ADD")));
    }

    #[test]
    fn rule_lists_accept_literals_and_identifiers() {
        let Statement::CreateNetworkPolicy(policy) = parse_text(
            "CREATE NETWORK POLICY p ALLOWED_NETWORK_RULE_LIST = ('DEMO.DEMO.THERMAL_GATEWAYS', \"A\".\"B\".\"c\")",
        )
        .unwrap() else {
            panic!()
        };
        let PolicyListValue::Rules(rules) = &policy.properties.lists[0].1 else {
            panic!()
        };
        assert_eq!(rules[0].to_string(), "DEMO.DEMO.THERMAL_GATEWAYS");
        assert_eq!(rules[1].to_string(), "A.B.c");
    }

    #[test]
    fn policy_references_forms() {
        for text in [
            "SELECT * FROM TABLE(SNOWFLAKE.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => 'NP', POLICY_KIND => 'NETWORK_POLICY'))",
            "select * from table(information_schema.policy_references(ref_entity_name => 'U', ref_entity_domain => 'USER')) where policy_kind = 'AUTHENTICATION_POLICY'",
        ] {
            assert!(matches!(
                parse_text(text),
                Ok(Statement::SelectPolicyReferences(_))
            ));
        }
    }

    #[test]
    fn context_functions_get_snowflake_column_names() {
        let Statement::SelectContext(items) =
            parse_text("SELECT CURRENT_USER(), current_role() AS r, CURRENT_ACCOUNT()").unwrap()
        else {
            panic!()
        };
        let columns: Vec<&str> = items.iter().map(|item| item.column.as_str()).collect();
        assert_eq!(columns, ["CURRENT_USER()", "R", "CURRENT_ACCOUNT()"]);
    }

    #[test]
    fn or_replace_and_if_not_exists_are_exclusive() {
        assert_eq!(
            syntax_error_at("CREATE OR REPLACE ROLE IF NOT EXISTS r"),
            (23, "IF".into())
        );
    }

    #[test]
    fn pat_policy_accepts_spaces_and_commas() {
        let Statement::CreateAuthenticationPolicy(policy) = parse_text(
            "CREATE AUTHENTICATION POLICY p PAT_POLICY = (DEFAULT_EXPIRY_IN_DAYS = 30, MAX_EXPIRY_IN_DAYS = 90 NETWORK_POLICY_EVALUATION = ENFORCED_NOT_REQUIRED BLOCKED_ROLES_LIST = ('ACCOUNTADMIN'))",
        )
        .unwrap() else {
            panic!()
        };
        let AuthenticationPolicyProperty::PatPolicy(options) = &policy.properties[0] else {
            panic!()
        };
        assert_eq!(options.max_expiry_in_days, Some(90));
        assert_eq!(
            options.blocked_roles_list,
            Some(vec![Name::new("ACCOUNTADMIN")])
        );
    }

    #[test]
    fn unknown_statement_is_a_syntax_error_at_its_first_word() {
        assert_eq!(syntax_error_at("USE DATABASE d"), (0, "USE".into()));
        assert_eq!(syntax_error_at("DROP DATABASE d"), (5, "DATABASE".into()));
    }
}
