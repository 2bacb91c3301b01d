//! Who runs a statement and against what ([`Session`], [`Context`]), and the sandbox's
//! privilege model.
//!
//! Privilege model (deliberately minimal): a session whose role is, or inherits, ACCOUNTADMIN or
//! SECURITYADMIN may do everything. Any other role gets 003001 on DDL and user management, with
//! Snowflake's self-service exceptions: anyone may run `SELECT CURRENT_…()`, SHOW USERS (columns
//! other than `name` are NULL), DESC / SHOW GRANTS / SHOW PARAMETERS for their own user, SHOW of
//! policies and rules (they see none), and a PERSON user may manage and list their own tokens.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::Result;
use crate::sandbox::account::{ACCOUNTADMIN, Account, SECURITYADMIN, User, Warehouse};
use crate::sandbox::error::{ObjectKind, StatementError};
use crate::sandbox::name::{Name, QualifiedName};
use crate::sandbox::sql::ast::ObjectName;

/// How a session authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// The sandbox's admin bearer token (`--admin-token`).
    AdminToken,
    /// A programmatic access token of the session's user.
    ProgrammaticAccessToken { token: Name },
    /// A key-pair JWT.
    KeyPair,
    /// In-process seeding as the admin (`execute_as_admin`): there is no caller address, so the
    /// network-policy lock-out checks do not apply.
    Seed,
}

/// Who runs a statement, and in which context.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: Name,
    pub role: Name,
    pub method: AuthMethod,
    pub client_address: IpAddr,
    /// The request's `warehouse` field (case-sensitive), else the user's DEFAULT_WAREHOUSE;
    /// whether it exists and may be used is decided when a statement needs it.
    pub warehouse: Option<Name>,
    /// The request's `database` field (case-sensitive, used as given).
    pub database: Option<Name>,
    /// The request's `schema` field.
    pub schema: Option<Name>,
}

/// What a statement runs against.
pub struct Context<'a> {
    pub account: &'a mut Account,
    pub session: &'a Session,
    pub now: DateTime<Utc>,
    /// How far the ACCOUNT_USAGE views lag the account: they show it as of `now` minus this.
    pub account_usage_latency: chrono::Duration,
}

impl Context<'_> {
    /// Whether the session's role is, or inherits, ACCOUNTADMIN or SECURITYADMIN.
    pub(super) fn is_admin(&self) -> bool {
        let closure = self.account.role_closure(&self.session.role);
        closure.contains(&Name::new(ACCOUNTADMIN)) || closure.contains(&Name::new(SECURITYADMIN))
    }

    /// 003001 on `kind 'name'` unless the session is an admin.
    pub(super) fn require_admin(&self, kind: ObjectKind, name: impl ToString) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(StatementError::insufficient(kind, name))
        }
    }

    /// 003001 on the account unless the session is an admin (account-level privileges:
    /// CREATE USER, CREATE ROLE, CREATE NETWORK POLICY, ALTER ACCOUNT, …).
    pub(super) fn require_account_admin(&self) -> Result<()> {
        let account = self.account.name.clone();
        self.require_admin(ObjectKind::Account, account)
    }

    /// The session's current warehouse: the one it names, if it exists and the role may use it.
    pub(super) fn current_warehouse(&self) -> Option<&Warehouse> {
        let requested = self.session.warehouse.as_ref()?;
        self.account.usable_warehouse(requested, &self.session.role)
    }

    /// The caller's address, unless the session is in-process seeding.
    pub(super) fn caller_address(&self) -> Option<IpAddr> {
        (self.session.method != AuthMethod::Seed).then_some(self.session.client_address)
    }

    /// 000606 unless the session has a warehouse it may use. Queries of table functions and views
    /// run on one; SHOW / DESC, DDL and context-function SELECTs do not (Corrections 1). Called
    /// after compilation, so argument and object errors come first, as in Snowflake.
    pub(super) fn require_warehouse(&self) -> Result<()> {
        match self.current_warehouse() {
            Some(_) => Ok(()),
            None => Err(StatementError::NoActiveWarehouse),
        }
    }

    pub(super) fn owner(&self) -> Name {
        self.session.role.clone()
    }

    pub(super) fn user(&self, name: &Name) -> Result<&User> {
        self.account
            .users
            .get(name)
            .ok_or_else(|| StatementError::does_not_exist(ObjectKind::User, name))
    }

    /// Resolves a one- to three-part name of a schema-level object against the session's
    /// database and schema; `command` names the statement in the "no current database" error.
    pub(super) fn qualify(&self, name: &ObjectName, command: &str) -> Result<QualifiedName> {
        match name.parts.as_slice() {
            [database, schema, object] => Ok(QualifiedName::new(
                database.clone(),
                schema.clone(),
                object.clone(),
            )),
            [schema, object] => Ok(QualifiedName::new(
                self.current_database(command)?,
                schema.clone(),
                object.clone(),
            )),
            [object] => Ok(QualifiedName::new(
                self.current_database(command)?,
                self.current_schema(command)?,
                object.clone(),
            )),
            _ => Err(StatementError::syntax(1, 0, name.to_string())),
        }
    }

    pub(super) fn current_database(&self, command: &str) -> Result<Name> {
        self.session
            .database
            .clone()
            .ok_or_else(|| StatementError::NoCurrentDatabase {
                command: command.to_owned(),
            })
    }

    pub(super) fn current_schema(&self, command: &str) -> Result<Name> {
        self.session
            .schema
            .clone()
            .ok_or_else(|| StatementError::NoCurrentSchema {
                command: command.to_owned(),
            })
    }

    /// 002003 unless the schema of `name` exists.
    pub(super) fn require_schema(&self, name: &QualifiedName) -> Result<()> {
        if !self.account.databases.contains_key(&name.database) {
            return Err(StatementError::does_not_exist(
                ObjectKind::Database,
                &name.database,
            ));
        }
        if !self.account.schema_exists(&name.database, &name.schema) {
            return Err(StatementError::does_not_exist(
                ObjectKind::Schema,
                format!("{}.{}", name.database, name.schema),
            ));
        }
        Ok(())
    }
}
